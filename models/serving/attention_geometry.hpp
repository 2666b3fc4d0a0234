// The shape of one layer's attention on one GPU of a serving replica, for the two attention kinds the
// models use (DESIGN.md, models/: "serving"):
//  - grouped-query attention (Llama, Qwen, Mixtral): heads / tp query heads and their share of the KV heads
//    (a KV head is copied when tp exceeds them); the cache keeps K and V of each;
//  - multi-head latent attention (DeepSeek-V2/V3, "DeepSeek-V2", arXiv 2405.04434, section 2.1): the cache
//    keeps one compressed latent of kv_lora_rank and a shared rotary key of qk_rope_head_dim per token,
//    (kv_lora_rank + qk_rope_head_dim) x layers elements, the same on every GPU of the tp group (vLLM's and
//    TensorRT-LLM's MLA replicate it: it is shared by all heads). Prefill decompresses keys and values and
//    runs attention with query/key dim qk_nope + qk_rope and value dim v_head_dim; decode absorbs the
//    expansion into the query and output projections (the paper's section 2.1.2) and attends over the
//    latent directly: query/key dim kv_lora_rank + qk_rope_head_dim, value dim kv_lora_rank, one latent read
//    for all heads. The q and kv compressions run on every GPU (vLLM's ReplicatedLinear); the expansions and
//    the output projection are split by heads. The kv expansion costs the same multiply-adds per token
//    whether it decompresses (prefill) or is absorbed (decode): kv_lora_rank x heads x (qk_nope + v).
#pragma once

#include <vector>

#include "models/workload/transformer_config.hpp"

namespace strata::models {

struct ProjectionGemm {
  double n = 0;  // output width on one GPU
  double k = 0;  // input width
};

struct AttentionGeometry {
  double heads = 0;  // query heads on one GPU
  // Per query head: query-key and value widths of the prefill kernel, and of the decode kernel.
  double prefill_qk_dim = 0;
  double prefill_v_dim = 0;
  double decode_qk_dim = 0;
  double decode_v_dim = 0;
  double prefill_io_per_token = 0;   // 16-bit elements a prompt token's Q, K, V read and O written
  double decode_io_per_request = 0;  // 16-bit elements a decoding request's query read and output written
  double kv_elements_per_token = 0;  // one layer's cache of one token on one GPU
  double elementwise_per_token = 0;  // elements of the passes on the projections (rotary; MLA's norms)
  double activation_width = 0;       // elements a token's q, k and v keep alive on one GPU (prefill)
  std::vector<ProjectionGemm> projections;  // the attention block's GEMMs, m = tokens
};

// `tp`: the GPUs sharing one attention's heads (Deployment::attention_tp).
AttentionGeometry attention_geometry(const TransformerConfig& model, int tp);

// Parameters every GPU of a tp group holds whole rather than a 1/tp share: MLA's q and kv compressions.
double replicated_attention_parameters(const TransformerConfig& model);

}  // namespace strata::models
