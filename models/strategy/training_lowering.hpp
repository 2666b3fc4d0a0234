// Lowers model x training setup x parallel strategy into an execution graph (models/graph): one rank per GPU,
// or one per pipeline stage standing for its symmetric peers (RankSet).
//
// Per micro-batch and pipeline stage, each tensor-parallel rank runs its layers' forward operators, then (by
// the schedule) their backward: per layer, norm, QKV GEMM, fused attention, output GEMM, the TP collective,
// norm, MLP GEMMs and activation, the TP collective (Megatron-LM's column/row-parallel layout, Shoeybi et al.
// 2019). Sequence parallelism (Korthikanti et al. 2022) turns each TP all-reduce into reduce-scatter plus
// all-gather and shards the norms. Backward runs a data-gradient and a weight-gradient GEMM per forward
// GEMM and fused-attention backward at 2.5x its forward FLOPs (Dao, FlashAttention-2, 2023: 5 matmuls vs 2).
// Causal attention executes half of the full s x s FLOPs. Full recompute reruns a layer's forward before its
// backward; selective recompute reruns the attention core.
// The first stage embeds, the last stage runs the LM head and the loss. Stages exchange activations and
// gradients with send/recv (b s h bytes, divided by t with sequence parallelism). GPipe runs all forwards
// then all backwards; 1F1B runs min(p - stage - 1, m) forwards, then one forward and one backward in turn;
// with vpp > 1, Megatron-LM's interleaved 1F1B: each stage holds vpp model chunks (virtual stage = chunk x p +
// stage, layers split over p x vpp), micro-batches go through the chunks in groups of p, and the warm-up is
// 2 (p - stage - 1) + (vpp - 1) p forwards (Narayanan et al. SC21, 2.2.2).
// Data parallelism reduces gradients in buckets on their own stream as soon as the last micro-batch's backward
// has produced them (all-reduce; ZeRO-1/2: reduce-scatter, then an all-gather of the updated 16-bit weights).
// ZeRO-3 / FSDP all-gathers each layer's weights before its forward and its backward (on a gather stream, one
// layer ahead) and reduce-scatters its gradients after its backward (on a reduce stream).
// The Adam step is memory-bound over the rank's (ZeRO-sharded) parameters, 30 bytes each (read fp32 weight,
// gradient, momentum and variance; write the first three and the 16-bit copy).
// Memory tasks allocate model states up front and each micro-batch's activations (memory_model.hpp) from its
// forward to its backward, so the executor's per-rank peak is the training peak.
#pragma once

#include <cstdint>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "models/strategy/parallel_strategy.hpp"

namespace strata::models {

struct LoweredTraining {
  ExecutionGraph graph;
  std::int64_t microbatches = 0;
  std::vector<int> stage_layers;  // per virtual stage (chunk x pp + stage)
  double model_flops_per_step = 0;  // 3 x forward, no recompute (workload/transformer_config.hpp)
  double hardware_flops_per_step = 0;  // model FLOPs plus recomputed forward FLOPs, same convention
  double tokens_per_step = 0;
};

// Which ranks the graph simulates. Data-parallel replicas run identical programs, and so do the TP ranks of a
// stage (Megatron-LM's layout is symmetric), so kSymmetricOnce keeps one rank per pipeline stage (replica
// 0, TP rank 0) whose collectives carry the whole communicator's GPUs for their cost; with analytic
// collectives its step time equals the full graph's. kAll instantiates every GPU.
enum class RankSet { kSymmetricOnce, kAll };

// Validates first (validate_strategy, check_lowering_support); `gpus` is the cluster size.
LoweredTraining lower_training(const TransformerConfig& model, const TrainingSpec& training,
                               const ParallelStrategy& strategy, int gpus, RankSet rank_set = RankSet::kSymmetricOnce);

}  // namespace strata::models
