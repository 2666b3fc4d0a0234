#include "models/workload/hf_config.hpp"

#include <algorithm>
#include <limits>

#include "sim/error.hpp"

namespace strata::models {
namespace {

constexpr int kMaxDimension = 10'000'000;
// A context length only sizes arithmetic (and GPT's position table, a parameter count), never a loop or an
// allocation: a wider bound, for Llama 4 Scout's 10,485,760 positions.
constexpr int kMaxPositions = 1'000'000'000;

class HfReader {
 public:
  HfReader(const nlohmann::json& config, const sim::JsonLocation& where) : config_(config), where_(where) {
    if (!config.is_object()) where.fail("expected a HuggingFace config object");
  }
  bool has(const char* key) const { return config_.contains(key) && !config_[key].is_null(); }
  int integer(const char* key, int max = kMaxDimension) const {
    if (!has(key)) where_.fail("missing required key \"" + std::string(key) + "\"");
    return static_cast<int>(sim::json_integer(config_[key], where_.child(key), 0, max));
  }
  int integer_or(const char* key, int fallback, int max = kMaxDimension) const {
    return has(key) ? integer(key, max) : fallback;
  }
  bool boolean_or(const char* key, bool fallback) const {
    return has(key) ? sim::json_bool(config_[key], where_.child(key)) : fallback;
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    return has(key) ? sim::json_string(config_[key], where_.child(key)) : fallback;
  }
  std::vector<int> integers_or_empty(const char* key) const {
    std::vector<int> values;
    if (!has(key)) return values;
    const auto& array = sim::json_array(config_[key], where_.child(key));
    for (std::size_t i = 0; i < array.size(); ++i) {
      values.push_back(
          static_cast<int>(sim::json_integer(array[i], where_.child(key).child(i), 0, kMaxDimension)));
    }
    return values;
  }
  double number_or(const char* key, double fallback) const {
    return has(key) ? sim::json_number(config_[key], where_.child(key)) : fallback;
  }
  // A nested object (MPT's attn_config); an absent key reads as an empty object.
  HfReader object_or_empty(const char* key) const {
    static const nlohmann::json kEmpty = nlohmann::json::object();
    return has(key) ? HfReader(config_[key], where_.child(key)) : HfReader(kEmpty, where_.child(key));
  }
  const sim::JsonLocation& where() const { return where_; }

 private:
  const nlohmann::json& config_;
  sim::JsonLocation where_;
};

constexpr const char* kSupported =
    "GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, MixtralForCausalLM, "
    "Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, DeepseekV3ForCausalLM, Llama4ForCausalLM, "
    "Llama4ForConditionalGeneration (its text_config), MPTForCausalLM";

MlpActivation activation(const HfReader& hf, const char* key, const std::string& fallback) {
  const std::string name = hf.string_or(key, fallback);
  if (name == "silu" || name == "swiglu") return MlpActivation::kSwiGlu;
  if (name.rfind("gelu", 0) == 0) return MlpActivation::kGelu;
  hf.where().child(key).fail("unsupported activation \"" + name + "\" (supported: silu (SwiGLU), gelu*)");
}

void read_gpt2(const HfReader& hf, TransformerConfig& c) {
  c.family = Family::kGpt;
  c.layers = hf.integer("n_layer");
  c.hidden = hf.integer("n_embd");
  c.heads = hf.integer("n_head");
  c.kv_heads = c.heads;
  c.ffn_hidden = hf.integer_or("n_inner", 4 * c.hidden);
  c.vocab = hf.integer("vocab_size");
  c.max_positions = hf.integer("n_positions");
  c.learned_positions = true;
  c.linear_biases = true;
  c.tied_embeddings = hf.boolean_or("tie_word_embeddings", true);
  c.activation = activation(hf, "activation_function", "gelu_new");
  c.norm = NormKind::kLayerNorm;
}

// MosaicML's MPT (llm-foundry configuration_mpt.py, MPTConfig): multi-head attention, a GELU MLP of
// expansion_ratio x d_model, LayerNorm, ALiBi or learned positions, biases unless no_bias, tied embeddings.
void read_mpt(const HfReader& hf, TransformerConfig& c) {
  c.family = Family::kMpt;
  c.layers = hf.integer("n_layers");
  c.hidden = hf.integer("d_model");
  c.heads = hf.integer("n_heads");
  c.kv_heads = c.heads;
  c.ffn_hidden = hf.integer_or("expansion_ratio", 4) * c.hidden;
  c.vocab = hf.integer("vocab_size");
  c.max_positions = hf.integer("max_seq_len");
  c.linear_biases = !hf.boolean_or("no_bias", false);
  c.tied_embeddings = true;
  c.activation = MlpActivation::kGelu;
  c.norm = NormKind::kLayerNorm;
  const HfReader attention = hf.object_or_empty("attn_config");
  const std::string kind = attention.string_or("attn_type", "multihead_attention");
  if (kind != "multihead_attention")
    attention.where()
        .child("attn_type")
        .fail("unsupported attention \"" + kind + "\" (supported: multihead_attention)");
  c.alibi = attention.boolean_or("alibi", false);
  c.learned_positions = hf.boolean_or("learned_pos_emb", true);
  c.dropout = hf.number_or("resid_pdrop", 0) > 0 || hf.number_or("emb_pdrop", 0) > 0 ||
              attention.number_or("attn_pdrop", 0) > 0;
}

void read_llama_like(const HfReader& hf, TransformerConfig& c) {
  c.family = Family::kLlama;
  c.layers = hf.integer("num_hidden_layers");
  c.hidden = hf.integer("hidden_size");
  c.heads = hf.integer("num_attention_heads");
  c.kv_heads = hf.integer_or("num_key_value_heads", c.heads);
  c.ffn_hidden = hf.integer_or("intermediate_size", 0);
  c.vocab = hf.integer("vocab_size");
  c.max_positions = hf.integer_or("max_position_embeddings", 0, kMaxPositions);
  c.tied_embeddings = hf.boolean_or("tie_word_embeddings", false);
  c.activation = activation(hf, "hidden_act", "silu");
  c.norm = NormKind::kRmsNorm;
}

// Llama 4 (HF transformers models/llama4): MoE layers every interleave_moe_layer_step-th layer (or those
// moe_layers lists), each with num_local_experts routed experts of intermediate_size, top
// num_experts_per_tok, and one shared expert of the same width without a gate; the other layers have a
// dense MLP of intermediate_size_mlp. Not read: chunked local attention (attention_chunk_size, in three of
// every four layers), which only differs from full attention on contexts longer than the chunk.
void read_llama4(const HfReader& hf, TransformerConfig& c) {
  read_llama_like(hf, c);
  c.family = Family::kMoe;
  c.ffn_hidden = hf.integer("intermediate_size_mlp");
  c.moe.experts = hf.integer("num_local_experts");
  c.moe.experts_per_token = hf.integer_or("num_experts_per_tok", 1);
  c.moe.expert_ffn_hidden = hf.integer("intermediate_size");
  c.moe.shared_experts = 1;
  c.moe.shared_ffn_hidden = c.moe.expert_ffn_hidden;
  c.moe.moe_layer_interval = hf.integer_or("interleave_moe_layer_step", 1);
  if (hf.has("moe_layers")) {
    const std::vector<int> moe_layers = hf.integers_or_empty("moe_layers");
    c.moe.moe_layer_interval = 1;
    for (int layer = 0; layer < c.layers; ++layer) {
      if (std::find(moe_layers.begin(), moe_layers.end(), layer) == moe_layers.end())
        c.moe.dense_layers.push_back(layer);
    }
  }
}

}  // namespace

TransformerConfig read_hf_config(const nlohmann::json& config, const sim::JsonLocation& where,
                                 std::string name) {
  const HfReader hf(config, where);
  if (!config.contains("architectures"))
    where.fail("missing required key \"architectures\" (supported: " + std::string(kSupported) + ")");
  const auto& architectures = sim::json_array(config["architectures"], where.child("architectures"));
  if (architectures.empty())
    where.child("architectures").fail("empty; expected one of " + std::string(kSupported));
  TransformerConfig c;
  c.name = std::move(name);
  c.architecture = sim::json_string(architectures[0], where.child("architectures").child(std::size_t{0}));
  const std::string& arch = c.architecture;
  // A multimodal checkpoint's language model is described by its text_config.
  if (arch == "Llama4ForConditionalGeneration" && !hf.has("text_config"))
    where.fail("missing required key \"text_config\" (the language model of " + arch + ")");
  const HfReader text = arch == "Llama4ForConditionalGeneration" ? hf.object_or_empty("text_config") : hf;
  if (arch == "GPT2LMHeadModel") {
    read_gpt2(hf, c);
  } else if (arch == "MPTForCausalLM") {
    read_mpt(hf, c);
  } else if (arch == "LlamaForCausalLM" || arch == "MistralForCausalLM" || arch == "Qwen2ForCausalLM") {
    read_llama_like(hf, c);
    c.qkv_bias = arch == "Qwen2ForCausalLM" || hf.boolean_or("attention_bias", false);
  } else if (arch == "MixtralForCausalLM") {
    read_llama_like(hf, c);
    c.family = Family::kMoe;
    c.moe.experts = hf.integer("num_local_experts");
    c.moe.experts_per_token = hf.integer("num_experts_per_tok");
    c.moe.expert_ffn_hidden = hf.integer("intermediate_size");
  } else if (arch == "Qwen2MoeForCausalLM" || arch == "Qwen3MoeForCausalLM") {
    read_llama_like(hf, c);
    c.family = Family::kMoe;
    c.qkv_bias = arch == "Qwen2MoeForCausalLM";
    c.moe.experts = hf.integer("num_experts");
    c.moe.experts_per_token = hf.integer("num_experts_per_tok");
    c.moe.expert_ffn_hidden = hf.integer("moe_intermediate_size");
    c.moe.shared_ffn_hidden = hf.integer_or("shared_expert_intermediate_size", 0);
    c.moe.shared_experts = c.moe.shared_ffn_hidden > 0 ? 1 : 0;
    c.moe.shared_expert_gate = c.moe.shared_experts > 0;
    c.moe.moe_layer_interval = hf.integer_or("decoder_sparse_step", 1);
    c.moe.dense_layers = hf.integers_or_empty("mlp_only_layers");
  } else if (arch == "DeepseekV3ForCausalLM") {
    read_llama_like(hf, c);
    c.family = Family::kMoe;
    c.kv_heads = c.heads;
    c.moe.experts = hf.integer("n_routed_experts");
    c.moe.experts_per_token = hf.integer("num_experts_per_tok");
    c.moe.expert_ffn_hidden = hf.integer("moe_intermediate_size");
    c.moe.shared_experts = hf.integer_or("n_shared_experts", 0);
    c.moe.shared_ffn_hidden = c.moe.shared_experts * c.moe.expert_ffn_hidden;
    c.moe.first_dense_layers = hf.integer_or("first_k_dense_replace", 0);
    c.moe.moe_layer_interval = hf.integer_or("moe_layer_freq", 1);
    c.mla.q_lora_rank = hf.integer_or("q_lora_rank", 0);
    c.mla.kv_lora_rank = hf.integer("kv_lora_rank");
    c.mla.qk_nope_head_dim = hf.integer("qk_nope_head_dim");
    c.mla.qk_rope_head_dim = hf.integer("qk_rope_head_dim");
    c.mla.v_head_dim = hf.integer("v_head_dim");
  } else if (arch == "Llama4ForCausalLM" || arch == "Llama4ForConditionalGeneration") {
    read_llama4(text, c);
  } else {
    where.child("architectures")
        .child(std::size_t{0})
        .fail("unsupported architecture \"" + arch + "\" (supported: " + std::string(kSupported) + ")");
  }
  if (!c.uses_mla()) {
    if (c.heads > 0 && c.hidden % c.heads != 0 && !text.has("head_dim")) {
      text.where()
          .child("num_attention_heads")
          .fail("hidden_size " + std::to_string(c.hidden) + " is not divisible by " +
                std::to_string(c.heads) + " heads and no head_dim is given");
    }
    c.head_dim = text.integer_or("head_dim", c.heads > 0 ? c.hidden / c.heads : 0);
  }
  validate(c, where.source);
  return c;
}

TransformerConfig read_hf_config_file(const std::filesystem::path& path) {
  const nlohmann::json config = sim::read_json_file(path);
  return read_hf_config(config, sim::JsonLocation{path.string(), ""}, path.stem().string());
}

}  // namespace strata::models
