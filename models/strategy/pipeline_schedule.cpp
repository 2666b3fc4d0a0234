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

// DualPipe's eight steps for one rank, in "phases": phase 0 is the direction in which the rank runs the
// nearer stage (stage min(r, p-1-r)), phase 1 the other. Counts from the DeepSeek-V3 report's figure 5 and
// the authors' reference schedule (deepseek-ai/DualPipe), with h = p/2, k = min(r, p-1-r), n = m/2:
//   1: 2(h-k-1) F0           2: (k+1) x (F0 F1)          3: (h-k-1) x (B1' W F1)
//   4: (n-p+k+1) x (F0 B1 F1 B0)                         5: (h-k-1) x (B1 F1 B0)
//   6: (k+1) x (B1 B0), the later half of them split      7: (h-k-1) x (W B0')         8: (k+1) W
// where B' is a zero-bubble input-gradient pass whose W is queued, and W runs the oldest queued one.
std::vector<PipelinePass> dualpipe_order(int p, std::int64_t m, int rank) {
  const int h = p / 2;
  const int k = std::min(rank, p - 1 - rank);
  const std::int64_t n = m / 2;
  const int direction_of_phase[2] = {rank < h ? 0 : 1, rank < h ? 1 : 0};
  std::int64_t forwards[2] = {0, 0};
  std::int64_t backwards[2] = {0, 0};
  std::vector<PipelinePass> order;
  std::vector<PipelinePass> queued;  // input-gradient passes whose W is still to run, oldest first
  std::size_t next_weight = 0;
  const auto micro = [&](int phase, std::int64_t index) { return direction_of_phase[phase] * n + index; };
  const auto f = [&](int phase) { order.push_back({PassKind::kForward, micro(phase, forwards[phase]++), direction_of_phase[phase]}); };
  const auto b = [&](int phase, bool split) {
    const PipelinePass pass{split ? PassKind::kInputGradient : PassKind::kBackward, micro(phase, backwards[phase]++), direction_of_phase[phase]};
    order.push_back(pass);
    if (split) queued.push_back(pass);
  };
  const auto w = [&] {
    const PipelinePass& held = queued.at(next_weight++);
    order.push_back({PassKind::kWeightGradient, held.microbatch, held.chunk});
  };
  for (int i = 0; i < 2 * (h - k - 1); ++i) f(0);
  for (int i = 0; i < k + 1; ++i) {
    f(0);
    f(1);
  }
  for (int i = 0; i < h - k - 1; ++i) {
    b(1, true);
    w();
    f(1);
  }
  for (std::int64_t i = 0; i < n - p + k + 1; ++i) {
    f(0);
    b(1, false);
    f(1);
    b(0, false);
  }
  for (int i = 0; i < h - k - 1; ++i) {
    b(1, false);
    f(1);
    b(0, false);
  }
  bool split = false;
  for (int i = 0; i < k + 1; ++i) {
    if (i == (k + 1) / 2 && k % 2 == 1) split = true;
    b(1, split);
    if (i == (k + 1) / 2 && k % 2 == 0) split = true;
    b(0, split);
  }
  for (int i = 0; i < h - k - 1; ++i) {
    w();
    b(0, true);
  }
  while (next_weight < queued.size()) w();
  return order;
}

}  // namespace

int pass_virtual_stage(const ParallelStrategy& s, int chunk, int stage) {
  if (s.schedule == PipelineSchedule::kDualPipe && chunk == 1) return s.pp - 1 - stage;
  return chunk * s.pp + stage;
}

int chunks_per_rank(const ParallelStrategy& s) { return s.schedule == PipelineSchedule::kDualPipe ? 2 : s.vpp; }

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
  if (s.schedule == PipelineSchedule::kDualPipe) return dualpipe_order(p, m, stage);
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
