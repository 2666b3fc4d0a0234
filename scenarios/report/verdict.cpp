#include "scenarios/report/verdict.hpp"

#include <algorithm>

#include "models/graph/time_category.hpp"
#include "scenarios/report/html_parts.hpp"

namespace strata::scenarios {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr std::size_t kReasonsPerSide = 2;

double seconds_in(const StrategyResult& r, const std::string& key) {
  const auto found = r.time_breakdown_s.find(key);
  return found == r.time_breakdown_s.end() ? 0.0 : found->second;
}

std::string phrase(const std::string& key) {
  const auto category = models::kTimeCategoryNames.value(key);
  return category ? std::string(models::category_phrase(*category)) : key;
}

// "0.987 s to exposed tensor-parallel communication and 0.460 s to the pipeline bubble": where `slower`
// spends more than `faster`, largest first.
std::vector<std::pair<double, std::string>> extra_time(const StrategyResult& slower,
                                                       const StrategyResult& faster, double floor) {
  std::vector<std::pair<double, std::string>> extra;
  for (const std::string& key : time_breakdown_keys()) {
    const double delta = seconds_in(slower, key) - seconds_in(faster, key);
    if (delta > floor) extra.emplace_back(delta, key);
  }
  std::sort(extra.begin(), extra.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (extra.size() > kReasonsPerSide) extra.resize(kReasonsPerSide);
  return extra;
}

std::string listed(const std::vector<std::pair<double, std::string>>& extra, const char* link) {
  std::string text;
  for (std::size_t i = 0; i < extra.size(); ++i) {
    if (i > 0) text += " and ";
    text += number("%.3f s ", extra[i].first) + link + " " + phrase(extra[i].second);
  }
  return text;
}

}  // namespace

std::string verdict(const std::vector<StrategyResult>& ranked) {
  if (ranked.empty()) return "";
  std::vector<const StrategyResult*> fitting;
  for (const StrategyResult& r : ranked)
    if (!r.memory.oom) fitting.push_back(&r);
  std::string text;
  if (fitting.empty()) {
    const auto leanest = std::min_element(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.memory.peak_bytes < b.memory.peak_bytes;
    });
    return "No strategy fits in memory: the leanest, " + leanest->strategy.name + ", needs " +
           number("%.1f GiB", leanest->memory.peak_bytes / kGiB) + " per GPU of " +
           number("%.1f GiB.", leanest->memory.capacity_bytes / kGiB);
  }
  const StrategyResult& winner = *fitting[0];
  if (fitting.size() == 1) {
    text = winner.strategy.name + " is the only strategy that fits in memory" +
           number(" (%.3f s per step).", winner.step_time_s);
  } else {
    const StrategyResult& second = *fitting[1];
    const double margin = second.step_time_s / winner.step_time_s - 1;
    text = margin < kTieMargin ? winner.strategy.name + " and " + second.strategy.name + " tie (" +
                                     number("%.1f%% apart", 100 * margin) + ", closer than the model resolves"
                               : winner.strategy.name + " wins by " + number("%.1f%%", 100 * margin) +
                                     " over " + second.strategy.name + " (";
    text += number(margin < kTieMargin ? "; %.3f s" : "%.3f s", winner.step_time_s) +
            number(" vs %.3f s per step)", second.step_time_s);
    const double floor = kReasonShare * second.step_time_s;
    const auto second_extra = extra_time(second, winner, floor);
    const auto winner_extra = extra_time(winner, second, floor);
    if (!second_extra.empty()) text += ": " + second.strategy.name + " loses " + listed(second_extra, "to");
    if (!winner_extra.empty())
      text += (second_extra.empty() ? ": " : "; ") + winner.strategy.name + " spends " +
              listed(winner_extra, "more in");
    text += ".";
  }
  for (const StrategyResult& r : ranked) {
    if (!r.memory.oom || r.step_time_s >= winner.step_time_s) continue;
    text += " " + r.strategy.name + " would be " +
            number("%.1f%% faster", 100 * (1 - r.step_time_s / winner.step_time_s)) + " but needs " +
            number("%.1f GiB", r.memory.peak_bytes / kGiB) + " per GPU of " +
            number("%.1f GiB.", r.memory.capacity_bytes / kGiB);
    break;
  }
  return text;
}

std::string biggest_sink_label(const StrategyResult& result) {
  const auto [sink, seconds] = result.biggest_sink();
  if (seconds < kReasonShare * result.step_time_s) return number("none over %.1f%%", 100 * kReasonShare);
  return sink + number(" %.3f s", seconds) + number(" (%.0f%%)", 100.0 * seconds / result.step_time_s);
}

}  // namespace strata::scenarios
