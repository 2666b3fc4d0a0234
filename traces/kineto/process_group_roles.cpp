#include "traces/kineto/process_group_roles.hpp"

#include <array>
#include <string>

#include "traces/kineto/kernel_classes.hpp"

namespace strata::traces {
namespace {

using models::TimeCategory;

struct RolePattern {
  std::string_view pattern;
  TimeCategory role;
};

constexpr std::array<RolePattern, 13> kRolePatterns{{
    {"expert_data_parallel", TimeCategory::kDataParallel},
    {"expert_model_parallel", TimeCategory::kExpertParallel},
    {"expert_tensor", TimeCategory::kTensorParallel},
    {"data_parallel", TimeCategory::kDataParallel},
    {"tensor_model_parallel", TimeCategory::kTensorParallel},
    {"pipeline_model_parallel", TimeCategory::kPipeline},
    {"context_parallel", TimeCategory::kContextParallel},
    {"mesh_dp", TimeCategory::kDataParallel},
    {"mesh_fsdp", TimeCategory::kDataParallel},
    {"mesh_tp", TimeCategory::kTensorParallel},
    {"mesh_pp", TimeCategory::kPipeline},
    {"mesh_cp", TimeCategory::kContextParallel},
    {"mesh_ep", TimeCategory::kExpertParallel},
}};

}  // namespace

std::optional<TimeCategory> process_group_role(std::string_view description) {
  const std::string lower = ascii_lower(description);
  for (const RolePattern& entry : kRolePatterns)
    if (lower.find(entry.pattern) != std::string::npos) return entry.role;
  return std::nullopt;
}

}  // namespace strata::traces
