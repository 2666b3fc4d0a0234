// What a finished task's slice in a timeline carries (Perfetto shows them as the slice's arguments), so that
// a trace answers "what was this and how fast did it go" without the graph file:
// - every task: its type and time category, and where the lowering set them its pass, micro-batch, model
//   chunk and layer (TaskOrigin);
// - a kernel: its kind, FLOPs (GEMM shape), bytes, and the achieved TFLOP/s or GB/s;
// - a collective: the operation, bytes (nccl-tests convention), its group's kind and size, how long the task
//   waited for the group's other members, the achieved algorithm bandwidth over the transfer, the path its
//   bandwidth takes (ring, nvls, ring-over-network, pairwise) and the algorithm and protocol NCCL's tuner
//   picks for it (nccl_cost_model.hpp), and which set its time alone: NCCL's model (latency at scale) or the
//   measured size ramp;
// - a send or receive: the peer rank, bytes, the wait for the peer and the achieved GB/s;
// - a host transfer: the tiers, bytes and GB/s.
#pragma once

#include <vector>

#include "models/collectives/analytic_collective.hpp"
#include "models/graph/execution_graph.hpp"
#include "sim/sim_time.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::models {

// `queued`: when the task's stream started it; `started`: when its work began (a collective: when every
// member had arrived); `ended`: when it finished.
// `collective`: for a collective, the analytic model's estimate of it alone (its bandwidth path and NCCL's
// choice of algorithm and protocol for its size and scope); null leaves them out.
std::vector<sim::TimelineArg> task_span_args(const Task& task, const ExecutionGraph& graph,
                                             sim::SimTime queued, sim::SimTime started, sim::SimTime ended,
                                             const CollectiveEstimate* collective = nullptr);

}  // namespace strata::models
