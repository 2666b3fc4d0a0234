// Lowers model x training setup x parallel strategy into an execution graph (models/graph): one rank per GPU,
// or one per pipeline stage standing for its symmetric peers (RankSet).
//
// Per micro-batch and pipeline stage, each rank runs its layers' forward passes, then (by the schedule)
// their backward (layer_lowering.hpp: TP/SP, CP, MoE/EP, attention variants, FP8 casts). Ranks sit as
// Megatron-Core places them (rank_layout.hpp).
// The first stage embeds, the last stage runs the LM head and the loss. Stages exchange activations and
// gradients with send/recv (b s h / cp bytes, divided by t). GPipe runs all forwards then all backwards; 1F1B
// runs min(p - stage - 1, m) forwards, then one forward and one backward in turn; with vpp > 1, Megatron-LM's
// interleaved 1F1B (Narayanan et al. SC21, 2.2.2); ZB-H1 splits the backward into input-gradient and
// weight-gradient passes and defers the latter (pipeline_schedule.hpp), freeing a micro-batch's activations
// after its weight-gradient pass.
// Data parallelism reduces gradients in buckets on their own stream as soon as the last micro-batch's
// backward has produced them (all-reduce; ZeRO-1/2: reduce-scatter, then an all-gather of the updated 16-bit
// weights): dense parameters over the dp x cp ranks, routed experts over the expert-data-parallel ranks; the
// groups, hybrid sharding and the optimizer's placement (GPU, or offloaded): data_parallel_lowering.hpp.
// ZeRO-3 / FSDP all-gathers each layer's weights before its forward and its backward (on a gather stream, one
// layer ahead) and reduce-scatters its gradients after its backward (on a reduce stream).
// Memory tasks allocate model states up front and each micro-batch's activations (memory_model.hpp) from its
// forward to its backward, so the executor's per-rank peak is the training peak.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "models/strategy/parallel_strategy.hpp"
#include "sim/error.hpp"

namespace strata::models {

struct LoweredTraining {
  ExecutionGraph graph;
  std::int64_t microbatches = 0;
  std::vector<int> stage_layers;       // per virtual stage (chunk x pp + stage)
  double model_flops_per_step = 0;     // 3 x forward, no recompute (workload/transformer_config.hpp)
  double hardware_flops_per_step = 0;  // model FLOPs plus recomputed forward FLOPs, same convention
  double tokens_per_step = 0;
};

// Which ranks the graph simulates. Data-parallel replicas run identical programs, and so do the TP ranks of a
// stage (Megatron-LM's layout is symmetric), so kSymmetricOnce keeps one rank per pipeline stage (replica
// 0, TP rank 0) whose collectives carry the whole communicator's GPUs for their cost; with analytic
// collectives its step time equals the full graph's. kAll instantiates every GPU.
enum class RankSet { kSymmetricOnce, kAll };

// The most tasks one lowered step may hold. Lowered and simulated, a task takes about 340 bytes (Korthikanti
// et al.'s 1T model over 512 micro-batches, the largest validation case: 3.5 M tasks, 1.2 GB), so the limit
// keeps a step within about 2 GB (four times that with a timeline; `strata run` keeps timelines to 500,000
// tasks). Longer steps are bad input here; `strata run` and `strata search` extrapolate them from short ones
// (scenarios/runner/steady_state_run.hpp).
inline constexpr std::size_t kMaxLoweredTasks = 6'000'000;

// The fewest tasks one layer's forward (or backward) pass of one micro-batch lowers to: norm, QKV, attention,
// its output projection, the residual and second norm, and the MLP's up, activation and down steps make
// nine in the leanest layer; 8 leaves a margin. It makes the floor that refuses an oversized step before
// building it; tests/models/training_lowering_test.cpp checks it stays a floor.
inline constexpr int kMinTasksPerLayerPass = 8;

// The lowered step, or, when it needs more than `max_tasks` tasks, why not: found before building where a
// floor shows it, else as soon as the passes built so far project it. Callers that can extrapolate a long
// step from short ones (scenarios/runner/steady_state_run.hpp) take the second case as their cue.
struct LoweringOutcome {
  std::optional<LoweredTraining> lowered;
  std::string too_large;  // the reason, when `lowered` is empty
};
// Validates first (validate_strategy; sim::InputError); `gpus` is the cluster size.
LoweringOutcome lower_training_within(const TransformerConfig& model, const TrainingSpec& training,
                                      const ParallelStrategy& strategy, int gpus,
                                      RankSet rank_set = RankSet::kSymmetricOnce,
                                      std::size_t max_tasks = kMaxLoweredTasks);
// The same, with a step too large for `max_tasks` as bad input (sim::InputError).
LoweredTraining lower_training(const TransformerConfig& model, const TrainingSpec& training,
                               const ParallelStrategy& strategy, int gpus,
                               RankSet rank_set = RankSet::kSymmetricOnce,
                               std::size_t max_tasks = kMaxLoweredTasks);

}  // namespace strata::models
