// The HTML report of `strata run` / `strata search`: one self-contained file (inline CSS, SVG and one small
// script that sorts the table; nothing fetched from the network) with the verdict, the search's counts, step
// times against the best, the stacked time breakdown, memory against capacity, a results table with every
// strategy field, and a timeline excerpt; every chart has a legend, and a category has one colour in every
// chart. Every user-supplied string (scenario, strategy, model names, sources) is HTML-escaped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/report/html_parts.hpp"
#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::scenarios {

// A window of one strategy's timeline, shown as lanes (one per track).
struct TimelineExcerpt {
  std::string strategy;
  sim::SimTime from;
  sim::SimTime to;
  std::vector<sim::TimelineRecorder::SpanRecord> spans;
  std::string note;  // e.g. that the timeline is of a shorter step than the one reported; empty: none
};

// `extra`: report.json's extra keys; its "search" counts are shown.
std::string report_html(const Scenario& scenario, const std::vector<StrategyResult>& ranked,
                        const TimelineExcerpt* excerpt,
                        const nlohmann::json& extra = nlohmann::json::object());

}  // namespace strata::scenarios
