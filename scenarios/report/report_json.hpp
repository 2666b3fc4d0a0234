// The versioned JSON report of `strata run` / `strata search` (scenarios/README.md, "Reports"):
// {"strata_report": 1, "scenario": {...}, "results": [...], ...}. Keys are sorted and numbers printed the
// same way every time, so the same scenario gives the same bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

inline constexpr int kReportFormatVersion = 1;

// The resolved strategy: every field, defaults included, with the keys and words a scenario's strategies[]
// take, so it pastes back into one (strategy_fields.hpp).
nlohmann::json strategy_config_json(const models::ParallelStrategy& strategy,
                                    const models::TrainingSpec& training);
// One result as the report's `results[]` entry.
nlohmann::json result_json(const StrategyResult& result, const models::TrainingSpec& training);
// Its figures alone (step time, throughput, MFU, memory, time breakdown, ...): the entry without the
// strategy's config and published comparison, for a result that came from a graph file (`strata replay
// --json`).
nlohmann::json result_figures_json(const StrategyResult& result);
// {"mean", "p50", "p90", "p99"} in seconds.
nlohmann::json time_stats_json(const TimeStats& stats);
// What the scenario resolved to: cluster, GPU, model (with parameters), training.
nlohmann::json scenario_json(const Scenario& scenario);

// The whole report; `extra` keys (e.g. a search's counts) are merged at the top level.
nlohmann::json report_json(const Scenario& scenario, const std::vector<StrategyResult>& ranked,
                           const nlohmann::json& extra = nlohmann::json::object());
std::string report_text(const nlohmann::json& report);  // indented, newline-terminated

}  // namespace strata::scenarios
