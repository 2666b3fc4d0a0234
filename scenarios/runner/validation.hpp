// `strata validate`: runs validation cases (scenario files whose strategies carry a published result,
// scenarios/validation/README.md) and compares predicted with published step time.
//
// A published tokens/s/GPU is compared as a step time (compare_with_published, strategy_run.hpp), so every
// error has the same sign convention: (predicted - published) / published, positive = predicted slower.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/runner/error_band.hpp"

namespace strata::scenarios {

struct ValidationCase {
  std::string name;  // scenario name / strategy name
  std::string file;
  double predicted_step_s = 0;
  double published_step_s = 0;
  double error_pct = 0;
  double tolerance_pct = 0;
  std::string source;
  std::string group;  // Expectation::group, or "other"
  PredictionFamily family;
  bool passed() const;
  double residual() const { return published_step_s / predicted_step_s - 1; }  // error_band.hpp
  bool optimistic() const { return error_pct < 0; }  // predicted faster than published
};

// The cases of one group (a source and its framework): how well and in which direction the model errs there.
struct ValidationGroup {
  std::string name;
  int cases = 0;
  double mape_pct = 0;
  double optimistic_share = 0;  // fraction of its cases predicted faster than published
  double max_abs_error_pct = 0;
};

struct ValidationSummary {
  std::vector<ValidationCase> cases;
  std::vector<ValidationGroup> groups;  // by name
  double mape_pct = 0;
  double optimistic_share = 0;  // an unbiased model errs both ways: near one half
  double max_abs_error_pct = 0;
  int failed = 0;
};

// Scenario files under `paths` (a file, or every *.json in a directory, sorted by name). InputError for a
// path that is neither, or a directory with no case in it.
std::vector<std::filesystem::path> validation_files(const std::vector<std::filesystem::path>& paths);

ValidationSummary run_validation(const std::vector<std::filesystem::path>& files,
                                 const models::ProfileCatalog& profiles, const models::ModelCatalog& presets);

// Every case's family and residual, in case order: what `strata validate --residuals-out` writes.
ValidationResiduals validation_residuals(const ValidationSummary& summary);

std::string validation_table(const ValidationSummary& summary);
nlohmann::json validation_json(const ValidationSummary& summary);

}  // namespace strata::scenarios
