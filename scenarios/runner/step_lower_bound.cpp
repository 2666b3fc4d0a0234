#include "scenarios/runner/step_lower_bound.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "models/executor/task_cost.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "models/strategy/training_lowering.hpp"
#include "scenarios/runner/steady_state_run.hpp"

namespace strata::scenarios {
namespace {

struct StreamSums {
  // Per rank: its streams' summed task durations, then its GPU ports' summed busy time (utilization x time):
  // rank x (streams + ports) + stream, or + streams + port.
  std::vector<double> seconds;
  std::int64_t tasks = 0;
};

// Each stream's summed task durations and each port's busy time over a step of `microbatches` micro-batches.
StreamSums stream_sums(const Scenario& scenario, const models::ParallelStrategy& s,
                       std::int64_t microbatches) {
  const models::LoweredTraining lowered =
      models::lower_training(scenario.model.config, with_microbatches(scenario.training, s, microbatches), s,
                             scenario.cluster.gpus());
  const models::ExecutionGraph& graph = lowered.graph;
  const std::size_t streams = graph.streams.size();
  const std::size_t per_rank = streams + models::kGpuPortKinds;
  StreamSums out;
  out.seconds.assign(static_cast<std::size_t>(graph.ranks) * per_rank, 0.0);
  out.tasks = static_cast<std::int64_t>(graph.tasks.size());
  const models::ClusterHardware hardware = scenario.cluster.hardware();
  // A step repeats the same few transfers (each layer's TP collectives, each micro-batch's sends): each is
  // priced once. Key: type, then what sets its cost (op and group, peer, or tiers), bytes and rank.
  std::map<std::tuple<int, int, int, std::int64_t, int>, models::AnalyticTransfer> priced;
  for (const models::Task& task : graph.tasks) {
    const std::size_t rank = static_cast<std::size_t>(task.rank) * per_rank;
    if (task.type == models::TaskType::kCompute || task.type == models::TaskType::kMemory) {
      out.seconds[rank + static_cast<std::size_t>(task.stream)] +=
          models::task_duration(graph, task, hardware).seconds();
      continue;
    }
    std::tuple<int, int, int, std::int64_t, int> key{static_cast<int>(task.type), 0, 0, 0, task.rank};
    if (task.type == models::TaskType::kCollective) {
      key = {static_cast<int>(task.type), static_cast<int>(task.collective.op), task.collective.group,
             task.collective.bytes, task.rank};
    } else if (task.type == models::TaskType::kHostTransfer) {
      key = {static_cast<int>(task.type), static_cast<int>(task.transfer.from),
             static_cast<int>(task.transfer.to), task.transfer.bytes, task.rank};
    } else {
      key = {static_cast<int>(task.type), task.p2p.peer, 0, task.p2p.bytes, task.rank};
    }
    auto found = priced.find(key);
    if (found == priced.end())
      found = priced.emplace(key, models::task_transfer(graph, task, hardware)).first;
    const models::AnalyticTransfer& transfer = found->second;
    const double seconds = transfer.time.seconds();
    out.seconds[rank + static_cast<std::size_t>(task.stream)] += seconds;
    for (const models::GpuPortUse& use : transfer.uses) {
      out.seconds[rank + streams + static_cast<std::size_t>(use.port)] += use.utilization * seconds;
    }
  }
  return out;
}

}  // namespace

StepLowerBound step_lower_bound(const Scenario& scenario, const models::ParallelStrategy& s,
                                BoundMethod method) {
  const std::int64_t m = s.microbatches(scenario.training);
  const std::int64_t first = s.schedule->microbatch_multiple(s);
  const std::int64_t second = 2 * first;
  StepLowerBound bound;
  if (method == BoundMethod::kWholeStep || !s.schedule->extrapolates() || m <= second) {
    const StreamSums whole = stream_sums(scenario, s, m);
    bound.seconds =
        whole.seconds.empty() ? 0.0 : *std::max_element(whole.seconds.begin(), whole.seconds.end());
    bound.lowered_tasks = whole.tasks;
    return bound;
  }
  const StreamSums a = stream_sums(scenario, s, first);
  const StreamSums b = stream_sums(scenario, s, second);
  // Both small steps have the same ranks and streams; each stream's sum grows by a fixed amount per
  // micro-batch.
  const double per_microbatch = 1.0 / static_cast<double>(second - first);
  for (std::size_t i = 0; i < a.seconds.size() && i < b.seconds.size(); ++i) {
    const double at_m =
        a.seconds[i] + static_cast<double>(m - first) * (b.seconds[i] - a.seconds[i]) * per_microbatch;
    bound.seconds = std::max(bound.seconds, at_m);
  }
  bound.lowered_tasks = a.tasks + b.tasks;
  return bound;
}

}  // namespace strata::scenarios
