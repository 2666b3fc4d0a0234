// Runs one strategy of a scenario: lower it (models/strategy), replay the graph (models/graph), and turn the
// result into the numbers a report shows (DESIGN.md, "Inputs and outputs").
//
// Definitions (per training step):
//  - tokens_per_s = global batch x sequence length / step time; per GPU: divided by the cluster's GPUs.
//  - model FLOPs: 3 x forward FLOPs (models/workload: matmuls, attention over the full s x s, logits), no
//    recompute; model_tflops_per_gpu = model FLOPs / step / GPUs; MFU = that / the GPU's dense 16-bit peak.
//  - hardware FLOPs: model FLOPs plus the forward FLOPs recompute reruns, same convention (Korthikanti et
//    al. 2022); HFU = hardware FLOPs / step / GPUs / the 16-bit peak.
//  - memory: the highest per-GPU peak over the simulated ranks (pipeline stages), its breakdown by category
//    at that peak, against the GPU's capacity; OOM when above, or when offloaded model states exceed a
//    node's host memory or NVMe.
//  - time_breakdown_s: where the critical rank's step went (the rank with the most compute; its seconds sum
//    to the step time): compute (kernels and optimizer), exposed communication by kind (tp, dp, pp, cp, ep),
//    bubble (waiting on other pipeline stages), offload, other (waiting not explained by the above).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "models/executor/executor.hpp"
#include "models/strategy/parallel_strategy.hpp"
#include "models/strategy/training_lowering.hpp"
#include "scenarios/runner/error_band.hpp"
#include "scenarios/runner/time_stats.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::scenarios {

// Model states offloaded to a node's host memory and NVMe (the node holding the most), against the system
// profile's capacities.
struct OffloadMemory {
  double host_bytes_per_node = 0;
  double host_capacity_bytes = 0;
  double nvme_bytes_per_node = 0;
  double nvme_capacity_bytes = 0;
  bool exceeds() const {
    return host_bytes_per_node > host_capacity_bytes || nvme_bytes_per_node > nvme_capacity_bytes;
  }
};

struct MemoryResult {
  double peak_bytes = 0;
  double capacity_bytes = 0;
  bool oom = false;  // the GPU peak above capacity, or offloaded states above a node's host memory or NVMe
  std::optional<OffloadMemory> offload;     // with offload only
  int peak_stage = 0;                       // pipeline stage of the peak
  std::map<std::string, double> breakdown;  // category -> bytes at the peak
  // What `oom` says: the peak above capacity, or offloaded states that do not fit.
  bool over_capacity() const { return peak_bytes > capacity_bytes || (offload && offload->exceeds()); }
};

// The step times of a jittered run over several steps (step_distribution.hpp, `strata run --steps N`).
struct StepTimeDistribution {
  std::int64_t steps = 0;
  std::uint64_t first_seed = 0;   // step k ran with jitter seed first_seed + k
  std::uint64_t median_seed = 0;  // the seed of the reported (median) step
  TimeStats stats;
  double min_s = 0;
  double max_s = 0;
};

struct StrategyResult {
  models::ParallelStrategy strategy;
  std::optional<Expectation> expected;
  std::optional<ErrorBand> error_band;  // of the step time, where a command attached one (error_band.hpp)
  int gpus = 0;
  std::int64_t microbatches = 0;
  double step_time_s = 0;
  double tokens_per_s = 0;
  double tokens_per_s_per_gpu = 0;
  double model_tflops_per_gpu = 0;
  double mfu = 0;
  double hfu = 0;
  double peak_tflops_per_gpu = 0;  // the 16-bit dense peak MFU and HFU divide by
  MemoryResult memory;
  std::map<std::string, double> time_breakdown_s;  // keys as above, every one present
  int critical_stage = 0;
  std::uint64_t simulated_tasks = 0;
  bool extrapolated =
      false;  // predicted from two shorter steps (steady_state_run.hpp), not simulated in full
  std::int64_t extrapolated_from[2] = {0, 0};  // when extrapolated: the micro-batch counts simulated
  int rank = 0;                                // 1 = fastest that fits (set by rank_results)
  // With `strata run --steps N`: the N steps' times; the figures above are the median step's.
  std::optional<StepTimeDistribution> step_distribution;

  // The largest part of the step other than compute, e.g. {"tp", 3.2}; {"compute", s} when nothing else.
  std::pair<std::string, double> biggest_sink() const;
};

// A result against the published measurement its strategy carries (strategies[].expected): the published
// step time (a published tokens/s/GPU taken as global batch x sequence / (tokens/s/GPU x GPUs)) and the error
// (predicted - published) / published in percent, positive when the prediction is slower (pessimistic). The
// one definition the reports and `strata validate` use. `result.expected` must be set.
struct PublishedComparison {
  double published_step_s = 0;
  double error_pct = 0;
};
PublishedComparison compare_with_published(const StrategyResult& result,
                                           const models::TrainingSpec& training);

// The breakdown keys, in report order.
const std::vector<std::string>& time_breakdown_keys();

// `timeline` may be null. Bad strategies throw InputError naming the scenario file and the strategy's path.
StrategyResult run_strategy(const Scenario& scenario, std::size_t strategy_index,
                            sim::TimelineRecorder* timeline = nullptr);
// `spec` on the scenario's cluster and model with another `training` (e.g. a shorter step); errors name
// /strategies/`strategy_index`. A step of more than `max_tasks` tasks is bad input (InputError).
StrategyResult run_strategy(const Scenario& scenario, const StrategySpec& spec,
                            const models::TrainingSpec& training, std::size_t strategy_index,
                            sim::TimelineRecorder* timeline = nullptr,
                            std::size_t max_tasks = models::kMaxLoweredTasks);

// The same, but a step of more than `max_tasks` tasks is no result (`too_large`, when given, says why), for
// callers that then extrapolate it.
std::optional<StrategyResult> try_run_strategy(const Scenario& scenario, const StrategySpec& spec,
                                               const models::TrainingSpec& training,
                                               std::size_t strategy_index, sim::TimelineRecorder* timeline,
                                               std::size_t max_tasks, std::string* too_large = nullptr);

// What a step's rates need besides its simulation: the tokens, model and hardware FLOPs per step and the
// GPUs.
struct StepFigures {
  double tokens_per_step = 0;
  double model_flops_per_step = 0;
  double hardware_flops_per_step = 0;
  int gpus = 0;
  std::int64_t steps = 1;   // steps the run holds (an imported trace's window): times are reported per step
  int ranks_per_stage = 1;  // simulated ranks per pipeline stage (rank r is in stage r / ranks_per_stage)
  // Per simulated rank, its GPU's memory capacity; empty: the `gpu` set_step_metrics is given, for all.
  std::vector<double> rank_capacity_bytes;
};
// Sets `result`'s step time, rates, memory (without offload) and time breakdown from a simulated step, by the
// definitions above: the one place `strata run`, `strata search` and `strata replay` compute them.
void set_step_metrics(StrategyResult& result, const models::ExecutionResult& run, const StepFigures& figures,
                      const models::GpuProfile& gpu);

// Ranks in place: strategies that fit by step time, then OOM ones by step time; ties by name. Sets `rank`.
void rank_results(std::vector<StrategyResult>& results);

}  // namespace strata::scenarios
