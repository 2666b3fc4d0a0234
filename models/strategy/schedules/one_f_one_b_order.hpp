// Megatron-LM's depth-first 1F1B order over v model chunks per stage (v = 1: plain 1F1B; Narayanan et al.
// SC21, section 2.2.2; megatron/core/pipeline_parallel/schedules.py), shared by the 1f1b and interleaved
// schedules.
//
// 1F1B: min(p - stage - 1, m) forwards, then one forward and one backward in turn, then the remaining
// backwards. Interleaved (v > 1): the warm-up is 2 (p - stage - 1) + (v - 1) p forwards (all of them when
// m == p); virtual micro-batch k runs chunk (k mod p v) / p (reversed for backward) of micro-batch
// (k / p v) p + k mod p.
#pragma once

#include <cstdint>
#include <vector>

#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {

std::vector<PipelinePass> one_f_one_b_order(int p, int v, std::int64_t m, int stage);

}  // namespace strata::models
