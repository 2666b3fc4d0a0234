// Strict readers of the profile files under calibration/profiles/ (format: calibration/profiles/README.md).
// Every number is an object {"value": ..., "source": "..."}; unknown keys, missing sources, missing units and
// out-of-range values are InputErrors naming the file and the JSON path.
#pragma once

#include <filesystem>

#include "models/framework/framework_profile.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"

namespace strata::models {

inline constexpr int kProfileFormatVersion = 1;

GpuProfile read_gpu_profile(const std::filesystem::path& path);
SystemProfile read_system_profile(const std::filesystem::path& path);
NcclTuning read_nccl_tuning(const std::filesystem::path& path);
FrameworkProfile read_framework_profile(const std::filesystem::path& path);

}  // namespace strata::models
