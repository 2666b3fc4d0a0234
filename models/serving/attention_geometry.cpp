#include "models/serving/attention_geometry.hpp"

namespace strata::models {

namespace {

AttentionGeometry grouped_query(const TransformerConfig& model, int tp) {
  AttentionGeometry g;
  const double d = model.head_dim;
  const double kv_heads = (model.kv_heads + tp - 1) / tp;
  g.heads = static_cast<double>(model.heads) / tp;
  g.prefill_qk_dim = g.prefill_v_dim = g.decode_qk_dim = g.decode_v_dim = d;
  g.prefill_io_per_token = (2 * g.heads + 2 * kv_heads) * d;
  g.decode_io_per_request = 2 * g.heads * d;
  g.kv_elements_per_token = 2 * kv_heads * d;
  g.elementwise_per_token = (g.heads + kv_heads) * d;  // rotary on q and k
  g.activation_width = (model.heads + 2.0 * model.kv_heads) * d / tp;
  g.projections = {{(g.heads + 2 * kv_heads) * d, static_cast<double>(model.hidden)},
                   {static_cast<double>(model.hidden), g.heads * d}};
  return g;
}

AttentionGeometry latent(const TransformerConfig& model, int tp) {
  const MlaConfig& m = model.mla;
  AttentionGeometry g;
  const double h = model.hidden;
  const double qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
  const double cached = m.kv_lora_rank + m.qk_rope_head_dim;
  g.heads = static_cast<double>(model.heads) / tp;
  g.prefill_qk_dim = qk;
  g.prefill_v_dim = m.v_head_dim;
  g.decode_qk_dim = cached;
  g.decode_v_dim = m.kv_lora_rank;
  g.prefill_io_per_token = g.heads * (2 * qk + 2 * m.v_head_dim);
  g.decode_io_per_request = g.heads * (g.decode_qk_dim + g.decode_v_dim);
  g.kv_elements_per_token = cached;
  g.activation_width = g.heads * (2 * qk + m.v_head_dim);
  // Rotary on the queries' and the shared key's rope parts; RMSNorm of the two latents.
  g.elementwise_per_token =
      g.heads * m.qk_rope_head_dim + m.qk_rope_head_dim + m.q_lora_rank + m.kv_lora_rank;
  if (m.q_lora_rank > 0) {
    g.projections.push_back({static_cast<double>(m.q_lora_rank) + cached, h});  // q and kv compression
    g.projections.push_back({g.heads * qk, static_cast<double>(m.q_lora_rank)});
  } else {
    g.projections.push_back({cached, h});
    g.projections.push_back({g.heads * qk, h});
  }
  g.projections.push_back(
      {g.heads * (m.qk_nope_head_dim + m.v_head_dim), static_cast<double>(m.kv_lora_rank)});
  g.projections.push_back({h, g.heads * m.v_head_dim});
  return g;
}

}  // namespace

AttentionGeometry attention_geometry(const TransformerConfig& model, int tp) {
  return model.uses_mla() ? latent(model, tp) : grouped_query(model, tp);
}

double replicated_attention_parameters(const TransformerConfig& model) {
  if (!model.uses_mla()) return 0;
  const MlaConfig& m = model.mla;
  return static_cast<double>(model.layers) * model.hidden *
         (m.q_lora_rank + m.kv_lora_rank + m.qk_rope_head_dim);
}

}  // namespace strata::models
