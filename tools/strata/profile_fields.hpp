// A profile as a flat list of (key, value, source) rows: what `strata hw show` prints and what
// `strata calibrate diff` compares. Numeric values also keep their number (SI base units) for comparison.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/framework/framework_profile.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"

namespace strata::tools {

struct Field {
  std::string key;
  std::string value;
  std::string source;
  std::optional<double> number;  // bytes, bytes/s, FLOP/s, seconds, counts or fractions
};

std::vector<Field> describe(const models::GpuProfile& gpu);
std::vector<Field> describe(const models::SystemProfile& system);
std::vector<Field> describe(const models::FrameworkProfile& framework);

}  // namespace strata::tools
