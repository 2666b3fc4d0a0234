// The summary of a set of durations that reports print: serving latencies (TTFT, TPOT, end to end) and the
// step times of a jittered training run (`strata run --steps N`).
#pragma once

#include <vector>

namespace strata::scenarios {

// Mean and nearest-rank percentiles: pXX is the smallest value with at least XX% of the values at or below it
// (so p50 of an even count is the lower middle value, one that occurred).
struct TimeStats {
  double mean_s = 0;
  double p50_s = 0;
  double p90_s = 0;
  double p99_s = 0;
};
// The statistics of `values` (seconds); all zero when empty.
TimeStats time_stats(std::vector<double> values);
// The nearest-rank `percent` percentile of `sorted` (ascending, not empty).
double nearest_rank(const std::vector<double>& sorted, double percent);

}  // namespace strata::scenarios
