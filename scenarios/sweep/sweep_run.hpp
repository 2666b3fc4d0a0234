// Runs a sweep grid's points (sweep_grid.hpp) on a thread pool and records each as one JSON line, so that a
// sweep killed at any moment loses no finished point.
//
// DIR/sweep.jsonl gets one line per finished point, appended with a single write and flushed:
//   {"index": 3, "point": {"cluster.nodes": 16, ...}, "results": [{"strategy", "rank", "step_time_s",
//    "tokens_per_s_per_gpu", "mfu", "peak_memory_gib", "oom"}, ...]}
// or, for a point whose scenario is bad input or that the engine refuses, {"index", "point", "error"}.
// A point runs the base's strategies (`strata run`) or, for a base with "search", the search's top K.
// Lines come in completion order; DIR/sweep.csv (written when every point is done) is in point order, one
// row per point and strategy, and the same for any thread count.
// Without `resume`, an existing non-empty sweep.jsonl is refused; with it, its points are skipped (each line
// is checked against the grid) and a torn last line is cut off.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/sweep/sweep_grid.hpp"

namespace strata::scenarios {

struct SweepOptions {
  int jobs = 0;  // threads (0: the hardware's, at most kMaxSweepJobs)
  bool resume = false;
  std::int64_t top = 10;  // strategies a search point keeps
};
inline constexpr int kMaxSweepJobs = 8;

struct SweepSummary {
  std::int64_t points = 0;
  std::int64_t resumed = 0;  // finished before this run
  std::int64_t run = 0;      // finished by this run
  std::int64_t failed = 0;   // of all finished points, those with an "error"
};

// `progress(done, total)` is called after each point, one call at a time (may be empty).
SweepSummary run_sweep(const SweepGrid& grid, const std::filesystem::path& dir,
                       const models::ProfileCatalog& profiles, const models::ModelCatalog& models,
                       const SweepOptions& options,
                       const std::function<void(std::int64_t, std::int64_t)>& progress = {});

}  // namespace strata::scenarios
