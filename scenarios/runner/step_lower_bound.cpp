#include "scenarios/runner/step_lower_bound.hpp"

#include <algorithm>
#include <vector>

#include "models/executor/task_cost.hpp"
#include "models/strategy/training_lowering.hpp"
#include "scenarios/runner/steady_state_run.hpp"

namespace strata::scenarios {
namespace {

struct StreamSums {
  std::vector<double> seconds;  // per (rank, stream): rank x streams + stream
  std::int64_t tasks = 0;
};

// Each stream's summed task durations over a step of `microbatches` micro-batches.
StreamSums stream_sums(const Scenario& scenario, const models::ParallelStrategy& s, std::int64_t microbatches) {
  const models::LoweredTraining lowered = models::lower_training(
      scenario.model.config, with_microbatches(scenario.training, s, microbatches), s, scenario.cluster.gpus());
  const models::ExecutionGraph& graph = lowered.graph;
  const std::size_t streams = graph.streams.size();
  StreamSums out;
  out.seconds.assign(static_cast<std::size_t>(graph.ranks) * streams, 0.0);
  out.tasks = static_cast<std::int64_t>(graph.tasks.size());
  const models::ClusterHardware hardware(scenario.cluster.system, scenario.cluster.gpu);
  for (const models::Task& task : graph.tasks) {
    const std::size_t slot = static_cast<std::size_t>(task.rank) * streams + static_cast<std::size_t>(task.stream);
    out.seconds[slot] += models::task_duration(graph, task, hardware).seconds();
  }
  return out;
}

}  // namespace

StepLowerBound step_lower_bound(const Scenario& scenario, const models::ParallelStrategy& s, BoundMethod method) {
  const std::int64_t m = s.microbatches(scenario.training);
  const std::int64_t first = s.vpp > 1 ? s.pp : 1;
  const std::int64_t second = 2 * first;
  StepLowerBound bound;
  if (method == BoundMethod::kWholeStep || s.schedule == models::PipelineSchedule::kDualPipe || m <= second) {
    const StreamSums whole = stream_sums(scenario, s, m);
    bound.seconds = whole.seconds.empty() ? 0.0 : *std::max_element(whole.seconds.begin(), whole.seconds.end());
    bound.lowered_tasks = whole.tasks;
    return bound;
  }
  const StreamSums a = stream_sums(scenario, s, first);
  const StreamSums b = stream_sums(scenario, s, second);
  // Both small steps have the same ranks and streams; each stream's sum grows by a fixed amount per
  // micro-batch.
  const double per_microbatch = 1.0 / static_cast<double>(second - first);
  for (std::size_t i = 0; i < a.seconds.size() && i < b.seconds.size(); ++i) {
    const double at_m = a.seconds[i] + static_cast<double>(m - first) * (b.seconds[i] - a.seconds[i]) * per_microbatch;
    bound.seconds = std::max(bound.seconds, at_m);
  }
  bound.lowered_tasks = a.tasks + b.tasks;
  return bound;
}

}  // namespace strata::scenarios
