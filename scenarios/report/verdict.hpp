// The verdict that opens the table, report.json and report.html: which strategy wins, by how much, and why,
// computed from the ranked results' time breakdowns (not a sentence per strategy kind):
//   "fsdp64 wins by 3.1% over tp8-pp2-dp4-overlap (14.593 s vs 15.050 s per step): tp8-pp2-dp4-overlap loses
//    0.987 s to exposed tensor-parallel communication and 0.460 s to the pipeline bubble; fsdp64 spends
//    0.965 s more in compute."
// The reasons are the categories (time_category.hpp) where the two steps differ most, each side's larger
// ones. Strategies that do not fit in memory are not winners; one faster than the winner is named with the
// memory it needs. A margin under kTieMargin is called a tie.
#pragma once

#include <string>
#include <vector>

#include "scenarios/runner/strategy_run.hpp"

namespace strata::scenarios {

// Below this relative margin the verdict calls the first two a tie: the simulator's validated error on
// published runs (strata validate, MAPE over 10%) is far larger, so the order of two strategies this close
// is not a prediction to act on.
inline constexpr double kTieMargin = 0.01;
// A category difference smaller than this share of the slower step is not named as a reason.
inline constexpr double kReasonShare = 0.005;

// Empty when `ranked` is empty. `ranked` is in rank order (rank_results).
std::string verdict(const std::vector<StrategyResult>& ranked);

// The "biggest time sink" cell of the table and the page: "tp 0.987 s (7%)", or "none over 0.5%" when the
// largest part of the step besides compute is under kReasonShare of it (which one that is, is noise).
std::string biggest_sink_label(const StrategyResult& result);

}  // namespace strata::scenarios
