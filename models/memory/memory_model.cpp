#include "models/memory/memory_model.hpp"

#include <algorithm>

#include "sim/error.hpp"

namespace strata::models {
namespace {

void require_positive(const ActivationInputs& in) {
  if (in.tp < 1 || in.cp < 1 || in.seq_len < 1 || in.micro_batch < 1) {
    throw sim::InputError("activation memory needs positive tp, cp, seq_len and micro_batch");
  }
}

}  // namespace

double layer_activation_bytes(const TransformerConfig& m, int layer, const ActivationInputs& in) {
  require_positive(in);
  const double t = in.tp;
  const double s = static_cast<double>(in.seq_len) / in.cp;
  const double b = static_cast<double>(in.micro_batch);
  const double h = m.hidden;
  const double sbh = s * b * h;
  const double replicated = in.sequence_parallel ? 1.0 / t : 1.0;  // the * terms
  if (in.recompute == Recompute::kFull) return 2.0 * sbh * replicated;

  const double heads = m.heads;
  const double q_width =
      m.uses_mla() ? heads * (m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim) : heads * m.head_dim;
  const double kv_width = m.uses_mla() ? heads * (m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim)
                                       : static_cast<double>(m.kv_heads) * m.head_dim;
  const double v_width =
      m.uses_mla() ? heads * m.mla.v_head_dim : static_cast<double>(m.kv_heads) * m.head_dim;
  const double o_width = m.uses_mla() ? heads * m.mla.v_head_dim : heads * m.head_dim;
  const double mask = in.dropout ? sbh * replicated : 0.0;

  // Bytes per element of a linear layer's saved input.
  const double linear_input = in.fp8_linear_inputs ? 1.0 : 2.0;
  double attention = linear_input * sbh * replicated + 2.0 * s * b * (q_width + kv_width + v_width) / t +
                     linear_input * s * b * o_width / t + mask;
  if (in.recompute != Recompute::kSelective) {
    attention += in.fused_attention
                     ? 4.0 * heads * s * b / t                            // softmax statistics (fp32)
                     : (in.dropout ? 5.0 : 2.0) * heads * s * s * b / t;  // softmax (+ dropout)
  }
  // MLP: routed tokens are processed by top-k experts, so a MoE layer keeps k expert activations per token.
  double ffn = m.ffn_hidden;
  double copies = 1.0;
  if (m.is_moe_layer(layer)) {
    ffn = m.moe.expert_ffn_hidden;
    copies = m.moe.experts_per_token;
  }
  // Per ffn-wide element: the activation's saved tensors at 2 bytes, the last of them (the MLP-down input) at
  // linear_input bytes.
  const double tensors = m.activation == MlpActivation::kSwiGlu ? 4.0 : 2.0;
  const double per_ffn_element = 2.0 * (tensors - 1.0) + linear_input;
  double mlp = linear_input * sbh * replicated + copies * per_ffn_element * s * b * ffn / t + mask;
  if (m.is_moe_layer(layer) && m.moe.shared_ffn_hidden > 0)
    mlp += per_ffn_element * s * b * m.moe.shared_ffn_hidden / t;
  const double norms = 2.0 * 2.0 * sbh * replicated;
  return attention + mlp + norms;
}

double output_activation_bytes(const TransformerConfig& m, const ActivationInputs& in) {
  require_positive(in);
  const double tokens = static_cast<double>(in.seq_len) / in.cp * static_cast<double>(in.micro_batch);
  return 4.0 * tokens * static_cast<double>(m.vocab) / in.tp;
}

double in_flight_microbatches(int pp, int vpp, std::int64_t microbatches, bool gpipe) {
  if (pp < 1 || vpp < 1 || microbatches < 1)
    throw sim::InputError("pipeline needs pp, vpp and micro-batches >= 1");
  const double m = static_cast<double>(microbatches);
  if (gpipe) return m;
  const double base = std::min<double>(pp, m);
  return vpp > 1 ? base * (1.0 + (pp - 1.0) / (static_cast<double>(pp) * vpp)) : base;
}

ModelStateBytes model_state_bytes(const ModelStateInputs& in) {
  if (in.dp < 1 || in.zero_stage < 0 || in.zero_stage > 3)
    throw sim::InputError("ZeRO stage must be 0..3 and dp >= 1");
  const double p = in.parameters_on_gpu;
  const double dp = in.dp;
  ModelStateBytes bytes;
  bytes.weights = 2.0 * p / (in.zero_stage >= 3 ? dp : 1.0);
  bytes.gradients = in.gradient_bytes * p / (in.zero_stage >= 2 ? dp : 1.0);
  bytes.optimizer = 12.0 * p / (in.zero_stage >= 1 ? dp : 1.0);
  return bytes;
}

}  // namespace strata::models
