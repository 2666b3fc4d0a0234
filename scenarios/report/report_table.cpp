#include "scenarios/report/report_table.hpp"

#include <algorithm>
#include <cstdio>

namespace strata::scenarios {

std::string ranking_table(const std::vector<StrategyResult>& ranked) {
  std::size_t name_width = 8;
  for (const StrategyResult& r : ranked) name_width = std::max(name_width, r.strategy.name.size());
  const int w = static_cast<int>(name_width);
  std::string text;
  char line[512];
  std::snprintf(line, sizeof line, "%4s  %-*s  %10s  %12s  %6s  %19s  %3s  %s\n", "rank", w, "strategy",
                "step (s)", "tokens/s/GPU", "MFU", "peak memory (GiB)", "OOM", "biggest time sink");
  text += line;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  for (const StrategyResult& r : ranked) {
    const auto [sink, seconds] = r.biggest_sink();
    char memory[64];
    std::snprintf(memory, sizeof memory, "%.1f / %.1f", r.memory.peak_bytes / kGiB,
                  r.memory.capacity_bytes / kGiB);
    std::snprintf(line, sizeof line, "%4d  %-*s  %10.3f%s %12.1f  %5.1f%%  %19s  %3s  %s %.3f s (%.0f%%)\n",
                  r.rank, w, r.strategy.name.c_str(), r.step_time_s, r.extrapolated ? "*" : " ",
                  r.tokens_per_s_per_gpu, 100.0 * r.mfu, memory, r.memory.oom ? "yes" : "", sink.c_str(),
                  seconds, 100.0 * seconds / r.step_time_s);
    text += line;
  }
  if (std::any_of(ranked.begin(), ranked.end(), [](const StrategyResult& r) { return r.extrapolated; })) {
    text +=
        "* extrapolated from two short steps (their micro-batch counts: extrapolated_from_microbatches in "
        "the report)\n";
  }
  return text;
}

}  // namespace strata::scenarios
