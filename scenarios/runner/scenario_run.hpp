// Runs every strategy of a scenario and writes the report bundle (scenarios/README.md, "Reports"):
// DIR/report.json, DIR/report.html and DIR/trace-<strategy>.json.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenarios/report/report_html.hpp"
#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/name_table.hpp"

namespace strata::scenarios {

struct ScenarioRun {
  std::vector<StrategyResult> ranked;              // rank order (rank_results)
  std::map<std::string, std::string> trace_files;  // file name -> Chrome trace JSON (when recorded)
  TimelineExcerpt excerpt;                         // of the first-ranked strategy (when recorded)
};

// Which strategies' timelines a report bundle writes as trace-<strategy>.json (`--trace`): none, the
// first-ranked one (the default: all five of the demo's came to 70 MB, mostly the losers'), or every one.
enum class TraceSelection { kNone, kBest, kAll };
inline constexpr sim::NameTable<TraceSelection, 3> kTraceSelectionNames{{{
    {TraceSelection::kNone, "none"},
    {TraceSelection::kBest, "best"},
    {TraceSelection::kAll, "all"},
}}};

// What a run records besides the results.
struct RunRecording {
  bool excerpt = false;  // the first-ranked strategy's timeline excerpt, for report.html
  TraceSelection traces = TraceSelection::kNone;
};

// Simulates every strategy (all of them, before anything is written: a bad strategy throws InputError
// naming the scenario file and path). Timelines are recorded only where `recording` asks: for every
// strategy with kAll, otherwise by simulating the first-ranked one again with its timeline (the same
// simulation, so the same step). With `steps` above 1 (check_distribution_steps), each strategy runs that
// many jittered steps and reports its median one (step_distribution.hpp), whose timeline is the one recorded.
ScenarioRun run_scenario(const Scenario& scenario, const RunRecording& recording = {},
                         std::int64_t steps = 1);

// "trace-<name>.json" with characters other than [A-Za-z0-9._-] replaced by '_'; a name that collides
// with an earlier one gets "-<index>".
std::string trace_file_name(const std::string& strategy, std::size_t index,
                            const std::vector<std::string>& taken);

// Writes report.json (report_json with `extra`), report.html and the traces into `dir` (created) as an
// output bundle of `command` (sim/output_bundle.hpp: each file atomically, files of an earlier bundle there
// removed, manifest.json last). Returns the paths written, the manifest aside.
std::vector<std::filesystem::path> write_report_bundle(
    const std::filesystem::path& dir, const std::string& command, const Scenario& scenario,
    const ScenarioRun& run, const nlohmann::json& extra = nlohmann::json::object());

}  // namespace strata::scenarios
