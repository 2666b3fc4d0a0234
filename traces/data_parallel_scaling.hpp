// What-if for an imported trace: more (or fewer) data-parallel replicas (`strata trace info --dp N`).
//
// The data-parallel groups are the groups of the collectives whose category is dp: the importers give it to
// a group over the whole job (a DDP or FSDP job without model parallelism) and, for Kineto traces, to a
// group the trace describes as data-parallel (traces/kineto/process_group_roles.hpp: Megatron-Core's
// DATA_PARALLEL_GROUP, a DeviceMesh's mesh_dp), beside tensor-, pipeline- or context-parallel ones.
//
// The job's GPUs are taken as a mixed-radix number in which data parallelism is one digit: the data-parallel
// groups all have k GPUs spaced s apart (s = 1 when they span the job), so GPU g is
//     g = low + s (d + k high),   low = g mod s, d = (g / s) mod k, high = g / (s k)
// With N replicas d runs over N values: g becomes low + s (d + N high), every other group keeps its digits
// (a tensor-parallel group its GPUs, a pipeline group its stages, now further apart), each data-parallel
// group becomes its N GPUs, and the job (world / k) N GPUs. That is Megatron-Core's rank order
// (tp-cp-ep-dp-pp, parallel_state.RankGenerator) and any other in which data parallelism is one digit.
//
// Collective sizes keep their nccl-tests meaning, which does not change with the replicas for the same
// model: an all-reduce's buffer and an FSDP all-gather's gathered output are the model's, whatever N. So the
// network model prices each collective at its new scale (ring steps, nodes spanned).
#pragma once

#include <cstdint>

#include "models/graph/execution_graph.hpp"

namespace strata::traces {

struct DataParallelScaling {
  int from_gpus = 0;  // each data-parallel group's size before
  int to_gpus = 0;    // and after: the replicas
  int job_from_gpus = 0;
  int job_to_gpus = 0;
  std::int64_t groups = 0;
  std::int64_t collectives = 0;  // collective tasks over those groups
};

// Throws sim::InputError (naming the command line's --dp) when `replicas` is below 1, when no collective is
// data-parallel, when the data-parallel groups do not share one size and spacing, or when a simulated rank or
// another group would sit on a replica that no longer exists.
DataParallelScaling scale_data_parallel(models::ExecutionGraph& graph, int replicas);

}  // namespace strata::traces
