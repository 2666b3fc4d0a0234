// The order one pipeline stage runs its forward and backward passes in: GPipe, 1F1B, Megatron-LM's
// interleaved 1F1B over vpp model chunks (Narayanan et al. SC21, section 2.2.2;
// megatron/core/pipeline_parallel/schedules.py), or ZB-H1 (Qi et al., ICLR 2024, section 3.1, figure 3).
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
  int chunk = 0;  // model chunk (virtual stage = chunk x pp + stage)
};

// GPipe: all forwards, then all backwards. 1F1B: min(p - stage - 1, m) forwards, then one forward and one
// backward in turn, then the remaining backwards. Interleaved (vpp > 1): the warm-up is
// 2 (p - stage - 1) + (vpp - 1) p forwards (all of them when m == p); virtual micro-batch k runs chunk
// (k mod p v) / p (reversed for backward) of micro-batch (k / p v) p + k mod p.
// ZB-H1: stage i runs 1F1B's min(p - i - 1, m) warm-up forwards, then i pairs of F and B with their W held
// back, then F B W triples, then B W pairs, then the i held-back W passes, which fill the end of the step
// where 1F1B idles; each W is the oldest pending micro-batch's, so at most p micro-batches are in flight as
// in 1F1B. Stage 0 holds nothing back and runs whole backward passes.
std::vector<PipelinePass> pipeline_order(const ParallelStrategy& strategy, std::int64_t microbatches, int stage);

}  // namespace strata::models
