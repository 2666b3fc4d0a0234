// What-if for an imported trace: more (or fewer) data-parallel replicas (`strata trace info --dp N`). The
// process groups that span the whole job are taken as its data-parallel groups (a DDP or FSDP job without
// model parallelism; a group over part of the job may be tensor or pipeline parallel and is left alone).
// Each becomes a group of N GPUs, and the job N x (its GPUs / that group's size) GPUs; the traced rank keeps
// its GPU. Collective sizes keep their nccl-tests meaning, which does not change with the replicas for the
// same model: an all-reduce's buffer and an FSDP all-gather's gathered output are the model's, whatever N.
// So the network model prices each collective at its new scale (ring steps, nodes spanned).
#pragma once

#include <cstdint>

#include "models/graph/execution_graph.hpp"

namespace strata::traces {

struct DataParallelScaling {
  int from_gpus = 0;  // the data-parallel groups' size before
  int to_gpus = 0;
  std::int64_t groups = 0;
  std::int64_t collectives = 0;  // collective tasks over those groups
};

// Throws sim::InputError when no collective of `graph` spans the whole job, or `replicas` is below 1.
DataParallelScaling scale_data_parallel(models::ExecutionGraph& graph, int replicas);

}  // namespace strata::traces
