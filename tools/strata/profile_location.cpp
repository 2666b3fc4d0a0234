#include "strata/profile_location.hpp"

#include <cstdlib>

namespace strata::tools {

std::filesystem::path resolve_profile_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* from_environment = std::getenv("STRATA_PROFILES");
      from_environment != nullptr && *from_environment) {
    return from_environment;
  }
  return STRATA_SOURCE_PROFILE_DIR;  // defined by tools/CMakeLists.txt
}

}  // namespace strata::tools
