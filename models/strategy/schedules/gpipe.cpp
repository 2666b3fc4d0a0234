// GPipe (Huang et al. 2019): every stage runs all forwards, then all backwards. Bubble (p - 1) / (m + p - 1),
// like 1F1B, but every micro-batch's activations are held at once.
#include "models/memory/memory_model.hpp"
#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {
namespace {

class Gpipe final : public PipelineScheduleKind {
 public:
  std::string_view name() const override { return "gpipe"; }
  std::string_view candidate_suffix() const override { return "-gpipe"; }
  std::vector<PipelinePass> order(const ParallelStrategy&, std::int64_t m, int) const override {
    std::vector<PipelinePass> order;
    for (std::int64_t i = 0; i < m; ++i) order.push_back({PassKind::kForward, i, 0});
    for (std::int64_t i = 0; i < m; ++i) order.push_back({PassKind::kBackward, i, 0});
    return order;
  }
  double in_flight_microbatches(const ParallelStrategy& s, std::int64_t m) const override {
    return models::in_flight_microbatches(s.pp, 1, m, true);
  }
};

}  // namespace

const PipelineScheduleKind& gpipe_schedule() {
  static const Gpipe schedule;
  return schedule;
}

}  // namespace strata::models
