// The shipped validation cases of one kind: serving cases are the files named serving_*.json
// (tools/validation/make_serving_cases.py), training cases the rest.
#pragma once

#include <filesystem>
#include <vector>

#include "scenarios/runner/validation.hpp"

enum class CaseKind { kTraining, kServing };

inline std::vector<std::filesystem::path> shipped_cases(const std::filesystem::path& directory,
                                                        CaseKind kind) {
  std::vector<std::filesystem::path> kept;
  for (const auto& file : strata::scenarios::validation_files({directory})) {
    const bool serving = file.filename().string().starts_with("serving_");
    if (serving == (kind == CaseKind::kServing)) kept.push_back(file);
  }
  return kept;
}
