#include "models/strategy/pipeline_schedule.hpp"

#include <algorithm>

namespace strata::models {
namespace {

std::vector<PipelinePass> zero_bubble_h1_order(int p, std::int64_t m, int stage) {
  std::vector<PipelinePass> order;
  std::int64_t forward = 0;
  std::int64_t backward = 0;
  std::int64_t weight = 0;
  const bool split = stage > 0;
  const auto f = [&] { order.push_back({PassKind::kForward, forward++, 0}); };
  const auto b = [&] { order.push_back({split ? PassKind::kInputGradient : PassKind::kBackward, backward++, 0}); };
  const auto w = [&] {
    if (split) order.push_back({PassKind::kWeightGradient, weight++, 0});
  };
  for (std::int64_t i = 0; i < p - stage - 1 && forward < m; ++i) f();
  for (int i = 0; i < stage && forward < m; ++i) {
    f();
    b();
  }
  while (forward < m) {
    f();
    b();
    w();
  }
  while (backward < m) {
    b();
    w();
  }
  while (split && weight < m) w();
  return order;
}

}  // namespace

std::vector<PipelinePass> pipeline_order(const ParallelStrategy& s, std::int64_t m, int stage) {
  std::vector<PipelinePass> order;
  const int p = s.pp;
  const int v = s.vpp;
  if (s.schedule == PipelineSchedule::kGpipe) {
    for (std::int64_t i = 0; i < m; ++i) order.push_back({PassKind::kForward, i, 0});
    for (std::int64_t i = 0; i < m; ++i) order.push_back({PassKind::kBackward, i, 0});
    return order;
  }
  if (s.schedule == PipelineSchedule::kZeroBubbleH1) return zero_bubble_h1_order(p, m, stage);
  const std::int64_t total = m * v;
  const auto chunk = [&](std::int64_t k, bool forward) {
    const int c = static_cast<int>((k % (static_cast<std::int64_t>(p) * v)) / p);
    return forward ? c : v - 1 - c;
  };
  const auto micro = [&](std::int64_t k) { return (k / (static_cast<std::int64_t>(p) * v)) * p + k % p; };
  std::int64_t warmup = v == 1 ? std::min<std::int64_t>(p - stage - 1, m)
                               : std::min<std::int64_t>(total, 2 * (p - stage - 1) + static_cast<std::int64_t>(v - 1) * p);
  if (v > 1 && m == p) warmup = total;
  for (std::int64_t k = 0; k < warmup; ++k) order.push_back({PassKind::kForward, micro(k), chunk(k, true)});
  for (std::int64_t i = 0; i + warmup < total; ++i) {
    order.push_back({PassKind::kForward, micro(warmup + i), chunk(warmup + i, true)});
    order.push_back({PassKind::kBackward, micro(i), chunk(i, false)});
  }
  for (std::int64_t i = std::max<std::int64_t>(0, total - warmup); i < total; ++i) order.push_back({PassKind::kBackward, micro(i), chunk(i, false)});
  return order;
}

}  // namespace strata::models
