// 1F1B (PipeDream-Flush; Narayanan et al. SC21): each stage warms up with p - stage - 1 forwards, then
// alternates one forward and one backward, so at most p micro-batches are in flight on the first stage.
// Bubble (p - 1) / (m + p - 1) of the step.
#include <algorithm>

#include "models/memory/memory_model.hpp"
#include "models/strategy/schedules/one_f_one_b_order.hpp"

namespace strata::models {
namespace {

class OneFOneB final : public PipelineScheduleKind {
 public:
  std::string_view name() const override { return "1f1b"; }
  std::string_view candidate_suffix() const override { return ""; }
  std::vector<PipelinePass> order(const ParallelStrategy& s, std::int64_t m, int stage) const override {
    return one_f_one_b_order(s.pp, 1, m, stage);
  }
  double in_flight_microbatches(const ParallelStrategy& s, std::int64_t m) const override {
    return models::in_flight_microbatches(s.pp, 1, m, false);
  }
};

}  // namespace

const PipelineScheduleKind& one_f_one_b_schedule() {
  static const OneFOneB schedule;
  return schedule;
}

}  // namespace strata::models
