// ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", ICLR 2024, section 3.1, figure 3): the backward is
// split into the input-gradient pass B, sent on at once, and the weight-gradient pass W, deferred into the
// bubbles; at 1F1B's activation memory the bubble shrinks to about a third of 1F1B's.
//
// Stage i runs 1F1B's min(p - i - 1, m) warm-up forwards, then i pairs of F and B with their W held back,
// then F B W triples, then B W pairs, then the i held-back W passes, which fill the end of the step where
// 1F1B idles; each W is the oldest pending micro-batch's, so at most p micro-batches are in flight as in
// 1F1B. Stage 0 holds nothing back and runs whole backward passes.
#include "models/memory/memory_model.hpp"
#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {
namespace {

class ZeroBubbleH1 final : public PipelineScheduleKind {
 public:
  std::string_view name() const override { return "zb-h1"; }
  std::string_view candidate_suffix() const override { return "-zb"; }
  std::vector<PipelinePass> order(const ParallelStrategy& s, std::int64_t m, int stage) const override {
    std::vector<PipelinePass> order;
    std::int64_t forward = 0;
    std::int64_t backward = 0;
    std::int64_t weight = 0;
    const bool split = stage > 0;
    const auto f = [&] { order.push_back({PassKind::kForward, forward++, 0}); };
    const auto b = [&] {
      order.push_back({split ? PassKind::kInputGradient : PassKind::kBackward, backward++, 0});
    };
    const auto w = [&] {
      if (split) order.push_back({PassKind::kWeightGradient, weight++, 0});
    };
    for (std::int64_t i = 0; i < s.pp - stage - 1 && forward < m; ++i) f();
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
  double in_flight_microbatches(const ParallelStrategy& s, std::int64_t m) const override {
    return models::in_flight_microbatches(s.pp, 1, m, false);
  }
};

}  // namespace

const PipelineScheduleKind& zero_bubble_h1_schedule() {
  static const ZeroBubbleH1 schedule;
  return schedule;
}

}  // namespace strata::models
