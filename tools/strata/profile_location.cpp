#include "strata/profile_location.hpp"

#include <cstdlib>
#include <system_error>

namespace strata::tools {
namespace {

// PREFIX/share/strata/<name> when this binary runs from PREFIX/bin and that folder exists.
std::filesystem::path installed(const char* name) {
  std::error_code error;
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const std::filesystem::path dir = binary.parent_path().parent_path() / "share" / "strata" / name;
  return std::filesystem::is_directory(dir, error) ? dir : std::filesystem::path();
}

std::filesystem::path resolve(const std::string& flag_value, const char* variable, const char* installed_name,
                              const char* source_dir) {
  if (!flag_value.empty()) return flag_value;
  if (const char* from_environment = variable != nullptr ? std::getenv(variable) : nullptr;
      from_environment != nullptr && *from_environment) {
    return from_environment;
  }
  if (std::filesystem::path dir = installed(installed_name); !dir.empty()) return dir;
  return source_dir;
}

}  // namespace

// The STRATA_SOURCE_* paths are defined by tools/CMakeLists.txt.
std::filesystem::path resolve_profile_dir(const std::string& flag_value) {
  return resolve(flag_value, "STRATA_PROFILES", "profiles", STRATA_SOURCE_PROFILE_DIR);
}

std::filesystem::path resolve_preset_dir(const std::string& flag_value) {
  return resolve(flag_value, "STRATA_PRESETS", "presets", STRATA_SOURCE_PRESET_DIR);
}

std::filesystem::path resolve_validation_dir() {
  return resolve("", nullptr, "validation", STRATA_SOURCE_VALIDATION_DIR);
}

std::filesystem::path resolve_residuals_file() {
  if (const char* from_environment = std::getenv("STRATA_RESIDUALS");
      from_environment != nullptr && *from_environment) {
    return from_environment;
  }
  return resolve("", nullptr, "residuals", STRATA_SOURCE_RESIDUALS_DIR) / "validation.json";
}

}  // namespace strata::tools
