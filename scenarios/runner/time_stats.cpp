#include "scenarios/runner/time_stats.hpp"

#include <algorithm>
#include <cmath>

namespace strata::scenarios {

double nearest_rank(const std::vector<double>& sorted, double percent) {
  const auto n = static_cast<double>(sorted.size());
  const auto index = static_cast<std::size_t>(std::max(1.0, std::ceil(percent / 100.0 * n))) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

TimeStats time_stats(std::vector<double> values) {
  TimeStats stats;
  if (values.empty()) return stats;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (const double v : values) sum += v;
  stats.mean_s = sum / static_cast<double>(values.size());
  stats.p50_s = nearest_rank(values, 50);
  stats.p90_s = nearest_rank(values, 90);
  stats.p99_s = nearest_rank(values, 99);
  return stats;
}

}  // namespace strata::scenarios
