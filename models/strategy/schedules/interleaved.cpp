// Megatron-LM's interleaved 1F1B (Narayanan et al. SC21, section 2.2.2): each stage holds vpp >= 2 model
// chunks (virtual stage chunk x p + stage) and runs the depth-first 1F1B order over them; the micro-batches
// per step must be a multiple of p (megatron/core/pipeline_parallel/schedules.py asserts it). Bubble
// (p - 1) / (v m + p - 1); the first stage holds 1 + (p - 1) / (p v) times 1F1B's activations (Korthikanti
// et al. 2022, section 4.2.3).
#include "models/memory/memory_model.hpp"
#include "models/strategy/schedules/one_f_one_b_order.hpp"

namespace strata::models {
namespace {

class Interleaved final : public PipelineScheduleKind {
 public:
  std::string_view name() const override { return "interleaved"; }
  std::string_view candidate_suffix() const override { return ""; }
  int min_vpp() const override { return 2; }
  int max_vpp() const override { return 1'000; }
  void validate(const ParallelStrategy& s, std::int64_t m, const Fail& fail) const override {
    if (s.pp < 2) fail("vpp", "the interleaved schedule needs pp >= 2");
    if (m > 0 && m % s.pp != 0) {
      fail("vpp", "the interleaved schedule needs the micro-batches per step (" + std::to_string(m) +
                      ") to be a multiple of pp (" + std::to_string(s.pp) + ")");
    }
  }
  std::vector<PipelinePass> order(const ParallelStrategy& s, std::int64_t m, int stage) const override {
    return one_f_one_b_order(s.pp, s.vpp, m, stage);
  }
  std::int64_t microbatch_multiple(const ParallelStrategy& s) const override { return s.pp; }
  double in_flight_microbatches(const ParallelStrategy& s, std::int64_t m) const override {
    return models::in_flight_microbatches(s.pp, s.vpp, m, false);
  }
};

}  // namespace

const PipelineScheduleKind& interleaved_schedule() {
  static const Interleaved schedule;
  return schedule;
}

}  // namespace strata::models
