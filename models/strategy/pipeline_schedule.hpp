// The order one pipeline stage runs its forward and backward passes in: GPipe, 1F1B, or Megatron-LM's
// interleaved 1F1B over vpp model chunks (Narayanan et al. SC21, section 2.2.2;
// megatron/core/pipeline_parallel/schedules.py).
#pragma once

#include <cstdint>
#include <vector>

#include "models/strategy/parallel_strategy.hpp"

namespace strata::models {

struct PipelinePass {
  bool forward = true;
  std::int64_t microbatch = 0;
  int chunk = 0;  // model chunk (virtual stage = chunk x pp + stage)
};

// GPipe: all forwards, then all backwards. 1F1B: min(p - stage - 1, m) forwards, then one forward and one
// backward in turn, then the remaining backwards. Interleaved (vpp > 1): the warm-up is
// 2 (p - stage - 1) + (vpp - 1) p forwards (all of them when m == p); virtual micro-batch k runs chunk
// (k mod p v) / p (reversed for backward) of micro-batch (k / p v) p + k mod p.
std::vector<PipelinePass> pipeline_order(const ParallelStrategy& strategy, std::int64_t microbatches, int stage);

}  // namespace strata::models
