// What a finished task's slice in a timeline carries (Perfetto shows them as the slice's arguments), so that
// a trace answers "what was this and how fast did it go" without the graph file:
// - every task: its type and time category;
// - a kernel: its kind, FLOPs (GEMM shape), bytes, and the achieved TFLOP/s or GB/s;
// - a collective: the operation, bytes (nccl-tests convention), its group's kind and size, how long the task
//   waited for the group's other members, and the achieved algorithm bandwidth over the transfer;
// - a send or receive: the peer rank, bytes, the wait for the peer and the achieved GB/s;
// - a host transfer: the tiers, bytes and GB/s.
#pragma once

#include <vector>

#include "models/graph/execution_graph.hpp"
#include "sim/sim_time.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::models {

// `queued`: when the task's stream started it; `started`: when its work began (a collective: when every
// member had arrived); `ended`: when it finished.
std::vector<sim::TimelineArg> task_span_args(const Task& task, const ExecutionGraph& graph,
                                             sim::SimTime queued, sim::SimTime started, sim::SimTime ended);

}  // namespace strata::models
