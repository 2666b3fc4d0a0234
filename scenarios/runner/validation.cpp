#include "scenarios/runner/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "scenarios/runner/inference_run.hpp"
#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {

bool ValidationCase::passed() const { return std::abs(error_pct) <= tolerance_pct; }

namespace {

ValidationGroup summarise(std::string name, const std::vector<ValidationCase>& cases) {
  ValidationGroup group;
  group.name = std::move(name);
  group.cases = static_cast<int>(cases.size());
  if (cases.empty()) return group;
  double total = 0;
  int optimistic = 0;
  for (const ValidationCase& c : cases) {
    total += std::abs(c.error_pct);
    optimistic += c.optimistic() ? 1 : 0;
    group.max_abs_error_pct = std::max(group.max_abs_error_pct, std::abs(c.error_pct));
  }
  group.mape_pct = total / static_cast<double>(cases.size());
  group.optimistic_share = static_cast<double>(optimistic) / static_cast<double>(cases.size());
  return group;
}

// One case: named after the scenario, and its strategy when it has several.
ValidationCase validation_case(const Scenario& scenario, std::size_t strategies, const std::string& strategy,
                               const Expectation& expected, const PredictionFamily& family,
                               double predicted_s, double published_s, double error_pct) {
  ValidationCase c;
  c.name = strategies == 1 ? scenario.name : scenario.name + "/" + strategy;
  c.file = scenario.file.filename().string();
  c.predicted_step_s = predicted_s;
  c.published_step_s = published_s;
  c.error_pct = error_pct;
  c.tolerance_pct = expected.tolerance_pct;
  c.source = expected.source;
  c.group = expected.group.empty() ? "other" : expected.group;
  c.family = family;
  return c;
}

// A serving scenario's deployments with a published output tokens/s; the run time stands for the step.
void add_serving_cases(const Scenario& scenario, ValidationSummary& summary) {
  bool any = false;
  for (std::size_t i = 0; i < scenario.deployments.size(); ++i) {
    const DeploymentSpec& spec = scenario.deployments[i];
    if (!spec.expected) continue;
    any = true;
    const InferenceResult result = run_deployment(scenario, i);
    const InferenceComparison published = compare_with_published(result);
    summary.cases.push_back(
        validation_case(scenario, scenario.deployments.size(), spec.deployment.name, *spec.expected,
                        serving_family(scenario.cluster, scenario.model.config, spec.deployment),
                        result.run_time_s, published.published_run_s, published.error_pct));
  }
  if (!any)
    throw sim::InputError(scenario.file.string(), "/strategies",
                          "no deployment has an \"expected\" result: not a validation case");
}

}  // namespace

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
    if (scenario.inference) {
      add_serving_cases(scenario, summary);
      continue;
    }
    bool any = false;
    for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
      const StrategySpec& spec = scenario.strategies[i];
      if (!spec.expected) continue;
      any = true;
      const StrategyResult result = run_strategy(scenario, i);
      const PublishedComparison published = compare_with_published(result, scenario.training);
      summary.cases.push_back(
          validation_case(scenario, scenario.strategies.size(), spec.strategy.name, *spec.expected,
                          training_family(scenario.cluster, scenario.model.config, spec.strategy),
                          result.step_time_s, published.published_step_s, published.error_pct));
    }
    if (!any)
      throw sim::InputError(file.string(), "/strategies",
                            "no strategy has an \"expected\" result: not a validation case");
  }
  const ValidationGroup all = summarise("all", summary.cases);
  summary.mape_pct = all.mape_pct;
  summary.optimistic_share = all.optimistic_share;
  summary.max_abs_error_pct = all.max_abs_error_pct;
  for (const ValidationCase& c : summary.cases) summary.failed += c.passed() ? 0 : 1;
  std::map<std::string, std::vector<ValidationCase>> by_group;
  for (const ValidationCase& c : summary.cases) by_group[c.group].push_back(c);
  for (const auto& [name, cases] : by_group) summary.groups.push_back(summarise(name, cases));
  return summary;
}

ValidationResiduals validation_residuals(const ValidationSummary& summary) {
  std::vector<ValidationResidual> residuals;
  for (const ValidationCase& c : summary.cases) residuals.push_back({c.name, c.family, c.residual()});
  return ValidationResiduals(std::move(residuals));
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
  std::size_t group_width = 5;
  for (const ValidationGroup& g : summary.groups) group_width = std::max(group_width, g.name.size());
  const int gw = static_cast<int>(group_width);
  std::snprintf(line, sizeof line, "\n%-*s  %5s  %6s  %6s  %10s\n", gw, "group", "cases", "MAPE", "worst",
                "optimistic");
  text += line;
  for (const ValidationGroup& g : summary.groups) {
    std::snprintf(line, sizeof line, "%-*s  %5d  %5.1f%%  %5.1f%%  %9.0f%%\n", gw, g.name.c_str(), g.cases,
                  g.mape_pct, g.max_abs_error_pct, 100 * g.optimistic_share);
    text += line;
  }
  // The error band each family's predictions carry in reports (error_band.hpp).
  const auto families = validation_residuals(summary).family_bands();
  std::size_t family_width = 6;
  for (const auto& [family, band] : families)
    family_width = std::max(family_width, family_text(family).size());
  const int fw = static_cast<int>(family_width);
  std::snprintf(line, sizeof line, "\n%-*s  %5s  %14s  %s\n", fw, "family", "cases", "expected error",
                "band from");
  text += line;
  for (const auto& [family, band] : families) {
    int cases = 0;  // a loop, not a lambda: clang 14 (the fuzz build) cannot capture a structured binding
    for (const ValidationCase& c : summary.cases) cases += c.family == family ? 1 : 0;
    std::snprintf(line, sizeof line, "%-*s  %5d  %14s  %s\n", fw, family_text(family).c_str(), cases,
                  band_text(band, BandMetric::kTime).c_str(),
                  band.basis == family_text(family)
                      ? "its own cases"
                      : (band.basis + " (" + std::to_string(band.cases) + ")").c_str());
    text += line;
  }
  std::snprintf(line, sizeof line,
                "%zu cases: MAPE %.1f%%, worst %.1f%%, %d outside tolerance, %.0f%% optimistic (predicted "
                "faster than published)\n",
                summary.cases.size(), summary.mape_pct, summary.max_abs_error_pct, summary.failed,
                100 * summary.optimistic_share);
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
                     {"group", c.group},
                     {"family", family_text(c.family)},
                     {"source", c.source}});
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const ValidationGroup& g : summary.groups) {
    groups.push_back({{"name", g.name},
                      {"cases", g.cases},
                      {"mape_pct", g.mape_pct},
                      {"max_abs_error_pct", g.max_abs_error_pct},
                      {"optimistic_share", g.optimistic_share}});
  }
  nlohmann::json families = nlohmann::json::array();
  for (const auto& [family, band] : validation_residuals(summary).family_bands()) {
    families.push_back({{"family", family_text(family)},
                        {"low_pct", 100 * band.low},
                        {"high_pct", 100 * band.high},
                        {"band_cases", band.cases},
                        {"band_basis", band.basis}});
  }
  return {{"strata_validation", 1},
          {"cases", cases},
          {"groups", groups},
          {"families", families},
          {"mape_pct", summary.mape_pct},
          {"optimistic_share", summary.optimistic_share},
          {"max_abs_error_pct", summary.max_abs_error_pct},
          {"failed", summary.failed}};
}

}  // namespace strata::scenarios
