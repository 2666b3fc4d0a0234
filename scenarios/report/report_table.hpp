// The terminal form of a report: one line per strategy, in rank order (scenarios/README.md, "strata run").
#pragma once

#include <string>
#include <vector>

#include "scenarios/runner/strategy_run.hpp"

namespace strata::scenarios {

// Opens with the verdict (verdict.hpp), wrapped to 110 columns. Columns: rank, strategy, step time,
// tokens/s/GPU, MFU, peak memory / capacity, OOM, biggest time sink (the largest part of the step other than
// compute, with its share). A step time marked * was extrapolated from two short steps; a footnote says so.
std::string ranking_table(const std::vector<StrategyResult>& ranked);

}  // namespace strata::scenarios
