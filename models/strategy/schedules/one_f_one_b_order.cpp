#include "models/strategy/schedules/one_f_one_b_order.hpp"

#include <algorithm>

namespace strata::models {

std::vector<PipelinePass> one_f_one_b_order(int p, int v, std::int64_t m, int stage) {
  std::vector<PipelinePass> order;
  const std::int64_t total = m * v;
  const auto chunk = [&](std::int64_t k, bool forward) {
    const int c = static_cast<int>((k % (static_cast<std::int64_t>(p) * v)) / p);
    return forward ? c : v - 1 - c;
  };
  const auto micro = [&](std::int64_t k) { return (k / (static_cast<std::int64_t>(p) * v)) * p + k % p; };
  std::int64_t warmup =
      v == 1 ? std::min<std::int64_t>(p - stage - 1, m)
             : std::min<std::int64_t>(total, 2 * (p - stage - 1) + static_cast<std::int64_t>(v - 1) * p);
  if (v > 1 && m == p) warmup = total;
  for (std::int64_t k = 0; k < warmup; ++k) order.push_back({PassKind::kForward, micro(k), chunk(k, true)});
  for (std::int64_t i = 0; i + warmup < total; ++i) {
    order.push_back({PassKind::kForward, micro(warmup + i), chunk(warmup + i, true)});
    order.push_back({PassKind::kBackward, micro(i), chunk(i, false)});
  }
  for (std::int64_t i = std::max<std::int64_t>(0, total - warmup); i < total; ++i) {
    order.push_back({PassKind::kBackward, micro(i), chunk(i, false)});
  }
  return order;
}

}  // namespace strata::models
