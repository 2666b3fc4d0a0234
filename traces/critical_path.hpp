// The replayed step's critical path and what it is made of (`strata trace info --system`): the chain of work
// the step waited on, by kind (host segments, kernels by class, communication), which says what would make
// the job faster: a host-bound step gains nothing from a faster GPU.
//
// How: the graph is replayed once with each task's finish time recorded. A task starts once its dependencies
// and the task before it on its stream are done (the executor's rule, models/executor/stream_scheduler.hpp),
// so walking back from the task that finished last, each step goes to whichever of those finished last, and
// the spans walked cover the step from 0 to its end. A collective's span includes any wait for its slowest
// member (a graph of one traced rank has none: its peers are symmetric).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/executor/executor.hpp"
#include "models/graph/execution_graph.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"

namespace strata::traces {

struct CriticalPathPart {
  std::string what;  // critical_path_class()
  double seconds = 0;
  std::int64_t tasks = 0;
};

struct ReplayWithCriticalPath {
  models::ExecutionResult result;
  std::vector<CriticalPathPart>
      critical_path;  // largest first (ties by name); the seconds sum to the makespan
};

ReplayWithCriticalPath replay_with_critical_path(models::ExecutionGraph graph, const models::GpuProfile& gpu,
                                                 const models::SystemProfile& system);

// What a task counts as on the path: "host" for measured CPU segments, its kernel class for measured GPU work
// (kernel_classes.hpp: gemm, attention, communication, memory_bound, copy, other), "<category> collectives"
// or "<category> transfers" for communication the network model priced, and its category for other
// modelled work ("compute", "optimizer", ...).
std::string critical_path_class(const models::Task& task);

}  // namespace strata::traces
