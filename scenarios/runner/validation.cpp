#include "scenarios/runner/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {

bool ValidationCase::passed() const { return std::abs(error_pct) <= tolerance_pct; }

std::vector<std::filesystem::path> validation_files(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    if (std::filesystem::is_regular_file(path)) {
      files.push_back(path);
    } else if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") found.push_back(entry.path());
      }
      if (found.empty())
        throw sim::InputError(path.string(), "", "no validation case (*.json) in this directory");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      throw sim::InputError(path.string(), "", "no such file or directory");
    }
  }
  return files;
}

ValidationSummary run_validation(const std::vector<std::filesystem::path>& files,
                                 const models::ProfileCatalog& profiles,
                                 const models::ModelCatalog& presets) {
  ValidationSummary summary;
  for (const auto& file : files) {
    const Scenario scenario = read_scenario(file, profiles, presets);
    bool any = false;
    for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
      const StrategySpec& spec = scenario.strategies[i];
      if (!spec.expected) continue;
      any = true;
      const StrategyResult result = run_strategy(scenario, i);
      ValidationCase c;
      c.name = scenario.strategies.size() == 1 ? scenario.name : scenario.name + "/" + spec.strategy.name;
      c.file = file.filename().string();
      c.predicted_step_s = result.step_time_s;
      const PublishedComparison published = compare_with_published(result, scenario.training);
      c.published_step_s = published.published_step_s;
      c.error_pct = published.error_pct;
      c.tolerance_pct = spec.expected->tolerance_pct;
      c.source = spec.expected->source;
      summary.cases.push_back(c);
    }
    if (!any)
      throw sim::InputError(file.string(), "/strategies",
                            "no strategy has an \"expected\" result: not a validation case");
  }
  double total = 0;
  for (const ValidationCase& c : summary.cases) {
    total += std::abs(c.error_pct);
    summary.max_abs_error_pct = std::max(summary.max_abs_error_pct, std::abs(c.error_pct));
    summary.failed += c.passed() ? 0 : 1;
  }
  if (!summary.cases.empty()) summary.mape_pct = total / static_cast<double>(summary.cases.size());
  return summary;
}

std::string validation_table(const ValidationSummary& summary) {
  std::size_t width = 4;
  for (const ValidationCase& c : summary.cases) width = std::max(width, c.name.size());
  const int w = static_cast<int>(width);
  std::string text;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %13s  %13s  %8s  %9s  %s\n", w, "case", "predicted (s)",
                "published (s)", "error", "tolerance", "result");
  text += line;
  for (const ValidationCase& c : summary.cases) {
    std::snprintf(line, sizeof line, "%-*s  %13.3f  %13.3f  %+7.1f%%  %8.0f%%  %s\n", w, c.name.c_str(),
                  c.predicted_step_s, c.published_step_s, c.error_pct, c.tolerance_pct,
                  c.passed() ? "ok" : "FAIL");
    text += line;
  }
  std::snprintf(line, sizeof line, "%zu cases: MAPE %.1f%%, worst %.1f%%, %d outside tolerance\n",
                summary.cases.size(), summary.mape_pct, summary.max_abs_error_pct, summary.failed);
  return text + line;
}

nlohmann::json validation_json(const ValidationSummary& summary) {
  nlohmann::json cases = nlohmann::json::array();
  for (const ValidationCase& c : summary.cases) {
    cases.push_back({{"name", c.name},
                     {"file", c.file},
                     {"predicted_step_time_s", c.predicted_step_s},
                     {"published_step_time_s", c.published_step_s},
                     {"error_pct", c.error_pct},
                     {"tolerance_pct", c.tolerance_pct},
                     {"passed", c.passed()},
                     {"source", c.source}});
  }
  return {{"strata_validation", 1},
          {"cases", cases},
          {"mape_pct", summary.mape_pct},
          {"max_abs_error_pct", summary.max_abs_error_pct},
          {"failed", summary.failed}};
}

}  // namespace strata::scenarios
