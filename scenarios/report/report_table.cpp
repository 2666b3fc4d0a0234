#include "scenarios/report/report_table.hpp"

#include <algorithm>
#include <cstdio>

#include "scenarios/report/verdict.hpp"

namespace strata::scenarios {
namespace {

constexpr std::size_t kColumns = 110;

// A unit stays on its number's line ("0.987 s", "96.3 GiB").
bool is_unit(const std::string& word) {
  const std::string bare = word.substr(0, word.find_first_of(".,;:)"));
  return bare == "s" || bare == "GiB";
}

// Words wrapped to kColumns.
std::string wrapped(const std::string& text) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    start = end + 1;
    while (start < text.size()) {  // glue the unit that follows
      std::size_t next = text.find(' ', start);
      if (next == std::string::npos) next = text.size();
      if (!is_unit(text.substr(start, next - start))) break;
      word += " " + text.substr(start, next - start);
      start = next + 1;
    }
    if (!line.empty() && line.size() + 1 + word.size() > kColumns) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return line.empty() ? out : out + line + "\n";
}

}  // namespace

std::string ranking_table(const std::vector<StrategyResult>& ranked) {
  std::size_t name_width = 8;
  for (const StrategyResult& r : ranked) name_width = std::max(name_width, r.strategy.name.size());
  const int w = static_cast<int>(name_width);
  std::string text = wrapped(verdict(ranked));
  // With --steps every result has a distribution: the step column is its median, and its p99 follows.
  const bool distributed = !ranked.empty() && ranked.front().step_distribution.has_value();
  const int step_width = distributed ? 12 : 10;
  const bool banded = std::any_of(ranked.begin(), ranked.end(),
                                  [](const StrategyResult& r) { return r.error_band.has_value(); });
  char line[512];
  std::snprintf(line, sizeof line, "%4s  %-*s  %*s  %s%s%12s  %6s  %19s  %3s  %s\n", "rank", w, "strategy",
                step_width, distributed ? "p50 step (s)" : "step (s)", banded ? "expected error  " : "",
                distributed ? "p99 step (s)  " : "", "tokens/s/GPU", "MFU", "peak memory (GiB)", "OOM",
                "biggest time sink");
  text += line;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  for (const StrategyResult& r : ranked) {
    char memory[64];
    std::snprintf(memory, sizeof memory, "%.1f / %.1f", r.memory.peak_bytes / kGiB,
                  r.memory.capacity_bytes / kGiB);
    char p99[32] = "";
    if (r.step_distribution) std::snprintf(p99, sizeof p99, "%12.3f  ", r.step_distribution->stats.p99_s);
    char band[32] = "";
    if (banded) {
      std::snprintf(band, sizeof band, "%14s  ",
                    r.error_band ? band_text(*r.error_band, BandMetric::kTime).c_str() : "-");
    }
    std::snprintf(line, sizeof line, "%4d  %-*s  %*.3f%s %s%s%12.1f  %5.1f%%  %19s  %3s  %s\n", r.rank, w,
                  r.strategy.name.c_str(), step_width, r.step_time_s, r.extrapolated ? "*" : " ", band, p99,
                  r.tokens_per_s_per_gpu, 100.0 * r.mfu, memory, r.memory.oom ? "yes" : "",
                  biggest_sink_label(r).c_str());
    text += line;
  }
  if (std::any_of(ranked.begin(), ranked.end(), [](const StrategyResult& r) { return r.extrapolated; })) {
    text +=
        "* extrapolated from two short steps (their micro-batch counts: extrapolated_from_microbatches in "
        "the report)\n";
  }
  std::vector<const ErrorBand*> bands;
  for (const StrategyResult& r : ranked) bands.push_back(r.error_band ? &*r.error_band : nullptr);
  if (const std::string note = band_note(bands); !note.empty()) text += wrapped(note);
  if (distributed) {
    const StepTimeDistribution& d = *ranked.front().step_distribution;
    text += wrapped("over " + std::to_string(d.steps) + " steps with jitter seeds " +
                    std::to_string(d.first_seed) + " to " +
                    std::to_string(d.first_seed + static_cast<std::uint64_t>(d.steps) - 1) +
                    "; the other figures are the median step's (step_time_distribution_s in the report)");
  }
  return text;
}

}  // namespace strata::scenarios
