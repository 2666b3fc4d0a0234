#include "traces/critical_path.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "models/network/network_backend.hpp"
#include "sim/event_queue.hpp"
#include "traces/kineto/kernel_classes.hpp"

namespace strata::traces {

using models::Task;
using models::TaskId;
using models::TaskType;
using sim::SimTime;

std::string critical_path_class(const Task& task) {
  switch (task.type) {
    case TaskType::kCollective: return task.category + " collectives";
    case TaskType::kSend:
    case TaskType::kRecv: return task.category + " transfers";
    case TaskType::kCompute:
      if (task.compute.kind == models::ComputeKind::kMeasuredHost) return "host";
      if (task.compute.kind == models::ComputeKind::kMeasured)
        return std::string(
            kKernelClassNames.name(is_copy_name(task.name) ? KernelClass::kCopy : kernel_class(task.name)));
      return task.category;
    case TaskType::kMemory:
    case TaskType::kHostTransfer: return task.category;
  }
  return task.category;
}

namespace {

// Walks back from the task that finished last (the latest id among ties); each task's start is the latest
// finish among its dependencies and its stream predecessor.
std::vector<CriticalPathPart> walk_back(const models::ExecutionGraph& graph,
                                        const std::vector<SimTime>& finish) {
  const std::size_t n = graph.tasks.size();
  std::vector<std::optional<TaskId>> stream_before(n);
  std::map<std::pair<int, int>, TaskId> last_on_stream;  // (rank, stream) -> latest task so far
  for (const Task& task : graph.tasks) {
    const auto key = std::make_pair(task.rank, task.stream);
    if (const auto found = last_on_stream.find(key); found != last_on_stream.end())
      stream_before[task.id] = found->second;
    last_on_stream[key] = task.id;
  }
  std::map<std::string, CriticalPathPart> parts;
  if (n == 0) return {};
  TaskId current = 0;
  for (TaskId id = 0; id < n; ++id)
    if (finish[id] >= finish[current]) current = id;
  for (;;) {
    const Task& task = graph.tasks[current];
    std::optional<TaskId> before = stream_before[current];
    for (TaskId dep : task.deps)
      if (!before || finish[dep] > finish[*before]) before = dep;
    const SimTime start = before ? finish[*before] : SimTime();
    if (finish[current] > start) {
      CriticalPathPart& part = parts[critical_path_class(task)];
      part.seconds += (finish[current] - start).seconds();
      ++part.tasks;
    }
    if (!before) break;
    current = *before;
  }
  std::vector<CriticalPathPart> sorted;
  for (auto& [what, part] : parts) {
    part.what = what;
    sorted.push_back(part);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const CriticalPathPart& a, const CriticalPathPart& b) {
    return a.seconds > b.seconds;
  });
  return sorted;
}

}  // namespace

ReplayWithCriticalPath replay_with_critical_path(models::ExecutionGraph graph, const models::GpuProfile& gpu,
                                                 const models::SystemProfile& system) {
  graph.validate("execution graph");
  const models::ClusterHardware hardware(system, gpu);
  sim::EventQueue queue;
  const std::unique_ptr<models::NetworkBackend> network =
      models::make_network_backend(models::NetworkFidelity::kAnalytic, queue, hardware, graph.gpu_count());
  std::vector<SimTime> finish(graph.tasks.size());
  models::Executor executor(queue, std::move(graph), hardware, *network);
  executor.on_task_finished([&](TaskId id) { finish[id] = executor.now(); });
  executor.run();
  ReplayWithCriticalPath replay;
  replay.result = executor.result();
  replay.critical_path = walk_back(executor.graph(), finish);
  return replay;
}

}  // namespace strata::traces
