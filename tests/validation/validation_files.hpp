// The shipped validation cases of one kind: serving cases are the files named serving_*.json
// (tools/validation/make_serving_cases.py), training cases the rest.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
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

// The shipped residuals, the error bands' data (scenarios/runner/error_band.hpp), agree with this run of
// every case of `workload`: each case there with its family and its residual to the file's 1e-4, and no other
// case of that workload. After a change to the model: strata validate --residuals-out
// calibration/residuals/validation.json.
inline void check_shipped_residuals(const strata::scenarios::ValidationSummary& summary,
                                    strata::scenarios::Workload workload) {
  const auto shipped = strata::scenarios::ValidationResiduals::read(STRATA_SOURCE_RESIDUALS_FILE);
  std::map<std::string, strata::scenarios::ValidationResidual> by_name;
  for (const auto& r : shipped.residuals())
    if (r.family.workload == workload) by_name.emplace(r.name, r);
  CHECK(by_name.size() == summary.cases.size());
  for (const auto& c : summary.cases) {
    INFO(c.name << ": rerun strata validate --residuals-out calibration/residuals/validation.json");
    const auto found = by_name.find(c.name);
    REQUIRE(found != by_name.end());
    CHECK(found->second.family == c.family);
    CHECK(std::abs(found->second.residual - c.residual()) <= 1e-4);
  }
}
