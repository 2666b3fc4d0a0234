// A training setup and a parallel strategy, as a scenario states them (DESIGN.md; scenarios/README.md).
// Rank layout follows Megatron-Core (rank_layout.hpp): tensor-parallel ranks are adjacent (inside a node),
// then context-parallel, then data-parallel, then pipeline; expert groups are folded over the same
// tp x cp x dp ranks of a stage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/framework/framework_profile.hpp"
#include "models/hardware/dtype.hpp"
#include "models/memory/memory_model.hpp"
#include "models/strategy/rank_placement.hpp"
#include "models/topology/memory_tier.hpp"
#include "models/workload/transformer_config.hpp"
#include "sim/name_table.hpp"

namespace strata::models {

// The pipeline schedule (pipeline_schedule.hpp: one descriptor per schedule, in the registry).
class PipelineScheduleKind;
// Megatron-LM's choice for a strategy that names no schedule: 1F1B, or interleaved 1F1B with vpp > 1
// (megatron/core/pipeline_parallel/schedules.py: get_forward_backward_func).
const PipelineScheduleKind& default_pipeline_schedule(int vpp = 1);

// How context parallelism exchanges keys and values: ring attention (Liu et al. 2023; Megatron-Core /
// Transformer Engine cp_comm_type "p2p": cp - 1 send/recv steps around the CP ring, each overlapped with one
// block of attention), or DeepSpeed-Ulysses (Jacobs et al. 2023: all-to-alls turn the sequence-sharded
// q, k, v into head-sharded ones before attention and back after).
enum class ContextParallelComm { kRing, kUlysses };
inline constexpr sim::NameTable<ContextParallelComm, 2> kContextParallelCommNames{
    {{{ContextParallelComm::kRing, "ring"}, {ContextParallelComm::kUlysses, "ulysses"}}}};

// How the framework computes the attention core: one fused FlashAttention-2 class kernel (Dao 2023;
// Megatron-Core with Transformer Engine), the FlashAttention kernel written in Triton (llm-foundry's
// attn_impl "triton", which its MPT benchmarks ran: scripts/train/benchmarking/submit_benchmarks.py
// defaults --attn_impl to triton; compute_cost.hpp, FusedAttentionKernel), or Megatron-LM's unfused path of
// 2021-22 (batched GEMM Q K^T, fused scale-mask-softmax, dropout, batched GEMM with V), which materialises
// the s x s scores (Korthikanti et al. 2022, section 4.1, counts them).
enum class AttentionKernel { kFused, kUnfused, kTriton };
inline constexpr sim::NameTable<AttentionKernel, 3> kAttentionKernelNames{
    {{{AttentionKernel::kFused, "fused"},
      {AttentionKernel::kUnfused, "unfused"},
      {AttentionKernel::kTriton, "triton"}}}};

// A strategy's offload tier (strategies[].offload): "none" (HBM), "cpu" (host memory) or "nvme".
inline constexpr sim::NameTable<MemoryTier, 3> kOffloadNames{
    {{{MemoryTier::kHbm, "none"}, {MemoryTier::kHostMemory, "cpu"}, {MemoryTier::kNvme, "nvme"}}}};

struct TrainingSpec {
  std::int64_t seq_len = 0;
  std::int64_t global_batch = 0;  // sequences per step
  Dtype dtype = Dtype::kBf16;
  AttentionKernel attention = AttentionKernel::kFused;
};

struct ParallelStrategy {
  std::string name;
  // The training framework and what it does differently (framework_profile.hpp); a scenario names it
  // (strategies[].framework), read from calibration/profiles/frameworks/. Default: megatron-core's settings.
  FrameworkProfile framework;
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int cp = 1;
  int ep = 1;
  int vpp = 1;
  std::int64_t micro_batch = 1;
  const PipelineScheduleKind* schedule = &default_pipeline_schedule();  // never null
  bool sequence_parallel = false;
  Recompute recompute = Recompute::kNone;
  int zero = 0;
  ContextParallelComm cp_comm = ContextParallelComm::kRing;
  // Tensor parallelism inside each expert (Megatron-Core --expert-tensor-parallel-size); the expert groups
  // ep x expert_tp fold over the stage's tp x cp x dp ranks (MoE parallel folding), the rest of them form the
  // expert-data-parallel group that reduces expert gradients.
  int expert_tp = 1;
  // Tokens of the busiest expert over the mean (max/mean) for routed MoE layers: the expert GEMMs and the
  // all-to-alls of every rank wait for the busiest one. 1: perfectly balanced routing.
  double moe_imbalance = 1.0;
  // Bytes per gradient element in the buffers that accumulate and reduce gradients over data parallelism:
  // default_gradient_bytes() of the training dtype unless a scenario says (strategies[].gradient_dtype).
  int gradient_bytes = 4;
  // Gradient bucket for the overlapped data-parallel reduction; Megatron-LM's default is 40M elements
  // (megatron/core/distributed: bucket_size = max(40000000, 1000000 * dp)) of gradient_bytes each.
  static constexpr std::int64_t kDefaultBucketElements = 40'000'000;
  std::int64_t dp_bucket_bytes = kDefaultBucketElements * 4;
  // Sets gradient_bytes and the default bucket of that many bytes per element.
  void set_gradient_bytes(int bytes) {
    gradient_bytes = bytes;
    dp_bucket_bytes = kDefaultBucketElements * bytes;
  }
  std::vector<int>
      stage_layers;  // explicit layers per (virtual) stage, pp x vpp entries; empty: split evenly
  // Megatron-Core's --overlap-grad-reduce / --overlap-param-gather (PyTorch DDP overlaps by default): each
  // gradient bucket is reduced as soon as the last micro-batch's backward has produced it, and ZeRO-1/2's
  // all-gather of updated weights runs bucket by bucket under the next step's first forward. Off: buckets
  // wait for the end of the backward and the all-gather for the optimizer (Megatron-LM 2021).
  bool dp_overlap = true;
  // Megatron-Core's --tp-comm-overlap (needs sequence parallelism): each TP all-gather / reduce-scatter is
  // split and pipelined with the GEMM that consumes / produces it, so the pair takes about the longer of the
  // two.
  bool tp_overlap = false;
  // Hybrid sharded data parallelism (PyTorch FSDP's HYBRID_SHARD, "HSDP"; DeepSpeed MiCS): ZeRO shards model
  // states over groups of dp_shard data-parallel ranks (dp x cp ranks, with context parallelism) and
  // replicates them over the dp x cp / dp_shard groups, which all-reduce their shards' gradients. 0: shard
  // over the whole data-parallel group (plain ZeRO / FSDP). Dense parameters only: routed experts shard over
  // their expert-data-parallel group as before.
  int dp_shard = 0;
  // ZeRO-Offload / ZeRO-Infinity (DeepSpeed offload_optimizer / offload_param): the fp32 master weights,
  // Adam moments and the gradient shard live in host memory (or the optimizer states on NVMe) and the Adam
  // step runs on the CPU; each rank sends its reduced gradient shard to the host and gets its updated 16-bit
  // weights back. With `offload_parameters` (ZeRO-3 only) the 16-bit weight shards live there too and are
  // fetched before every all-gather. kHbm: no offload.
  MemoryTier offload = MemoryTier::kHbm;
  bool offload_parameters = false;
  // Fully sharded sparse data parallelism for the routed experts (Qing et al., "Hecate: Unlocking Efficient
  // Sparse Model Training via Fully Sharded Sparse Data Parallelism", 2025): the experts' weights, gradients
  // and optimizer states are sharded over all tp x cp x dp ranks of the stage, each rank materialises the
  // experts it hosts this step (ep x expert_tp placement) with one sparse all-gather per layer before the
  // step's first forward of it, keeps them for the step, and returns their gradients with one sparse
  // reduce-scatter after its last backward. The placement follows the step's expert loads, so the busiest
  // expert does not set the pace: expert work and dispatch run at the mean load (the extra materialisation
  // of replicated hot experts is not modelled).
  bool fssdp = false;
  // Which GPU each rank runs on (rank_placement.hpp): Megatron-Core's order by default.
  RankPlacement placement;
  int world_size() const { return tp * pp * dp * cp; }
  int zero_shard() const { return dp_shard > 0 ? dp_shard : dp * cp; }
  bool hybrid_shard() const { return zero_shard() < dp * cp; }
  // Ranks of one pipeline stage, and the expert-data-parallel degree folded into them.
  int stage_ranks() const { return tp * cp * dp; }
  // The degree of a placement axis (rank_placement.hpp): tp, cp, dp or pp.
  int degree(PlacementAxis axis) const {
    switch (axis) {
      case PlacementAxis::kTensor: return tp;
      case PlacementAxis::kContext: return cp;
      case PlacementAxis::kData: return dp;
      case PlacementAxis::kPipeline: return pp;
    }
    return 1;
  }
  int expert_dp() const { return stage_ranks() / (ep * expert_tp); }
  // Tokens of the busiest expert over the mean that the expert work waits for: 1 under FSSDP's placement.
  double expert_load_imbalance() const { return fssdp ? 1.0 : moe_imbalance; }
  std::int64_t microbatches(const TrainingSpec& training) const {
    return training.global_batch / (micro_batch * dp);
  }
};

// Megatron-LM's gradient buffers: fp32 for bf16 training (arguments.py turns on
// --accumulate-allreduce-grads-in-fp32 for bf16; FP8 training keeps bf16 parameters, so the same), the
// parameters' own 2 bytes for fp16 training (that flag is off by default), 4 for fp32.
int default_gradient_bytes(Dtype training_dtype);

// Throws sim::InputError with the field as its path ("/tp", "/global_batch", ...) for impossible
// combinations: TP must divide heads and KV heads, world size = TP x PP x CP x DP must equal the GPUs,
// global batch divisible by micro-batch x DP, PP at most the layers, stage_layers summing to the layers, EP
// dividing the experts, ep x expert_tp dividing tp x cp x dp, the sequence divisible into 2 x cp chunks, the
// heads over tp x cp for Ulysses, MoE with TP needing sequence parallelism (as Megatron-Core asserts), ZB-H1
// without virtual stages, dp_shard dividing dp x cp with ZeRO on, offload with ZeRO (NVMe and parameters
// with ZeRO-3, as DeepSpeed allows), a placement naming every axis of degree above 1. Options that would
// change nothing are refused too: moe_imbalance on a dense model, sequence parallelism with tp 1, Ulysses
// with cp 1, ZeRO, dp_overlap or dp_bucket without gradient reduction, dp_overlap false with ZeRO-3, a
// dp_bucket below one layer's gradients.
void validate_strategy(const TransformerConfig& model, const TrainingSpec& training,
                       const ParallelStrategy& strategy, int gpus);

// Whether the step reduces gradients over data-parallel ranks: dp x cp > 1, or routed experts with more than
// one rank per expert group (expert data parallelism).
bool reduces_gradients(const TransformerConfig& model, const ParallelStrategy& strategy);

// Layers per pipeline stage: stage_layers when given, else as even as possible with the remainder going to
// the middle stages, so the first (embedding) and last (LM head) stages are the lighter ones.
std::vector<int> split_layers(int layers, int pp, const std::vector<int>& stage_layers);

// Parameters of one layer, split by how they are sharded: `dense` over TP (attention, dense MLP, router,
// shared experts, norms), `expert` the routed experts over EP x expert_tp.
struct LayerParameters {
  double dense = 0;
  double expert = 0;
};
LayerParameters layer_parameters(const TransformerConfig& model, int layer);

// Parameters one GPU of pipeline stage `stage` holds: its layers' (over all its model chunks), dense ones
// divided by TP and routed experts by EP x expert_tp, plus the embedding on the first stage and the LM head
// on the last (a copy when tied, as Megatron keeps).
LayerParameters stage_parameters(const TransformerConfig& model, const ParallelStrategy& strategy, int stage);

// Model-state bytes one GPU of the stage holds: dense parameters sharded by ZeRO over the data-parallel
// ranks (dp x cp, Megatron's data-parallel group with context parallelism; dp_shard of them with hybrid
// sharding), expert parameters over the expert-data-parallel group.
double stage_model_state_bytes(const TransformerConfig& model, const ParallelStrategy& strategy, int stage);

// What the activation memory model needs from the model, the training run and the strategy.
ActivationInputs activation_inputs(const TransformerConfig& model, const TrainingSpec& training,
                                   const ParallelStrategy& strategy);

// Model-state bytes one GPU of the stage keeps in the offload tiers (zero without offload).
struct OffloadedBytes {
  double host = 0;
  double nvme = 0;
};
OffloadedBytes stage_offloaded_bytes(const TransformerConfig& model, const ParallelStrategy& strategy,
                                     int stage);

// The forward FLOPs recompute adds to a step, in the model-FLOPs convention (full s x s attention): every
// layer's forward for full recompute, the attention core for selective (Korthikanti et al. 2022: HFU).
double recompute_flops_per_step(const TransformerConfig& model, const TrainingSpec& training,
                                Recompute recompute);

}  // namespace strata::models
