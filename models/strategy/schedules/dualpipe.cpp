// DualPipe (DeepSeek-AI, "DeepSeek-V3 Technical Report", 2024, section 3.2.1, figure 5; the authors'
// reference schedule, deepseek-ai/DualPipe): micro-batches fed from both ends of the pipeline. Micro-batches
// 0..m/2-1 enter at rank 0 and run through ranks 0..p-1 (chunk 0), m/2..m-1 enter at rank p-1 and run back
// to rank 0 (chunk 1, the reverse direction), so rank r holds stages r and p-1-r: two copies of the
// parameters' share. Each rank interleaves the two directions so that forward and backward passes of
// different micro-batches alternate in the steady state, and splits some backward passes zero-bubble style.
// The two copies' gradients are summed with the mirror rank before the optimizer (the reference example
// adds the mirror rank's gradients to each stage's after the step).
// The reference implementation asserts an even rank count and an even micro-batch count of at least 2p.
#include <algorithm>

#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {
namespace {

// DualPipe's eight steps for one rank, in "phases": phase 0 is the direction in which the rank runs the
// nearer stage (stage min(r, p-1-r)), phase 1 the other. Counts from the report's figure 5 and the reference
// schedule, with h = p/2, k = min(r, p-1-r), n = m/2:
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
  const auto f = [&](int phase) {
    order.push_back({PassKind::kForward, micro(phase, forwards[phase]++), direction_of_phase[phase]});
  };
  const auto b = [&](int phase, bool split) {
    const PipelinePass pass{split ? PassKind::kInputGradient : PassKind::kBackward,
                            micro(phase, backwards[phase]++), direction_of_phase[phase]};
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

class DualPipe final : public PipelineScheduleKind {
 public:
  std::string_view name() const override { return "dualpipe"; }
  std::string_view candidate_suffix() const override { return "-dualpipe"; }
  void validate(const ParallelStrategy& s, std::int64_t m, const Fail& fail) const override {
    if (s.pp < 2 || s.pp % 2 != 0)
      fail("pp", "DualPipe needs an even number of pipeline stages, got " + std::to_string(s.pp));
    if (m % 2 != 0 || m < 2 * s.pp) {
      fail("micro_batch", "DualPipe needs an even number of micro-batches per step, at least 2 x pp = " +
                              std::to_string(2 * s.pp) + "; got " + std::to_string(m));
    }
  }
  int model_copies() const override { return 2; }
  int chunks_per_rank(const ParallelStrategy&) const override { return 2; }
  int virtual_stage(const ParallelStrategy& s, int chunk, int stage) const override {
    return chunk == 1 ? s.pp - 1 - stage : stage;
  }
  int virtual_stages(const ParallelStrategy& s) const override { return s.pp; }
  ChunkPlace place_of(const ParallelStrategy& s, int chunk, int vs) const override {
    return {chunk, chunk == 1 ? s.pp - 1 - vs : vs};
  }
  bool reversed(const ParallelStrategy&, int chunk) const override { return chunk == 1; }
  std::pair<std::int64_t, std::int64_t> chunk_microbatches(const ParallelStrategy&, std::int64_t m,
                                                           int chunk) const override {
    return chunk == 0 ? std::pair<std::int64_t, std::int64_t>{0, m / 2 - 1}
                      : std::pair<std::int64_t, std::int64_t>{m / 2, m - 1};
  }
  std::vector<PipelinePass> order(const ParallelStrategy& s, std::int64_t m, int stage) const override {
    return dualpipe_order(s.pp, m, stage);
  }
  // The step's shape changes with m (phase 4 grows, the others do not, but the two directions' halves shift
  // against each other): it is simulated whole.
  bool extrapolates() const override { return false; }
  // The report's table 2: PP + 1 micro-batches of one chunk in flight per device, over its two chunks.
  double in_flight_microbatches(const ParallelStrategy& s, std::int64_t) const override {
    return (s.pp + 1.0) / 2.0;
  }
  // DualPipe is the schedule of expert-parallel training (DeepSeek-V3): searched by default for MoE models.
  bool searched_by_default(const TransformerConfig& model) const override { return model.moe.experts > 0; }
};

}  // namespace

const PipelineScheduleKind& dualpipe_schedule() {
  static const DualPipe schedule;
  return schedule;
}

}  // namespace strata::models
