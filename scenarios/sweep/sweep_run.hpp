// Runs a sweep grid's points (sweep_grid.hpp) and records each as one JSON line, so that a sweep killed at
// any moment loses no finished point. The points run on a thread pool (run_sweep) or on several processes
// (sweep_mpi.hpp); both go through SweepOutput, so their files are the same.
//
// DIR/sweep.jsonl gets one line per finished point, appended with a single write and flushed:
//   {"index": 3, "point": {"cluster.nodes": 16, ...}, "results": [{"strategy", "rank", "gpus",
//    "step_time_s", "tokens_per_s_per_gpu", "mfu", "peak_memory_gib", "oom"}, ...]}
// or, for a point whose scenario is bad input or that the engine refuses, {"index", "point", "error"}.
// A point runs the base's strategies (`strata run`) or, for a base with "search", the search's top K.
// Lines come in completion order; DIR/sweep.csv and DIR/sweep.html (written when every point is done) are in
// point order, one row per point and strategy, and the same for any thread or process count.
// Without `resume`, an existing non-empty sweep.jsonl is refused; with it, its points are skipped (each line
// is checked against the grid) and a torn last line is cut off.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/runner/error_band.hpp"
#include "scenarios/sweep/sweep_grid.hpp"

namespace strata::scenarios {

struct SweepOptions {
  int jobs = 0;  // threads per process (0: the hardware's, at most kMaxSweepJobs)
  bool resume = false;
  std::int64_t top = 10;  // strategies a search point keeps
  // The error bands' data (error_band.hpp): each result's band joins its journal line and the table; none:
  // results without bands.
  const ValidationResiduals* residuals = nullptr;
};
inline constexpr int kMaxSweepJobs = 8;

struct SweepSummary {
  std::int64_t points = 0;
  std::int64_t resumed = 0;  // finished before this run
  std::int64_t run = 0;      // finished by this run
  std::int64_t failed = 0;   // of all finished points, those with an "error" (known once finished)
};

// Called after each finished point, one call at a time (may be empty).
using SweepProgress = std::function<void(const SweepSummary&)>;

// Point `index`'s journal line (without the newline): its results, or the error its scenario gave.
std::string sweep_point_line(const SweepGrid& grid, std::int64_t index,
                             const models::ProfileCatalog& profiles, const models::ModelCatalog& models,
                             const SweepOptions& options);

class SweepJournal;

// A sweep's output directory: the journal of finished points and, once every point is in, the table and the
// page. Not thread-safe: callers serialise.
class SweepOutput {
 public:
  // Creates DIR; reads the journal when resuming. Throws InputError (a journal of another grid, a journal
  // that exists without `resume`, a directory that cannot be written).
  SweepOutput(const SweepGrid& grid, const std::filesystem::path& dir, bool resume);
  ~SweepOutput();
  SweepOutput(const SweepOutput&) = delete;
  SweepOutput& operator=(const SweepOutput&) = delete;

  // The points not yet in the journal, in index order.
  const std::vector<std::int64_t>& pending() const { return pending_; }
  // Appends a finished point; a point recorded twice is a bug (STRATA_ASSERT).
  void record(std::int64_t index, const std::string& line);
  const SweepSummary& summary() const { return summary_; }
  // Writes DIR/sweep.csv and DIR/sweep.html; every point must be recorded.
  SweepSummary finish();

 private:
  const SweepGrid& grid_;
  std::filesystem::path dir_;
  std::map<std::int64_t, std::string> lines_;
  std::vector<std::int64_t> pending_;
  SweepSummary summary_;
  std::unique_ptr<SweepJournal> journal_;
};

// Every pending point on this process's threads.
SweepSummary run_sweep(const SweepGrid& grid, const std::filesystem::path& dir,
                       const models::ProfileCatalog& profiles, const models::ModelCatalog& models,
                       const SweepOptions& options, const SweepProgress& progress = {});

}  // namespace strata::scenarios
