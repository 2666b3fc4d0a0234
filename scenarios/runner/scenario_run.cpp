#include "scenarios/runner/scenario_run.hpp"

#include <algorithm>
#include <sstream>

#include "scenarios/report/report_json.hpp"
#include "scenarios/runner/steady_state_run.hpp"
#include "scenarios/runner/step_distribution.hpp"
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

namespace {

std::string chrome_trace(const sim::TimelineRecorder& timeline) {
  std::ostringstream trace;
  timeline.write_chrome_trace(trace);
  return trace.str();
}

// 5% of the step from its middle; an extrapolated step's timeline is of its longer short step.
TimelineExcerpt excerpt_of(const StrategyResult& best, const sim::TimelineRecorder& timeline) {
  const double recorded_s = best.extrapolated ? timeline.end_time().seconds() : best.step_time_s;
  const sim::SimTime step = sim::SimTime::from_seconds(recorded_s);
  const sim::SimTime from = sim::SimTime::from_seconds(recorded_s * 0.5);
  const sim::SimTime to = std::min(step, sim::SimTime::from_seconds(recorded_s * (0.5 + kExcerptFraction)));
  TimelineExcerpt excerpt{best.strategy.name, from, to, timeline.spans_between(from, to, kExcerptSpans), ""};
  if (best.extrapolated) {
    excerpt.note = "A simulated step of " + std::to_string(best.extrapolated_from[1]) +
                   " micro-batches; the reported step of " + std::to_string(best.microbatches) +
                   " is extrapolated from it and one of " + std::to_string(best.extrapolated_from[0]) + ".";
  }
  return excerpt;
}

}  // namespace

namespace {

// The step `result` reports, simulated again with `timeline`: the scenario's own step, or with --steps the
// median one's seed.
void record_reported_step(const Scenario& scenario, std::size_t index, const StrategyResult& result,
                          sim::TimelineRecorder& timeline) {
  if (result.step_distribution) {
    run_strategy_within_budget(with_jitter_seed(scenario, result.step_distribution->median_seed), index,
                               kFullSimulationTaskBudget, &timeline);
  } else {
    run_strategy_within_budget(scenario, index, kFullSimulationTaskBudget, &timeline);
  }
}

}  // namespace

ScenarioRun run_scenario(const Scenario& scenario, const RunRecording& recording, std::int64_t steps) {
  ScenarioRun run;
  const bool record_all = recording.traces == TraceSelection::kAll;
  std::vector<std::string> names;  // trace file names, by strategy index
  for (std::size_t i = 0; i < scenario.strategies.size(); ++i)
    names.push_back(trace_file_name(scenario.strategies[i].strategy.name, i, names));
  std::map<std::string, sim::TimelineRecorder> timelines;  // by strategy name (unique in a scenario)
  for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
    sim::TimelineRecorder timeline;
    if (steps > 1) {
      run.ranked.push_back(run_strategy_steps(scenario, i, steps));
      if (record_all) record_reported_step(scenario, i, run.ranked.back(), timeline);
    } else {
      run.ranked.push_back(run_strategy_within_budget(scenario, i, kFullSimulationTaskBudget,
                                                      record_all ? &timeline : nullptr));
    }
    if (!record_all) continue;
    run.trace_files[names[i]] = chrome_trace(timeline);
    timelines.emplace(scenario.strategies[i].strategy.name, std::move(timeline));
  }
  rank_results(run.ranked);
  const bool best_timeline = recording.excerpt || recording.traces == TraceSelection::kBest;
  if (run.ranked.empty() || !best_timeline) return run;
  const StrategyResult& best = run.ranked.front();
  if (!record_all) {
    std::size_t index = 0;
    while (scenario.strategies[index].strategy.name != best.strategy.name) ++index;
    sim::TimelineRecorder timeline;
    record_reported_step(scenario, index, best, timeline);
    if (recording.traces == TraceSelection::kBest) run.trace_files[names[index]] = chrome_trace(timeline);
    timelines.emplace(best.strategy.name, std::move(timeline));
  }
  if (recording.excerpt) run.excerpt = excerpt_of(best, timelines.at(best.strategy.name));
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
               report_html(scenario, run.ranked, run.excerpt.spans.empty() ? nullptr : &run.excerpt, extra));
  for (const auto& [name, text] : run.trace_files) bundle.write(name, text);
  return bundle.finish();
}

}  // namespace strata::scenarios
