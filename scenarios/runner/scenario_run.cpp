#include "scenarios/runner/scenario_run.hpp"

#include <algorithm>
#include <sstream>

#include "scenarios/report/report_json.hpp"
#include "scenarios/runner/steady_state_run.hpp"
#include "sim/error.hpp"
#include "sim/output_bundle.hpp"

namespace strata::scenarios {
namespace {

constexpr std::size_t kExcerptSpans = 4000;
constexpr double kExcerptFraction = 0.05;  // the excerpt shows 5% of the step, from its middle

}  // namespace

std::string trace_file_name(const std::string& strategy, std::size_t index,
                            const std::vector<std::string>& taken) {
  std::string safe;
  for (char c : strategy) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    safe += ok ? c : '_';
  }
  std::string name = "trace-" + safe + ".json";
  if (std::find(taken.begin(), taken.end(), name) != taken.end())
    name = "trace-" + safe + "-" + std::to_string(index) + ".json";
  return name;
}

ScenarioRun run_scenario(const Scenario& scenario, bool record_timelines) {
  ScenarioRun run;
  std::vector<std::string> names;
  std::map<std::string, sim::TimelineRecorder> timelines;
  for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
    sim::TimelineRecorder timeline;
    run.ranked.push_back(run_strategy_within_budget(scenario, i, kFullSimulationTaskBudget,
                                                    record_timelines ? &timeline : nullptr));
    if (!record_timelines) continue;
    const std::string file = trace_file_name(scenario.strategies[i].strategy.name, i, names);
    names.push_back(file);
    std::ostringstream trace;
    timeline.write_chrome_trace(trace);
    run.trace_files[file] = trace.str();
    timelines.emplace(scenario.strategies[i].strategy.name, std::move(timeline));
  }
  rank_results(run.ranked);
  if (record_timelines && !run.ranked.empty()) {
    const StrategyResult& best = run.ranked.front();
    const sim::TimelineRecorder& timeline = timelines.at(best.strategy.name);
    // An extrapolated step's timeline is of its longer short step.
    const double recorded_s = best.extrapolated ? timeline.end_time().seconds() : best.step_time_s;
    const sim::SimTime step = sim::SimTime::from_seconds(recorded_s);
    const sim::SimTime from = sim::SimTime::from_seconds(recorded_s * 0.5);
    const sim::SimTime to = std::min(step, sim::SimTime::from_seconds(recorded_s * (0.5 + kExcerptFraction)));
    run.excerpt = {best.strategy.name, from, to, timeline.spans_between(from, to, kExcerptSpans), ""};
    if (best.extrapolated) {
      run.excerpt.note = "A simulated step of " + std::to_string(best.extrapolated_from[1]) +
                         " micro-batches; the reported step of " + std::to_string(best.microbatches) +
                         " is extrapolated from it and one of " + std::to_string(best.extrapolated_from[0]) +
                         ".";
    }
  }
  return run;
}

std::vector<std::filesystem::path> write_report_bundle(const std::filesystem::path& dir,
                                                       const std::string& command, const Scenario& scenario,
                                                       const ScenarioRun& run, const nlohmann::json& extra) {
  std::vector<std::string> planned = {"report.json", "report.html"};
  for (const auto& [name, text] : run.trace_files) planned.push_back(name);
  sim::OutputBundle bundle(dir, command, planned);
  bundle.write("report.json", report_text(report_json(scenario, run.ranked, extra)));
  bundle.write("report.html",
               report_html(scenario, run.ranked, run.excerpt.spans.empty() ? nullptr : &run.excerpt));
  for (const auto& [name, text] : run.trace_files) bundle.write(name, text);
  return bundle.finish();
}

}  // namespace strata::scenarios
