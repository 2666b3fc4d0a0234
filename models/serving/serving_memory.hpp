// What one GPU of a serving replica holds, and so how many tokens its KV cache keeps (the number that decides
// how many requests run at once).
//
//  - weights: at the deployment's weights dtype, except the token embedding and the LM head, kept in 16-bit
//    (NVIDIA ModelOpt's FP8/FP4 recipes leave lm_head unquantized, and an embedding is a lookup table, not a
//    GEMM operand). Routed experts are sharded over the replica's tp GPUs (ep groups of experts, each expert
//    over tp / ep); everything else over tp, or, with attention_dp, whole on every GPU (TensorRT-LLM builds
//    attention, dense MLPs, shared experts, embedding and LM head without tp under attention dp);
//  - activations: the largest iteration's live tensors, max_num_tokens tokens at the MLP, where the most is
//    alive: its input and the gate/up output (2 x ffn / tp), plus the query/key/value projection, in 16-bit;
//    and the logits of max_batch_size sequences in fp32 (what the sampler reads). TensorRT-LLM sizes the
//    KV cache after a dry run of such an iteration (its KV-cache "profiling" pass);
//  - with pp, each GPU holds its stage's layers and tables; the figures are those of the stage that has the
//    fewest KV blocks (every stage keeps the KV of every request's tokens for its layers);
//  - KV cache: kv_memory_fraction of what is left, in blocks of kv_block_tokens tokens. One token takes
//      2 (K and V) x stage layers x ceil(kv_heads / tp) x head_dim x bytes(kv dtype)
//    per GPU: with fewer KV heads than tp each GPU keeps a copy of one head; with attention_dp every GPU
//    keeps every head of its own requests.
#pragma once

#include <cstdint>

#include "models/hardware/gpu_profile.hpp"
#include "models/serving/batch_limits.hpp"
#include "models/serving/deployment.hpp"
#include "models/workload/transformer_config.hpp"

namespace strata::models {

struct ServingMemory {
  double capacity_bytes = 0;  // one GPU
  double weights_bytes = 0;
  double activation_bytes = 0;
  double kv_cache_bytes = 0;
  double kv_bytes_per_token = 0;  // one GPU's share of one token's K and V over every layer
  std::int64_t kv_blocks = 0;     // blocks of kv_block_tokens tokens
  std::int64_t kv_block_tokens = 0;
  std::int64_t replica_kv_blocks = 0;  // a replica's blocks together: kv_blocks x its attention ranks
  // One scheduler's blocks: pp micro-batches split their stage's cache (each scheduler its own share).
  std::int64_t micro_batch_kv_blocks = 0;
  std::int64_t kv_tokens() const { return kv_blocks * kv_block_tokens; }
};

// A model's parameters as serving shards them: routed experts, everything else in the layers, and the
// 16-bit embedding and LM head.
struct ReplicaWeights {
  double experts = 0;
  double dense = 0;
  double sixteen_bit = 0;
};
ReplicaWeights replica_weights(const TransformerConfig& model);

// The layers [first_layer, end_layer) of one pipeline stage, and the tables it holds: the embedding on the
// first stage, the LM head on the last (with tied embeddings the last keeps a copy); `receives` on every
// stage but the first (activations from the one before).
struct ServingStage {
  int first_layer = 0;
  int end_layer = 0;
  bool embedding = true;
  bool lm_head = true;
  int layers() const { return end_layer - first_layer; }
};
// The whole model as one stage (no pipeline parallelism).
ServingStage whole_model(const TransformerConfig& model);
// Stage `index` of the deployment's pp (the first layers % pp stages take one layer more).
ServingStage serving_stage(const TransformerConfig& model, const Deployment& deployment, int index);

// KV heads one GPU of a tp group keeps.
int kv_heads_per_gpu(const TransformerConfig& model, int tp);
// One GPU's share of one token's K and V over `layers` layers (the formula above).
double kv_bytes_per_token(const TransformerConfig& model, const Deployment& deployment, int layers);

// Throws sim::InputError (path "/tp") when weights and activations leave no room for a single KV block.
ServingMemory serving_memory(const TransformerConfig& model, const Deployment& deployment,
                             const GpuProfile& gpu, const BatchLimits& limits);

}  // namespace strata::models
