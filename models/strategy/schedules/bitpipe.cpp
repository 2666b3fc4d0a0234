// BitPipe (Wu, Chen, Yu, "BitPipe: Bidirectional Interleaved Pipeline Parallelism for Accelerating Large
// Models Training", AAAI 2025, arXiv 2410.19367): two V-shaped interleaved pipelines in opposite directions
// over the same p ranks, as Chimera pairs two pipelines. Each direction holds a copy of the model cut into
// vpp x p virtual stages (vpp even: the V goes down and up), so a rank holds vpp chunks of each copy (twice
// the parameters); the first half of the micro-batches enters at rank 0, the second half at rank p - 1.
// The V's turns are local hand-overs. Pass order: the depth-first list schedule of list_scheduled_order.hpp,
// p micro-batches of each direction in flight (with Chimera's D/2 per pipeline the two directions wait on
// each other at the turns and about a quarter of the idealised step is idle). The copies' gradients are
// summed between mirror ranks before the optimizer (PipelineScheduleKind::model_copies); BitPipe overlaps
// that sum with the last backwards ("eager gradient synchronization"), here it follows the last backward.
#include "models/strategy/schedules/list_scheduled_order.hpp"

namespace strata::models {
namespace {

class BitPipe final : public ListScheduledKind {
 public:
  std::string_view name() const override { return "bitpipe"; }
  std::string_view candidate_suffix() const override { return "-bitpipe"; }
  int min_vpp() const override { return 2; }
  int max_vpp() const override { return 1'000; }
  bool even_vpp() const override { return true; }
  void validate(const ParallelStrategy& s, std::int64_t m, const Fail& fail) const override {
    if (s.pp < 2 || s.pp % 2 != 0)
      fail("pp", "BitPipe needs an even number of pipeline stages, got " + std::to_string(s.pp));
    if (m % 2 != 0)
      fail("micro_batch",
           "BitPipe splits the micro-batches over its two directions: needs an even number, got " +
               std::to_string(m));
  }
  int model_copies() const override { return 2; }
  int chunks_per_rank(const ParallelStrategy& s) const override { return 2 * s.vpp; }
  // Copy 0's chunks first (0 .. vpp-1), then copy 1's, which mirrors the ranks.
  int virtual_stage(const ParallelStrategy& s, int chunk, int stage) const override {
    const int copy = chunk / s.vpp;
    return v_shape_virtual_stage(s.pp, chunk % s.vpp, copy == 0 ? stage : s.pp - 1 - stage);
  }
  ChunkPlace place_of(const ParallelStrategy& s, int chunk, int vs) const override {
    const int copy = chunk / s.vpp;
    const ChunkPlace down = v_shape_place(s.pp, vs);
    return {copy * s.vpp + down.chunk, copy == 0 ? down.stage : s.pp - 1 - down.stage};
  }
  bool reversed(const ParallelStrategy& s, int chunk) const override {
    return (chunk % s.vpp) % 2 != chunk / s.vpp;
  }
  std::pair<std::int64_t, std::int64_t> chunk_microbatches(const ParallelStrategy& s, std::int64_t m,
                                                           int chunk) const override {
    return chunk < s.vpp ? std::pair<std::int64_t, std::int64_t>{0, m / 2 - 1}
                         : std::pair<std::int64_t, std::int64_t>{m / 2, m - 1};
  }
  ListScheduleInput list_input(const ParallelStrategy& s, std::int64_t m) const override {
    ListScheduleInput in;
    in.ranks = s.pp;
    in.virtual_stages = s.vpp * s.pp;
    in.microbatches = m;
    in.copies = 2;
    in.admitted = s.pp;
    in.copy_of = [half = m / 2](std::int64_t mb) { return mb < half ? 0 : 1; };
    in.place = [this, &s, half = m / 2](std::int64_t mb, int vs) {
      return place_of(s, mb < half ? 0 : s.vpp, vs);
    };
    return in;
  }
};

}  // namespace

const PipelineScheduleKind& bitpipe_schedule() {
  static const BitPipe schedule;
  return schedule;
}

}  // namespace strata::models
