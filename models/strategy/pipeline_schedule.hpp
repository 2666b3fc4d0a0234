// The order one pipeline stage runs its forward and backward passes in: GPipe, 1F1B, Megatron-LM's
// interleaved 1F1B over vpp model chunks (Narayanan et al. SC21, section 2.2.2;
// megatron/core/pipeline_parallel/schedules.py), ZB-H1 (Qi et al., ICLR 2024, section 3.1, figure 3), or
// DualPipe (DeepSeek-AI, "DeepSeek-V3 Technical Report", 2024, section 3.2.1, figure 5).
#pragma once

#include <cstdint>
#include <vector>

#include "models/strategy/parallel_strategy.hpp"

namespace strata::models {

enum class PassKind {
  kForward,
  kBackward,       // input and weight gradients together
  kInputGradient,  // ZB-H1's B: the input gradient only, sent on at once
  kWeightGradient  // ZB-H1's W: the weight gradients of a micro-batch whose B ran earlier
};

struct PipelinePass {
  PassKind kind = PassKind::kForward;
  std::int64_t microbatch = 0;
  int chunk = 0;  // model chunk (virtual stage: pass_virtual_stage)
};

// The virtual stage (which layers, counted from the embedding) a rank of pipeline stage `stage` runs for
// model chunk `chunk`: chunk x pp + stage, except DualPipe's chunk 1, the reverse direction, which runs
// stage pp - 1 - stage (the rank holds stages r and p-1-r: two copies of the parameters' share).
int pass_virtual_stage(const ParallelStrategy& strategy, int chunk, int stage);
// Model chunks one rank holds: vpp, or 2 for DualPipe.
int chunks_per_rank(const ParallelStrategy& strategy);

// GPipe: all forwards, then all backwards. 1F1B: min(p - stage - 1, m) forwards, then one forward and one
// backward in turn, then the remaining backwards. Interleaved (vpp > 1): the warm-up is
// 2 (p - stage - 1) + (vpp - 1) p forwards (all of them when m == p); virtual micro-batch k runs chunk
// (k mod p v) / p (reversed for backward) of micro-batch (k / p v) p + k mod p.
// ZB-H1: stage i runs 1F1B's min(p - i - 1, m) warm-up forwards, then i pairs of F and B with their W held
// back, then F B W triples, then B W pairs, then the i held-back W passes, which fill the end of the step
// where 1F1B idles; each W is the oldest pending micro-batch's, so at most p micro-batches are in flight as
// in 1F1B. Stage 0 holds nothing back and runs whole backward passes.
// DualPipe (p even, m even, m >= 2p): micro-batches 0..m/2-1 enter at rank 0 and run through ranks 0..p-1
// (chunk 0), m/2..m-1 enter at rank p-1 and run back to rank 0 (chunk 1); each rank interleaves the two
// directions so that forward and backward passes of different micro-batches alternate in the steady state
// and splits some backward passes zero-bubble style (pipeline_schedule.cpp lists the eight steps).
std::vector<PipelinePass> pipeline_order(const ParallelStrategy& strategy, std::int64_t microbatches, int stage);

}  // namespace strata::models
