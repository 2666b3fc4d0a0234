// A training setup and a parallel strategy, as a scenario states them (DESIGN.md; scenarios/README.md).
// Rank layout follows Megatron-LM: tensor-parallel ranks are adjacent (inside a node), then data-parallel,
// then pipeline: rank = (pp_index * dp + dp_index) * tp + tp_index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/hardware/dtype.hpp"
#include "models/memory/memory_model.hpp"
#include "models/workload/transformer_config.hpp"

namespace strata::models {

enum class PipelineSchedule { kGpipe, kOneFOneB };
std::string_view schedule_name(PipelineSchedule schedule);

// How the framework computes the attention core: one fused FlashAttention-style kernel (Dao et al. 2022;
// Megatron-Core with Transformer Engine), or Megatron-LM's unfused path of 2021-22 (batched GEMM Q K^T, fused
// scale-mask-softmax, dropout, batched GEMM with V), which materialises the s x s scores (Korthikanti et al.
// 2022, section 4.1, counts them).
enum class AttentionKernel { kFused, kUnfused };

struct TrainingSpec {
  std::int64_t seq_len = 0;
  std::int64_t global_batch = 0;  // sequences per step
  Dtype dtype = Dtype::kBf16;
  AttentionKernel attention = AttentionKernel::kFused;
};

struct ParallelStrategy {
  std::string name;
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int cp = 1;
  int ep = 1;
  int vpp = 1;
  std::int64_t micro_batch = 1;
  PipelineSchedule schedule = PipelineSchedule::kOneFOneB;
  bool sequence_parallel = false;
  Recompute recompute = Recompute::kNone;
  int zero = 0;
  int gradient_bytes = 4;                              // Megatron keeps fp32 gradients (memory_model.hpp)
  // Gradient bucket for the overlapped data-parallel reduction; 40M elements of fp32 is Megatron-LM's
  // default (megatron/core/distributed: bucket_size = max(40000000, 1000000 * dp)).
  std::int64_t dp_bucket_bytes = std::int64_t{40'000'000} * 4;
  std::vector<int> stage_layers;  // explicit layers per (virtual) stage, pp x vpp entries; empty: split evenly
  // Megatron-Core's --overlap-grad-reduce / --overlap-param-gather (PyTorch DDP overlaps by default): each
  // gradient bucket is reduced as soon as the last micro-batch's backward has produced it, and ZeRO-1/2's
  // all-gather of updated weights runs bucket by bucket under the next step's first forward. Off: buckets
  // wait for the end of the backward and the all-gather for the optimizer (Megatron-LM 2021).
  bool dp_overlap = true;
  // Megatron-Core's --tp-comm-overlap (needs sequence parallelism): each TP all-gather / reduce-scatter is
  // split and pipelined with the GEMM that consumes / produces it, so the pair takes about the longer of the two.
  bool tp_overlap = false;
  int world_size() const { return tp * pp * dp * cp; }
  std::int64_t microbatches(const TrainingSpec& training) const { return training.global_batch / (micro_batch * dp); }
};

// Throws sim::InputError with the field as its path ("/tp", "/global_batch", ...) for impossible
// combinations: TP must divide heads and KV heads, world size = TP x PP x CP x DP must equal the GPUs,
// global batch divisible by micro-batch x DP, PP at most the layers, stage_layers summing to the layers, EP
// dividing the experts.
void validate_strategy(const TransformerConfig& model, const TrainingSpec& training, const ParallelStrategy& strategy,
                       int gpus);
// Valid strategies the lowering does not model yet (CP, EP and MoE layers): an InputError
// naming the field, never a silent approximation.
void check_lowering_support(const TransformerConfig& model, const ParallelStrategy& strategy);

// Layers per pipeline stage: stage_layers when given, else as even as possible with the remainder going to
// the middle stages, so the first (embedding) and last (LM head) stages are the lighter ones.
std::vector<int> split_layers(int layers, int pp, const std::vector<int>& stage_layers);

// Parameters one GPU of pipeline stage `stage` holds: its layers' (over all its model chunks) divided by TP,
// plus the embedding on the first stage and the LM head on the last (a copy when tied, as Megatron keeps).
double stage_parameters(const TransformerConfig& model, const ParallelStrategy& strategy, int stage);

// The forward FLOPs recompute adds to a step, in the model-FLOPs convention (full s x s attention): every
// layer's forward for full recompute, the attention core for selective (Korthikanti et al. 2022: HFU).
double recompute_flops_per_step(const TransformerConfig& model, const TrainingSpec& training, Recompute recompute);

}  // namespace strata::models
