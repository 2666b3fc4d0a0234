#include "scenarios/runner/strategy_run.hpp"

#include <algorithm>
#include <tuple>

#include "models/executor/executor.hpp"
#include "models/strategy/rank_layout.hpp"
#include "models/strategy/training_lowering.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

using models::TimeCategory;

// The report's keys, in report order.
constexpr TimeCategory kReportCategories[] = {
    TimeCategory::kCompute,  TimeCategory::kTensorParallel,  TimeCategory::kDataParallel,
    TimeCategory::kPipeline, TimeCategory::kContextParallel, TimeCategory::kExpertParallel,
    TimeCategory::kBubble,   TimeCategory::kOffload,         TimeCategory::kOther};

// Where an executor category goes in the report: the optimizer is compute; waiting, memory bookkeeping and
// words the report does not know are other.
TimeCategory report_category(const std::string& word) {
  const std::optional<TimeCategory> category = models::kTimeCategoryNames.value(word);
  if (!category) return TimeCategory::kOther;
  switch (*category) {
    case TimeCategory::kOptimizer: return TimeCategory::kCompute;
    case TimeCategory::kWait:
    case TimeCategory::kMemory: return TimeCategory::kOther;
    default: return *category;
  }
}

// The executor's categories folded into the report's keys.
std::map<std::string, double> report_breakdown(const models::TimeBreakdown& seconds) {
  std::map<std::string, double> out;
  for (const std::string& key : time_breakdown_keys()) out[key] = 0.0;
  for (const auto& [category, value] : seconds)
    out[models::category_name(report_category(category))] += value;
  return out;
}

// Offloaded bytes summed over each node's GPUs (GPU g is on node g / GPUs per node; each stage's ranks on
// the GPUs the placement gives them, rank_layout.hpp); the fullest node.
OffloadMemory offload_memory(const Scenario& scenario, const models::ParallelStrategy& s) {
  const int per_node = scenario.cluster.system.gpus_per_node.value;
  const models::RankLayout layout(s);
  std::map<int, models::OffloadedBytes> by_node;
  for (int stage = 0; stage < s.pp; ++stage) {
    const models::OffloadedBytes bytes = models::stage_offloaded_bytes(scenario.model.config, s, stage);
    for (int local = 0; local < s.stage_ranks(); ++local) {
      const int node = layout.gpu(stage, local) / per_node;
      by_node[node].host += bytes.host;
      by_node[node].nvme += bytes.nvme;
    }
  }
  OffloadMemory out;
  for (const auto& [node, bytes] : by_node) {
    out.host_bytes_per_node = std::max(out.host_bytes_per_node, bytes.host);
    out.nvme_bytes_per_node = std::max(out.nvme_bytes_per_node, bytes.nvme);
  }
  out.host_capacity_bytes = scenario.cluster.system.host_memory_capacity.value.as_double();
  out.nvme_capacity_bytes = scenario.cluster.system.nvme_capacity.value.as_double();
  return out;
}

}  // namespace

const std::vector<std::string>& time_breakdown_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const TimeCategory category : kReportCategories) out.push_back(models::category_name(category));
    return out;
  }();
  return keys;
}

std::pair<std::string, double> StrategyResult::biggest_sink() const {
  const std::string compute = models::category_name(TimeCategory::kCompute);
  std::pair<std::string, double> best{compute,
                                      time_breakdown_s.count(compute) ? time_breakdown_s.at(compute) : 0.0};
  double largest = 0;
  for (const std::string& key : time_breakdown_keys()) {
    const auto found = time_breakdown_s.find(key);
    if (key == compute || found == time_breakdown_s.end()) continue;
    if (found->second > largest) {
      largest = found->second;
      best = {key, found->second};
    }
  }
  return best;
}

StrategyResult run_strategy(const Scenario& scenario, std::size_t strategy_index,
                            sim::TimelineRecorder* timeline) {
  return run_strategy(scenario, scenario.strategies.at(strategy_index), scenario.training, strategy_index,
                      timeline);
}

StrategyResult run_strategy(const Scenario& scenario, const StrategySpec& spec,
                            const models::TrainingSpec& training, std::size_t strategy_index,
                            sim::TimelineRecorder* timeline, std::size_t max_tasks) {
  std::string too_large;
  std::optional<StrategyResult> result =
      try_run_strategy(scenario, spec, training, strategy_index, timeline, max_tasks, &too_large);
  if (!result)
    throw sim::InputError(scenario.file.string(), "/strategies/" + std::to_string(strategy_index), too_large);
  return std::move(*result);
}

std::optional<StrategyResult> try_run_strategy(const Scenario& scenario, const StrategySpec& spec,
                                               const models::TrainingSpec& training,
                                               std::size_t strategy_index, sim::TimelineRecorder* timeline,
                                               std::size_t max_tasks, std::string* too_large) {
  // Symmetric ranks are simulated once where they are alike: at analytic fidelity on a uniform cluster. Flow
  // fidelity moves every rank's traffic on the topology, and an override makes ranks differ.
  const models::NetworkFidelity fidelity = *models::network_fidelity_from_name(scenario.fidelity);
  const models::RankSet rank_set =
      fidelity == models::NetworkFidelity::kAnalytic && scenario.cluster.uniform()
          ? models::RankSet::kSymmetricOnce
          : models::RankSet::kAll;
  models::LoweringOutcome outcome;
  try {
    outcome = models::lower_training_within(scenario.model.config, training, spec.strategy,
                                            scenario.cluster.gpus(), rank_set, max_tasks);
  } catch (const sim::InputError& error) {
    throw sim::InputError(scenario.file.string(),
                          "/strategies/" + std::to_string(strategy_index) + error.json_path(),
                          error.detail());
  }
  if (!outcome.lowered) {
    if (too_large != nullptr) *too_large = outcome.too_large;
    return std::nullopt;
  }
  models::LoweredTraining& lowered = *outcome.lowered;
  const models::ClusterHardware hardware = scenario.cluster.hardware();
  std::vector<double> capacity_bytes;  // per simulated rank
  for (int rank = 0; rank < lowered.graph.ranks; ++rank)
    capacity_bytes.push_back(hardware.gpu(lowered.graph.gpu_of(rank)).memory_capacity.value.as_double());
  models::ExecutionResult run;
  try {
    run = models::execute(std::move(lowered.graph), hardware, fidelity, scenario.cluster.topology, timeline);
  } catch (const sim::OverflowError& error) {
    // Only inputs far outside any real job get here (a sequence of 10^8 tokens): bad input, not a fault.
    throw sim::InputError(scenario.file.string(), "/strategies/" + std::to_string(strategy_index),
                          std::string(error.what()) + ": the step would outlast simulated time (" +
                              sim::SimTime::max().to_string() + "); check training.seq_len and global_batch");
  }

  StrategyResult result;
  result.strategy = spec.strategy;
  result.expected = spec.expected;
  result.microbatches = lowered.microbatches;
  StepFigures figures;
  figures.tokens_per_step = lowered.tokens_per_step;
  figures.model_flops_per_step = lowered.model_flops_per_step;
  figures.hardware_flops_per_step = lowered.hardware_flops_per_step;
  figures.gpus = scenario.cluster.gpus();
  figures.ranks_per_stage = rank_set == models::RankSet::kAll ? spec.strategy.stage_ranks() : 1;
  figures.rank_capacity_bytes = std::move(capacity_bytes);
  set_step_metrics(result, run, figures, scenario.cluster.gpu);
  if (spec.strategy.offload != models::MemoryTier::kHbm)
    result.memory.offload = offload_memory(scenario, spec.strategy);
  result.memory.oom = result.memory.over_capacity();
  return result;
}

void set_step_metrics(StrategyResult& result, const models::ExecutionResult& run, const StepFigures& figures,
                      const models::GpuProfile& gpu) {
  result.gpus = figures.gpus;
  result.simulated_tasks = run.tasks_run;
  const auto steps = static_cast<double>(std::max<std::int64_t>(1, figures.steps));
  result.step_time_s = run.makespan.seconds() / steps;
  if (!(result.step_time_s > 0))
    throw sim::SimulationError("\"" + result.strategy.name + "\" simulated an empty step");
  const double gpus = result.gpus;
  result.tokens_per_s = figures.tokens_per_step / result.step_time_s;
  result.tokens_per_s_per_gpu = result.tokens_per_s / gpus;
  const double peak = gpu.peak(models::Dtype::kBf16).flops_per_s();
  result.peak_tflops_per_gpu = peak / 1e12;
  result.model_tflops_per_gpu = figures.model_flops_per_step / result.step_time_s / gpus / 1e12;
  result.mfu = result.model_tflops_per_gpu * 1e12 / peak;
  result.hfu = figures.hardware_flops_per_step / result.step_time_s / gpus / peak;

  // The rank with the least memory left (the highest peak where every GPU holds as much).
  const auto& peaks = run.peak_memory_bytes;
  const auto capacity = [&](std::size_t rank) {
    return rank < figures.rank_capacity_bytes.size() ? figures.rank_capacity_bytes[rank]
                                                     : gpu.memory_capacity.value.as_double();
  };
  std::size_t fullest = 0;
  for (std::size_t rank = 1; rank < peaks.size(); ++rank) {
    if (peaks[rank] - capacity(rank) > peaks[fullest] - capacity(fullest)) fullest = rank;
  }
  const int per_stage = std::max(1, figures.ranks_per_stage);
  result.memory.peak_bytes = peaks[fullest];
  result.memory.peak_stage = static_cast<int>(fullest) / per_stage;
  result.memory.breakdown = run.peak_memory_breakdown[fullest];
  result.memory.capacity_bytes = capacity(fullest);
  result.memory.oom = result.memory.over_capacity();

  const auto& compute = run.compute_seconds;
  const auto critical =
      static_cast<std::size_t>(std::max_element(compute.begin(), compute.end()) - compute.begin());
  result.critical_stage = static_cast<int>(critical) / per_stage;
  result.time_breakdown_s = report_breakdown(run.time_breakdown[critical]);
  for (auto& [category, seconds] : result.time_breakdown_s) seconds /= steps;
}

PublishedComparison compare_with_published(const StrategyResult& r, const models::TrainingSpec& training) {
  const Expectation& expected = r.expected.value();
  PublishedComparison out;
  const double tokens = static_cast<double>(training.global_batch * training.seq_len);
  out.published_step_s =
      expected.step_time_s ? *expected.step_time_s : tokens / (*expected.tokens_per_s_per_gpu * r.gpus);
  out.error_pct = 100.0 * (r.step_time_s - out.published_step_s) / out.published_step_s;
  return out;
}

void rank_results(std::vector<StrategyResult>& results) {
  std::stable_sort(results.begin(), results.end(), [](const StrategyResult& a, const StrategyResult& b) {
    return std::make_tuple(a.memory.oom, a.step_time_s, a.strategy.name) <
           std::make_tuple(b.memory.oom, b.step_time_s, b.strategy.name);
  });
  for (std::size_t i = 0; i < results.size(); ++i) results[i].rank = static_cast<int>(i + 1);
}

}  // namespace strata::scenarios
