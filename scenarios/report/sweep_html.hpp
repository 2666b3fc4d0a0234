// The page of `strata sweep` (DIR/sweep.html): one self-contained file (inline CSS and SVG, no script,
// nothing fetched) with the plots people draw from a sweep, taken from each point's best strategy (rank 1,
// not out of memory):
// - for every axis with two or more values, tokens/s per GPU and step time against that axis, one line per
//   combination of the other axes' values (e.g. throughput per GPU against cluster size, one line per
//   system);
// - the Pareto front of cost against time: GPU-hours per million tokens against the wall time of a million
//   tokens, the points no other point beats on both;
// - a table of every point's best strategy, or its error.
// Every string from the grid, the scenario or an error is HTML-escaped.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/sweep/sweep_grid.hpp"

namespace strata::scenarios {

// `entries`: every point's journal line (sweep_run.hpp), by index.
std::string sweep_html(const SweepGrid& grid, const std::map<std::int64_t, nlohmann::json>& entries);

// At most this many lines per chart and rows in the table (the rest are in sweep.csv, as the page says).
inline constexpr std::size_t kSweepChartSeries = 10;
inline constexpr std::size_t kSweepTableRows = 2000;

}  // namespace strata::scenarios
