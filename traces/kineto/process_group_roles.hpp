// Which parallelism a process group serves, from the description PyTorch records with each of its
// collectives (args "Process Group Description": the group_desc a framework gave the group when it made it).
//  - Megatron-Core names its groups by role (megatron/core/parallel_state.py): DATA_PARALLEL_GROUP,
//    DATA_PARALLEL_GROUP_WITH_CP, INTRA_PARTIAL_DATA_PARALLEL_GROUP_WITH_CP, TENSOR_MODEL_PARALLEL_GROUP,
//    PIPELINE_MODEL_PARALLEL_GROUP, CONTEXT_PARALLEL_GROUP, EXPERT_MODEL_PARALLEL_GROUP,
//    EXPERT_DATA_PARALLEL_GROUP, EXPERT_TENSOR_PARALLEL_GROUP, ...;
//  - a DeviceMesh's groups are "mesh_<dimension>" (torch.distributed.device_mesh): mesh_dp, mesh_dp_shard,
//    mesh_dp_replicate, mesh_tp, mesh_pp, mesh_cp, mesh_ep.
// Patterns are lower-case substrings tried in order (expert groups before the plain ones they contain); no
// match (PyTorch's world group "default_pg", a user's own name) leaves the importer's rule by group extent.
#pragma once

#include <optional>
#include <string_view>

#include "models/graph/time_category.hpp"

namespace strata::traces {

std::optional<models::TimeCategory> process_group_role(std::string_view description);

}  // namespace strata::traces
