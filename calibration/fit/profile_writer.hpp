// Writes profiles in the format read by models/hardware/profile_reader.hpp (calibration/profiles/README.md),
// so a calibrated profile is used exactly like a shipped one. Values are written with units and enough digits
// to read back the same numbers (tested as a round trip).
#pragma once

#include <nlohmann/json.hpp>

#include "models/hardware/gpu_profile.hpp"

namespace strata::calibration {

nlohmann::json gpu_profile_json(const models::GpuProfile& gpu);

}  // namespace strata::calibration
