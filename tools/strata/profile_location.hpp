// Where the strata command finds its shipped data: hardware profiles, model presets, validation cases and
// their residuals.
// In order: the command-line flag when given (--profiles, --presets, validate's paths); the environment
// ($STRATA_PROFILES, $STRATA_PRESETS); an installed tree next to the binary (`make install`:
// PREFIX/bin/strata reads PREFIX/share/strata/{profiles,presets,validation,residuals}); else the source tree
// this binary was built from.
#pragma once

#include <filesystem>
#include <string>

namespace strata::tools {

std::filesystem::path resolve_profile_dir(const std::string& flag_value);
std::filesystem::path resolve_preset_dir(const std::string& flag_value);
std::filesystem::path resolve_validation_dir();
// The validation residuals the error bands come from (scenarios/runner/error_band.hpp): $STRATA_RESIDUALS,
// else the installed or source calibration/residuals/validation.json.
std::filesystem::path resolve_residuals_file();

// What --help says for the defaults (not an absolute build path).
inline constexpr const char* kProfileDirHelp =
    "Profile directory (default: $STRATA_PROFILES, else the installed or source calibration/profiles)";
inline constexpr const char* kPresetDirHelp =
    "Model preset directory (default: $STRATA_PRESETS, else the installed or source models/presets)";

}  // namespace strata::tools
