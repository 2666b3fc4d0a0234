#include "models/workload/transformer_config.hpp"

#include <algorithm>

#include "sim/error.hpp"

namespace strata::models {
namespace {

struct LayerCounts {
  double attention_matmul = 0;  // weights used in matrix multiplies
  double attention_other = 0;   // biases and MLA norms
  double mlp_matmul_total = 0;
  double mlp_matmul_active = 0;
  double mlp_other = 0;  // biases, shared-expert gate
  double norms = 0;
  double attention_core_per_token_pair = 0;  // FLOPs per (query, key) pair: 2 * heads * (qk_dim + v_dim)
};

double d(int value) { return static_cast<double>(value); }

LayerCounts layer_counts(const TransformerConfig& c, int layer) {
  LayerCounts counts;
  const double h = d(c.hidden);
  const double heads = d(c.heads);
  if (c.uses_mla()) {
    // DeepSeek-V2/V3 MLA: q = W_qb norm(W_qa x) (or W_q x), [c_kv, k_rope] = W_kva x, [k_nope, v] = W_kvb
    // norm(c_kv).
    const MlaConfig& m = c.mla;
    const double qk = d(m.qk_nope_head_dim + m.qk_rope_head_dim);
    const double q =
        m.q_lora_rank > 0 ? h * d(m.q_lora_rank) + d(m.q_lora_rank) * heads * qk : h * heads * qk;
    counts.attention_matmul = q + h * d(m.kv_lora_rank + m.qk_rope_head_dim) +
                              d(m.kv_lora_rank) * heads * d(m.qk_nope_head_dim + m.v_head_dim) +
                              heads * d(m.v_head_dim) * h;
    counts.attention_other = d(m.q_lora_rank) + d(m.kv_lora_rank);  // the two RMSNorms inside MLA
    counts.attention_core_per_token_pair = 2.0 * heads * (qk + d(m.v_head_dim));
  } else {
    const double q_out = heads * d(c.head_dim);
    const double kv_out = d(c.kv_heads) * d(c.head_dim);
    counts.attention_matmul = h * q_out + 2.0 * h * kv_out + q_out * h;
    if (c.linear_biases)
      counts.attention_other = q_out + 2.0 * kv_out + h;
    else if (c.qkv_bias)
      counts.attention_other = q_out + 2.0 * kv_out;
    counts.attention_core_per_token_pair = 2.0 * heads * 2.0 * d(c.head_dim);
  }
  const double matrices = c.activation == MlpActivation::kSwiGlu ? 3.0 : 2.0;
  if (c.is_moe_layer(layer)) {
    const MoeConfig& moe = c.moe;
    const double router = h * d(moe.experts);
    const double expert = matrices * h * d(moe.expert_ffn_hidden);
    const double shared = matrices * h * d(moe.shared_ffn_hidden);
    counts.mlp_matmul_total = router + d(moe.experts) * expert + shared;
    counts.mlp_matmul_active = router + d(moe.experts_per_token) * expert + shared;
    if (moe.shared_expert_gate) counts.mlp_other = h;
  } else {
    counts.mlp_matmul_total = matrices * h * d(c.ffn_hidden);
    counts.mlp_matmul_active = counts.mlp_matmul_total;
    if (c.linear_biases) counts.mlp_other = d(c.ffn_hidden) * (matrices - 1.0) + h;
  }
  counts.norms = 2.0 * (c.norm == NormKind::kLayerNorm ? 2.0 * h : h);
  return counts;
}

[[noreturn]] void bad(const std::string& source, const std::string& field, const std::string& detail) {
  throw sim::InputError(source, "/" + field, detail);
}

}  // namespace

bool TransformerConfig::is_moe_layer(int layer) const {
  if (moe.experts == 0 || layer < moe.first_dense_layers) return false;
  if (std::find(moe.dense_layers.begin(), moe.dense_layers.end(), layer) != moe.dense_layers.end())
    return false;
  return (layer + 1) % std::max(1, moe.moe_layer_interval) == 0;
}

void validate(const TransformerConfig& c, const std::string& source) {
  const auto positive = [&](int value, const char* field) {
    if (value <= 0) bad(source, field, "must be a positive integer, got " + std::to_string(value));
  };
  positive(c.layers, "num_hidden_layers");
  positive(c.hidden, "hidden_size");
  positive(c.heads, "num_attention_heads");
  positive(c.vocab, "vocab_size");
  if (!c.uses_mla()) {
    positive(c.kv_heads, "num_key_value_heads");
    positive(c.head_dim, "head_dim");
    if (c.heads % c.kv_heads != 0) {
      bad(source, "num_key_value_heads",
          std::to_string(c.kv_heads) + " must divide num_attention_heads (" + std::to_string(c.heads) + ")");
    }
  } else {
    positive(c.mla.kv_lora_rank, "kv_lora_rank");
    positive(c.mla.qk_nope_head_dim + c.mla.qk_rope_head_dim, "qk_nope_head_dim + qk_rope_head_dim");
    positive(c.mla.v_head_dim, "v_head_dim");
  }
  bool any_dense = c.moe.experts == 0;
  for (int layer = 0; layer < c.layers && !any_dense; ++layer) any_dense = !c.is_moe_layer(layer);
  if (any_dense) positive(c.ffn_hidden, "intermediate_size");
  if (c.moe.experts > 0) {
    positive(c.moe.experts_per_token, "num_experts_per_tok");
    positive(c.moe.expert_ffn_hidden, "moe_intermediate_size");
    if (c.moe.experts_per_token > c.moe.experts) {
      bad(source, "num_experts_per_tok",
          std::to_string(c.moe.experts_per_token) + " is more than the " + std::to_string(c.moe.experts) +
              " experts");
    }
  }
  if (c.learned_positions) positive(c.max_positions, "max_position_embeddings");
}

ParameterCounts count_parameters(const TransformerConfig& c) {
  ParameterCounts counts;
  const double h = d(c.hidden);
  counts.embedding = d(c.vocab) * h + (c.learned_positions ? d(c.max_positions) * h : 0.0);
  counts.lm_head = c.tied_embeddings ? 0.0 : d(c.vocab) * h;
  double active = 0;
  for (int layer = 0; layer < c.layers; ++layer) {
    const LayerCounts l = layer_counts(c, layer);
    counts.attention += l.attention_matmul + l.attention_other;
    counts.mlp += l.mlp_matmul_total + l.mlp_other;
    counts.norms += l.norms;
    active += l.attention_matmul + l.attention_other + l.mlp_matmul_active + l.mlp_other + l.norms;
  }
  counts.norms += c.norm == NormKind::kLayerNorm ? 2.0 * h : h;  // final norm
  const double outside = counts.embedding + counts.lm_head + (c.norm == NormKind::kLayerNorm ? 2.0 * h : h);
  counts.total = counts.attention + counts.mlp + counts.norms + counts.embedding + counts.lm_head;
  counts.active = active + outside;
  return counts;
}

std::vector<WeightTensor> layer_weight_tensors(const TransformerConfig& c, int layer) {
  std::vector<WeightTensor> tensors;
  const auto add = [&tensors](double parameters, bool expert = false) {
    if (parameters > 0) tensors.push_back({parameters, expert});
  };
  const double h = d(c.hidden);
  const auto norm = [&] {
    add(h);
    if (c.norm == NormKind::kLayerNorm) add(h);
  };
  norm();
  if (c.uses_mla()) {
    const MlaConfig& m = c.mla;
    const double heads = d(c.heads);
    const double qk = d(m.qk_nope_head_dim + m.qk_rope_head_dim);
    if (m.q_lora_rank > 0) {
      add(h * d(m.q_lora_rank));
      add(d(m.q_lora_rank));
      add(d(m.q_lora_rank) * heads * qk);
    } else {
      add(h * heads * qk);
    }
    add(h * d(m.kv_lora_rank + m.qk_rope_head_dim));
    add(d(m.kv_lora_rank));
    add(d(m.kv_lora_rank) * heads * d(m.qk_nope_head_dim + m.v_head_dim));
    add(heads * d(m.v_head_dim) * h);
  } else {
    const double qkv = d(c.heads) * d(c.head_dim) + 2.0 * d(c.kv_heads) * d(c.head_dim);
    add(h * qkv);
    if (c.linear_biases || c.qkv_bias) add(qkv);
    add(d(c.heads) * d(c.head_dim) * h);
    if (c.linear_biases) add(h);
  }
  norm();
  const double up_matrices = c.activation == MlpActivation::kSwiGlu ? 2.0 : 1.0;
  const auto mlp = [&](double ffn, bool expert, bool biases) {
    add(up_matrices * h * ffn, expert);
    if (biases) add(up_matrices * ffn, expert);
    add(ffn * h, expert);
    if (biases) add(h, expert);
  };
  if (c.is_moe_layer(layer)) {
    add(h * d(c.moe.experts));
    for (int e = 0; e < c.moe.experts; ++e) mlp(d(c.moe.expert_ffn_hidden), true, false);
    if (c.moe.shared_ffn_hidden > 0) mlp(d(c.moe.shared_ffn_hidden), false, false);
    if (c.moe.shared_expert_gate) add(h);
  } else {
    mlp(d(c.ffn_hidden), false, c.linear_biases);
  }
  return tensors;
}

double forward_flops(const TransformerConfig& c, std::int64_t seq_len) {
  const double s = static_cast<double>(seq_len);
  double flops = 0;
  for (int layer = 0; layer < c.layers; ++layer) {
    const LayerCounts l = layer_counts(c, layer);
    flops += 2.0 * s * (l.attention_matmul + l.mlp_matmul_active) + s * s * l.attention_core_per_token_pair;
  }
  return flops + 2.0 * s * d(c.hidden) * d(c.vocab);  // logits (the LM head, tied or not)
}

std::vector<OperatorSummary> layer_operators(const TransformerConfig& c, int layer, std::int64_t seq_len) {
  const LayerCounts l = layer_counts(c, layer);
  std::vector<OperatorSummary> ops;
  ops.push_back({c.uses_mla() ? "attention projections (MLA: q, kv compression, o)"
                              : "attention projections (q, k, v, o)",
                 l.attention_matmul + l.attention_other, 2.0 * l.attention_matmul});
  ops.push_back({"attention core (scores, softmax, weighted sum)", 0.0,
                 static_cast<double>(seq_len) * l.attention_core_per_token_pair});
  if (c.is_moe_layer(layer)) {
    const double h = d(c.hidden);
    const double matrices = c.activation == MlpActivation::kSwiGlu ? 3.0 : 2.0;
    const double expert = matrices * h * d(c.moe.expert_ffn_hidden);
    ops.push_back({"router", h * d(c.moe.experts), 2.0 * h * d(c.moe.experts)});
    ops.push_back({"routed experts (" + std::to_string(c.moe.experts_per_token) + " of " +
                       std::to_string(c.moe.experts) + " per token)",
                   d(c.moe.experts) * expert, 2.0 * d(c.moe.experts_per_token) * expert});
    if (c.moe.shared_ffn_hidden > 0) {
      const double shared = matrices * h * d(c.moe.shared_ffn_hidden);
      ops.push_back({"shared experts", shared + l.mlp_other, 2.0 * shared});
    }
  } else {
    ops.push_back({c.activation == MlpActivation::kSwiGlu ? "mlp (gate, up, down)" : "mlp (up, down)",
                   l.mlp_matmul_total + l.mlp_other, 2.0 * l.mlp_matmul_total});
  }
  ops.push_back({"norms and residuals", l.norms, 0.0});
  return ops;
}

double model_flops_per_step(const TransformerConfig& c, std::int64_t sequences, std::int64_t seq_len) {
  return 3.0 * static_cast<double>(sequences) * forward_flops(c, seq_len);
}

}  // namespace strata::models
