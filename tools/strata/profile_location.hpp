// Where the strata command finds hardware profiles: --profiles DIR when given, else $STRATA_PROFILES, else
// the calibration/profiles directory of the source tree this binary was built from.
#pragma once

#include <filesystem>
#include <string>

namespace strata::tools {

std::filesystem::path resolve_profile_dir(const std::string& flag_value);

}  // namespace strata::tools
