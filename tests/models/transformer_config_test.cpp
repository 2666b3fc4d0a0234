#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>

#include "../support/input_error.hpp"
#include "models/workload/hf_config.hpp"
#include "models/workload/model_catalog.hpp"
#include "sim/error.hpp"

using namespace strata::models;

namespace {

const ModelCatalog& catalog() {
  static const ModelCatalog shipped(STRATA_SOURCE_PRESET_DIR);
  return shipped;
}

TransformerConfig preset(const std::string& name) { return catalog().preset(name).config; }

}  // namespace

TEST_CASE("model FLOPs equal Korthikanti et al.'s closed form for every GPT preset", "[model]") {
  // 72 B s l h^2 (1 + s/(6h) + V/(12 l h)) (shared/reference/README.md); SC21's 96 B s l h^2 (1 + s/(6h) +
  // V/(16 l h)) is the same with the recompute forward added: 4/3 x (24 B s l h^2 (...) + 4 B s^2 l h) + ...
  // .
  for (const std::string& name : catalog().names()) {
    const TransformerConfig c = preset(name);
    if (c.architecture != "GPT2LMHeadModel") continue;
    INFO(name);
    const double B = 8, s = c.max_positions, l = c.layers, h = c.hidden, V = c.vocab;
    const double korthikanti = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
    CHECK(model_flops_per_step(c, 8, c.max_positions) == Approx(korthikanti).epsilon(1e-12));
    const double sc21 = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    const double with_recompute = model_flops_per_step(c, 8, c.max_positions) +
                                  forward_flops(c, c.max_positions) * B -
                                  2 * B * s * h * V;  // recompute reruns the layers, not the logits
    CHECK(with_recompute == Approx(sc21).epsilon(1e-12));
  }
}

TEST_CASE("GPT parameter counts follow Megatron's formula plus the final LayerNorm", "[model]") {
  // P = 12 l h^2 (1 + 13/(12h) + (V + s)/(12 l h)) (Narayanan et al. SC21, section 5.1), + 2h final
  // LayerNorm.
  for (const char* name : {"gpt-1.7b", "gpt-18.4b", "gpt-145.6b", "gpt-1t", "gpt3-175b"}) {
    INFO(name);
    const TransformerConfig c = preset(name);
    const double l = c.layers, h = c.hidden, V = c.vocab, s = c.max_positions;
    const double megatron = 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h));
    CHECK(count_parameters(c).total == Approx(megatron + 2 * h).epsilon(1e-12));
  }
}

TEST_CASE("parameter counts match the published sizes", "[model]") {
  struct Published {
    const char* name;
    double total;
    double active;
    double tolerance;  // published sizes are rounded
  };
  const Published published[] = {
      {"llama3-8b", 8.03e9, 8.03e9, 0.005},
      {"mistral-7b", 7.24e9, 7.24e9, 0.005},  // HF model card: 7.24B parameters
      {"llama3-70b", 70.6e9, 70.6e9, 0.005},
      {"llama3.1-405b", 405.9e9, 405.9e9, 0.005},
      {"llama2-70b", 69.0e9, 69.0e9, 0.005},
      {"mixtral-8x7b", 46.7e9, 12.9e9, 0.005},
      {"mixtral-8x22b", 141e9, 39e9, 0.01},
      {"qwen3-235b-a22b", 235e9, 22e9, 0.01},
      {"deepseek-v3", 671e9, 37e9, 0.02},
      {"gpt3-175b", 175e9, 175e9, 0.005},
      {"gpt-1.7b", 1.7e9, 1.7e9, 0.03},
      {"qwen3-30b-a3b", 30.5e9, 3.3e9, 0.02},
      {"gpt-529.6b", 529.6e9, 529.6e9, 0.01},
      {"gpt2-8b", 8.67e9, 8.67e9, 0.02},
      // Meta's model cards: 17B active of 109B and of 400B, counting the vision tower (not modelled, ~1%).
      {"llama4-scout", 109e9, 17e9, 0.02},
      {"llama4-maverick", 400e9, 17e9, 0.02},
  };
  for (const Published& p : published) {
    INFO(p.name);
    const ParameterCounts counts = count_parameters(preset(p.name));
    CHECK(std::fabs(counts.total - p.total) / p.total <= p.tolerance);
    CHECK(std::fabs(counts.active - p.active) / p.active <= p.tolerance);
  }
}

namespace {

nlohmann::json text_config_model(const nlohmann::json& text) {
  return {{"architectures", {"Llama4ForConditionalGeneration"}}, {"text_config", text}};
}

}  // namespace

TEST_CASE("MoE layer placement follows the config", "[model]") {
  const TransformerConfig deepseek = preset("deepseek-v3");
  CHECK_FALSE(deepseek.is_moe_layer(2));  // first_k_dense_replace = 3
  CHECK(deepseek.is_moe_layer(3));
  TransformerConfig qwen = preset("qwen3-235b-a22b");
  qwen.moe.moe_layer_interval = 2;
  qwen.moe.dense_layers = {5};
  CHECK_FALSE(qwen.is_moe_layer(0));
  CHECK(qwen.is_moe_layer(1));
  CHECK_FALSE(qwen.is_moe_layer(5));
}

TEST_CASE("Llama 4 configs: the text_config, interleaved MoE layers, a shared expert", "[model]") {
  const TransformerConfig maverick = preset("llama4-maverick");
  CHECK(maverick.moe.experts == 128);
  CHECK(maverick.moe.shared_experts == 1);
  CHECK(maverick.ffn_hidden == 16384);  // intermediate_size_mlp: the dense layers
  CHECK_FALSE(maverick.is_moe_layer(0));
  CHECK(maverick.is_moe_layer(1));  // HF's moe_layers: every interleave_moe_layer_step-th from step - 1
  CHECK(preset("llama4-scout").is_moe_layer(0));
  const strata::sim::JsonLocation where{"config.json", ""};
  const auto text = nlohmann::json::parse(R"({"num_hidden_layers": 4, "hidden_size": 64, "head_dim": 16,
      "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 32,
      "intermediate_size_mlp": 128, "vocab_size": 100, "num_local_experts": 4, "num_experts_per_tok": 1,
      "moe_layers": [2]})");
  const TransformerConfig explicit_layers = read_hf_config(text_config_model(text), where, "tiny");
  CHECK(explicit_layers.is_moe_layer(2));
  CHECK_FALSE(explicit_layers.is_moe_layer(1));
  CHECK_FALSE(explicit_layers.is_moe_layer(3));
  CHECK(error_of([&] {
          read_hf_config(nlohmann::json::parse(R"({"architectures": ["Llama4ForConditionalGeneration"]})"),
                         where, "x");
        }) ==
        "config.json: /: missing required key \"text_config\" (the language model of "
        "Llama4ForConditionalGeneration)");
  auto bad = text;
  bad["num_local_experts"] = "many";
  CHECK(error_of([&] { read_hf_config(text_config_model(bad), where, "x"); }) ==
        "config.json: /text_config/num_local_experts: expected an integer, found a string");
}

TEST_CASE("HuggingFace configs: supported architectures, typed keys, clear errors", "[model]") {
  const strata::sim::JsonLocation where{"config.json", ""};
  const auto llama = nlohmann::json::parse(R"({"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 2,
      "hidden_size": 256, "num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 512,
      "vocab_size": 1000, "max_position_embeddings": 128, "torch_dtype": "bfloat16", "rope_scaling": null})");
  const TransformerConfig small = read_hf_config(llama, where, "small");
  CHECK(small.head_dim == 32);
  CHECK_FALSE(small.tied_embeddings);
  // 2 x (q 256x256 + k,v 256x64 + o 256x256 + mlp 3x256x512 + 2 norms 256) + embed + head 2x1000x256 + norm
  // 256.
  CHECK(count_parameters(small).total == 2 * (65536 + 2 * 16384 + 65536 + 393216 + 512) + 512000 + 256);

  auto bad = llama;
  bad["architectures"] = {"T5ForConditionalGeneration"};
  CHECK(error_of([&] { read_hf_config(bad, where, "x"); })
            .find("config.json: /architectures/0: unsupported architecture \"T5ForConditionalGeneration\" "
                  "(supported: "
                  "GPT2LMHeadModel") == 0);
  bad = llama;
  bad["num_key_value_heads"] = 3;
  CHECK(error_of([&] { read_hf_config(bad, where, "x"); }) ==
        "config.json: /num_key_value_heads: 3 must divide num_attention_heads (8)");
  bad = llama;
  bad["hidden_size"] = "256";
  CHECK(error_of([&] { read_hf_config(bad, where, "x"); }) ==
        "config.json: /hidden_size: expected an integer, found a string");
  bad = llama;
  bad.erase("vocab_size");
  CHECK(error_of([&] { read_hf_config(bad, where, "x"); }) ==
        "config.json: /: missing required key \"vocab_size\"");
  bad = llama;
  bad["hidden_act"] = "relu2";
  CHECK(error_of([&] { read_hf_config(bad, where, "x"); }).find("/hidden_act: unsupported activation") !=
        std::string::npos);
  bad = llama;
  bad["num_hidden_layers"] = -1;
  CHECK(error_of([&] {
          read_hf_config(bad, where, "x");
        }).find("/num_hidden_layers: expected an integer in [0,") != std::string::npos);
  CHECK(error_of([] { catalog().preset("llama9-1t"); }).find("presets: deepseek-v3, gpt-1.7b") !=
        std::string::npos);
}

TEST_CASE("MPT configs: llm-foundry's parameter count, ALiBi instead of rotary, no dropout", "[model]") {
  const strata::sim::JsonLocation where{"mpt.json", ""};
  const auto mpt7b = nlohmann::json::parse(R"({"architectures": ["MPTForCausalLM"], "n_layers": 32,
      "d_model": 4096, "n_heads": 32, "expansion_ratio": 4, "vocab_size": 50368, "max_seq_len": 2048,
      "no_bias": false, "learned_pos_emb": true, "attn_config": {"alibi": true, "attn_pdrop": 0}})");
  const TransformerConfig c = read_hf_config(mpt7b, where, "mpt-7b");
  // llm-foundry's benchmark table prints NumParams 6,658,859,008 for MPT-7b at sequence 2048: embedding
  // 50368 x 4096 (tied) + positions 2048 x 4096 + 32 x (12 x 4096^2 + biases 9 x 4096 + two LayerNorms
  // 4 x 4096) + final LayerNorm 2 x 4096.
  CHECK(count_parameters(c).total == 6658859008.0);
  CHECK(c.ffn_hidden == 16384);
  CHECK(c.alibi);
  CHECK_FALSE(c.uses_rotary());
  CHECK_FALSE(c.trained_with_dropout());
  auto dropout = mpt7b;
  dropout["resid_pdrop"] = 0.1;
  CHECK(read_hf_config(dropout, where, "x").trained_with_dropout());
  auto bad = mpt7b;
  bad["attn_config"]["attn_type"] = "grouped_query_attention";
  CHECK(error_of([&] {
          read_hf_config(bad, where, "x");
        }).find("mpt.json: /attn_config/attn_type: unsupported attention \"grouped_query_attention\"") == 0);
  bad = mpt7b;
  bad["attn_config"] = 3;
  CHECK(error_of([&] {
          read_hf_config(bad, where, "x");
        }).find("/attn_config: expected a HuggingFace config") != std::string::npos);
}

TEST_CASE("a layer's weight tensors sum to its parameters, in Megatron's layout", "[model]") {
  for (const std::string& name : catalog().names()) {
    INFO(name);
    const TransformerConfig c = preset(name);
    const ParameterCounts counts = count_parameters(c);
    const double final_norm = c.norm == NormKind::kLayerNorm ? 2.0 * c.hidden : c.hidden;
    double layers = 0;
    for (int layer = 0; layer < c.layers; ++layer) {
      for (const WeightTensor& t : layer_weight_tensors(c, layer)) layers += t.parameters;
    }
    CHECK(layers == Approx(counts.total - counts.embedding - counts.lm_head - final_norm).epsilon(1e-12));
  }
  // GPT-3 175B (biases, LayerNorm): 12 tensors per layer as Megatron-LM's ParallelTransformerLayer holds
  // them: two LayerNorms (weight, bias), query_key_value, dense, dense_h_to_4h, dense_4h_to_h, each with a
  // bias.
  const auto gpt = layer_weight_tensors(preset("gpt3-175b"), 0);
  REQUIRE(gpt.size() == 12);
  CHECK(gpt[2].parameters == 12288.0 * 3 * 12288);
  // Mixtral: RMSNorm, q/k/v fused, o, then the router and 8 experts of two matrices each.
  const auto mixtral = layer_weight_tensors(preset("mixtral-8x7b"), 0);
  CHECK(mixtral.size() == 1 + 2 + 1 + 1 + 8 * 2);
  CHECK(mixtral.back().expert);
}
