// The time of one iteration of a serving replica: one forward pass over every request in its batch, on one
// GPU of its tensor-parallel group (all of them do the same work), built from the kernels training uses
// (models/cost/compute_cost.hpp) and NCCL's collectives (models/collectives/analytic_collective.hpp).
//
// Per layer, with T tokens in the batch (prefill chunks plus one per decoding request), h hidden, tp GPUs:
//  - GEMMs at the weights dtype (m = T): QKV (n = (heads + 2 kv_heads) head_dim / tp, k = h), output
//    projection (n = h, k = heads head_dim / tp), MLP up (and gate: n = 2 ffn / tp for SwiGLU), down (k = ffn
//    / tp). Small-m GEMMs are limited by reading their weights (the roofline's memory side), which is what
//    makes decoding memory-bound.
//  - attention as two fused kernels (TensorRT-LLM and vLLM run prefill and decode attention apart):
//      prefill: for a chunk of c prompt tokens after p cached ones, c p + c (c + 1) / 2 query-key pairs under
//      the causal mask; 4 x pairs x head_dim x heads / tp FLOPs (QK^T and PV, 2 FLOPs a multiply-add); it
//      reads the chunk's Q, K, V and writes O (16-bit) and reads the p cached tokens' K and V;
//      decode: each request's query against its L cached tokens: 4 L head_dim heads / tp FLOPs, and its K
//      and V read once (L x 2 x kv heads per GPU x head_dim x bytes(kv dtype)): memory-bound. With
//      prefix_attention "shared" the n decoding requests of a cached prefix read its K and V once, not n
//      times (the FLOPs stay).
//  - memory-bound kernels in 16-bit: two fused residual-add + norms (read residual and input, write both:
//    4 T h x 2 bytes each), rotary embedding of q and k (read and write), the MLP activation (SwiGLU reads 2
//    ffn / tp and writes ffn / tp per token; GELU reads and writes ffn / tp).
//  - tensor parallelism (tp > 1): two all-reduces of T x h x 2 bytes (Megatron's row-parallel outputs).
// MoE models (layers where is_moe_layer): the MLP is a router (16-bit GEMM, n = experts), the shared experts
// (a dense MLP) and the routed experts as grouped GEMMs: the T tokens' top-k copies are spread over ep GPU
// groups, so one GPU receives T k / ep of them, for its experts / ep experts, of which the expected number
// that any token picks is active = experts / ep x (1 - (1 - k / experts)^T) (uniform routing, the aim of
// every router's load balancing); each active expert multiplies T k / ep / active tokens by its weights
// (split over tp / ep GPUs), priced as one GEMM of that m over active x the expert's width, so a decode
// iteration reads each active expert's weights once. Routing permutes the copies in and out (memory-bound).
// Attention data parallelism (Deployment::attention_dp): each GPU of the replica runs attention, norms,
// dense MLPs and shared experts with unsharded weights on its own requests' tokens, and the MoE layers work
// on every GPU's tokens, gathered by an all-gather and returned by a reduce-scatter (T_all x h x 2 bytes
// over tp GPUs; TensorRT-LLM's CutlassFusedMoE under attention dp, tensorrt_llm/_torch/modules/fused_moe/
// fused_moe_cutlass.py). The GPUs step together (the collectives join them), so an iteration takes the
// slowest GPU's own work plus the MoE layers on all tokens.
// Swapped KV blocks (preemption "swap") move before the forward pass, as vLLM's worker swaps them: bytes =
// blocks x kv_block_tokens x the GPU's KV bytes per token, at the system's device-to-host (out) and
// host-to-device (in) bandwidth per GPU.
// Pipeline parallelism: a stage prices its own layers; the embedding is the first stage's, the LM head and
// sampling the last's; every other stage first receives the batch's activations (T x h x 2 bytes) as one
// send-recv from the previous stage's GPU.
// Per iteration: the embedding lookup (read and write T x h x 2 bytes), the LM head (16-bit GEMM, m =
// sequences that sample a token, n = vocab / tp, k = h) and sampling (a memory-bound pass over their fp32
// logits).
// Every kernel pays the profile's launch overhead (compute_cost.hpp). Not modelled yet: per-iteration host
// and scheduler time (CUDA graphs hide launches of decode iterations, but the Python scheduler runs between
// iterations), a framework's custom all-reduce for small messages (TensorRT-LLM's one-shot/two-shot kernels),
// split-K GEMMs (compute_cost.hpp runs a GEMM of fewer output tiles than SMs on that many SMs, so small-batch
// decoding GEMMs come out slower than cuBLAS's split-K kernels; large batches are unaffected), speculative
// decoding.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>

#include <optional>

#include "models/collectives/analytic_collective.hpp"
#include "models/collectives/collective_op.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"
#include "models/serving/attention_geometry.hpp"
#include "models/serving/deployment.hpp"
#include "models/serving/serving_memory.hpp"
#include "models/workload/transformer_config.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

// What one iteration of a replica processes.
struct BatchWork {
  std::int64_t prefill_tokens = 0;     // prompt tokens of this iteration's prefill chunks
  double prefill_pairs = 0;            // their causal query-key pairs (see above)
  std::int64_t prefill_cached = 0;     // tokens already cached before the chunks (their K, V are read)
  std::int64_t decode_requests = 0;    // requests generating one token each
  std::int64_t decode_context = 0;     // the cached tokens those requests attend to, summed
  std::int64_t decode_shared = 0;      // of them, tokens whose K and V a shared-prefix kernel reads once
  std::int64_t sampled_sequences = 0;  // sequences that produce a token (decoding, or finishing a prompt)
  std::int64_t swap_out_blocks = 0;    // KV blocks copied to host memory before the iteration (preemption)
  std::int64_t swap_in_blocks = 0;     // and back
  std::int64_t tokens() const { return prefill_tokens + decode_requests; }
};

// The iteration's time by kind of work; they run one after another on the replica's GPUs.
struct IterationTime {
  sim::SimTime gemm;
  sim::SimTime attention;
  sim::SimTime memory_bound;  // norms, activations, embedding, MoE routing, sampling
  sim::SimTime tp;            // tensor-parallel all-reduces, attention-dp gathers and scatters
  sim::SimTime swap;          // KV blocks to and from host memory (preemption by swapping)
  sim::SimTime pp;            // activations received from the previous pipeline stage
  sim::SimTime total() const { return gemm + attention + memory_bound + tp + swap + pp; }
  IterationTime& operator+=(const IterationTime& other);
};

class IterationCost {
 public:
  // Throws sim::InputError when the GPU has no GEMM data for the weights dtype or the system cannot hold
  // the tp group. The model and profiles must outlive this object; the deployment is copied. `stage`: the
  // pipeline stage priced (default: the whole model); `receive`: the send-recv scope its activations come
  // over from the previous stage (none on the first).
  IterationCost(const TransformerConfig& model, const Deployment& deployment, const GpuProfile& gpu,
                const SystemProfile& system, const ServingStage& stage = {},
                std::optional<CollectiveScope> receive = std::nullopt);

  // One iteration of a replica: `ranks` holds each attention rank's batch (one without attention_dp).
  IterationTime price(std::span<const BatchWork> ranks);
  IterationTime price(const BatchWork& work) { return price(std::span<const BatchWork>(&work, 1)); }

 private:
  // What depends only on a token count, over every layer: a GPU's own tokens (attention projections, norms,
  // dense MLPs, shared experts, router, tp all-reduces, embedding) or, for the routed experts, the replica's.
  const IterationTime& own_token_parts(std::int64_t tokens);
  const IterationTime& routed_expert_parts(std::int64_t tokens);
  IterationTime attention_and_sampling(const BatchWork& work);
  sim::SimTime tp_collective(CollectiveOp op, double bytes) const;

  const TransformerConfig& model_;
  Deployment deployment_;
  const GpuProfile& gpu_;
  const SystemProfile& system_;
  ServingStage stage_;
  std::optional<CollectiveScope> receive_;
  AttentionGeometry geometry_;
  double swap_block_bytes_;  // one GPU's bytes of a KV block of the stage's layers
  int dense_layers_ = 0;
  int moe_layers_ = 0;
  std::unordered_map<std::int64_t, IterationTime> own_by_tokens_;
  std::unordered_map<std::int64_t, IterationTime> routed_by_tokens_;
};

}  // namespace strata::models
