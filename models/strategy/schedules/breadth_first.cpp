// Breadth-first pipeline parallelism (Lamy-Poirier, "Breadth-First Pipeline Parallelism", MLSys 2023): the
// looped placement of the interleaved schedule (vpp loops: virtual stage chunk x p + stage), but each rank
// runs every micro-batch through one chunk before the next: all forwards chunk by chunk, then all backwards
// from the last chunk down. The bubble is the interleaved schedule's, (p - 1) / (v m + p - 1) with m >= p,
// at GPipe's activation memory (every micro-batch in flight). What it buys is data-parallel overlap: a
// chunk's gradients are complete after its last micro-batch, early in the backward, and with ZeRO-3 a chunk's
// weights are gathered once per direction for all its micro-batches and its gradients reduce-scattered once
// (section 4.2), where depth-first schedules gather and reduce per micro-batch.
#include "models/memory/memory_model.hpp"
#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {
namespace {

class BreadthFirst final : public PipelineScheduleKind {
 public:
  std::string_view name() const override { return "bfpp"; }
  std::string_view candidate_suffix() const override { return "-bfpp"; }
  // One loop is GPipe.
  int min_vpp() const override { return 2; }
  int max_vpp() const override { return 1'000; }
  void validate(const ParallelStrategy& s, std::int64_t, const Fail& fail) const override {
    if (s.pp < 2) fail("vpp", "the bfpp schedule needs pp >= 2");
  }
  bool shares_weights_across_microbatches() const override { return true; }
  std::vector<PipelinePass> order(const ParallelStrategy& s, std::int64_t m, int) const override {
    std::vector<PipelinePass> order;
    for (int chunk = 0; chunk < s.vpp; ++chunk) {
      for (std::int64_t mb = 0; mb < m; ++mb) order.push_back({PassKind::kForward, mb, chunk});
    }
    for (int chunk = s.vpp - 1; chunk >= 0; --chunk) {
      for (std::int64_t mb = 0; mb < m; ++mb) order.push_back({PassKind::kBackward, mb, chunk});
    }
    return order;
  }
  double in_flight_microbatches(const ParallelStrategy& s, std::int64_t m) const override {
    return models::in_flight_microbatches(s.pp, 1, m, true);
  }
  bool searched_by_default(const TransformerConfig&) const override { return false; }
};

}  // namespace

const PipelineScheduleKind& breadth_first_schedule() {
  static const BreadthFirst schedule;
  return schedule;
}

}  // namespace strata::models
