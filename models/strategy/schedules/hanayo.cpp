// Hanayo (Liu, Cheng, Zhou, You, "Hanayo: Harnessing Wave-like Pipeline Parallelism for Enhanced Large Model
// Training Efficiency", SC23): the model is cut into 2 W p virtual stages that run down the p ranks and back
// up W times (W waves, the strategy's vpp), so each rank holds 2W chunks of one copy of the model; unlike
// Chimera it duplicates no weights. The chunks meet on the same rank at each turn of a wave, so those
// hand-overs cost no transfer. Pass order: the depth-first list schedule of list_scheduled_order.hpp over the
// wave placement, with 2p micro-batches in flight: a micro-batch's round trip
// through 2Wp virtual stages keeps it in flight as long as p micro-batches of 1F1B, and with p alone the
// ranks wait on each other at every turn of the wave (about a third of the step idle in the idealised run);
// at 2p the first rank's activation memory is about 1F1B's (the test compares them).
#include "models/strategy/schedules/list_scheduled_order.hpp"

namespace strata::models {
namespace {

ListScheduleInput waves(const ParallelStrategy& s, std::int64_t m) {
  ListScheduleInput in;
  in.ranks = s.pp;
  in.virtual_stages = 2 * s.vpp * s.pp;
  in.microbatches = m;
  in.admitted = 2 * s.pp;
  in.place = [p = s.pp](std::int64_t, int vs) { return v_shape_place(p, vs); };
  in.copy_of = [](std::int64_t) { return 0; };
  return in;
}

class Hanayo final : public ListScheduledKind {
 public:
  std::string_view name() const override { return "hanayo"; }
  std::string_view candidate_suffix() const override { return "-hanayo"; }
  int max_vpp() const override { return 1'000; }
  void validate(const ParallelStrategy& s, std::int64_t, const Fail& fail) const override {
    if (s.pp < 2) fail("pp", "the hanayo schedule needs pp >= 2 (its waves run down and up the pipeline)");
  }
  int chunks_per_rank(const ParallelStrategy& s) const override { return 2 * s.vpp; }
  int virtual_stage(const ParallelStrategy& s, int chunk, int stage) const override {
    return v_shape_virtual_stage(s.pp, chunk, stage);
  }
  int virtual_stages(const ParallelStrategy& s) const override { return 2 * s.vpp * s.pp; }
  ChunkPlace place_of(const ParallelStrategy& s, int, int vs) const override {
    return v_shape_place(s.pp, vs);
  }
  bool reversed(const ParallelStrategy&, int chunk) const override { return chunk % 2 == 1; }
  ListScheduleInput list_input(const ParallelStrategy& s, std::int64_t m) const override {
    return waves(s, m);
  }
};

}  // namespace

const PipelineScheduleKind& hanayo_schedule() {
  static const Hanayo schedule;
  return schedule;
}

}  // namespace strata::models
