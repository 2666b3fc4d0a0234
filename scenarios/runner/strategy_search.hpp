// `strata search`: enumerates parallel strategies within a scenario's search bounds (scenario_file.hpp,
// SearchSpace; an omitted dimension takes every valid value), prunes the invalid ones (validate_strategy) and
// those whose analytic memory estimate exceeds the GPU, simulates the rest at analytic fidelity and ranks them.
//
// Every valid value: TP, PP and CP over the divisors of the GPU count (TP also dividing the attention heads),
// DP what remains, VPP 2, 4, 8 with the interleaved schedule, micro-batch over the powers of two dividing the
// per-replica batch, ZeRO 0-3, recompute none/selective/full, sequence parallelism on and off with TP > 1,
// schedule 1F1B, GPipe, interleaved and ZB-H1, EP over the divisors of the expert count (1 for dense models).
// CP uses ring attention, expert TP is 1.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

struct SearchOutcome {
  std::vector<StrategyResult> ranked;  // every simulated candidate, rank order
  std::int64_t candidates = 0;         // enumerated
  std::int64_t invalid = 0;            // rejected by validate_strategy
  std::int64_t oom_pruned = 0;         // estimated over the GPU's memory before simulation
  std::int64_t simulated = 0;
  std::int64_t extrapolated = 0;       // of those simulated, predicted from two shorter steps (steady_state_run.hpp)
};

// The candidates the bounds allow, in a fixed order, named "tp8-pp2-dp4-mb1-z1-sel-sp" style. Not yet validated.
std::vector<models::ParallelStrategy> enumerate_strategies(const Scenario& scenario);

// Per-GPU memory the first pipeline stage needs (model states plus in-flight activations, memory_model.hpp):
// the estimate that prunes a candidate before simulating it.
double estimated_peak_memory_bytes(const Scenario& scenario, const models::ParallelStrategy& strategy);

// `progress(done, total)` is called after each simulated candidate (may be empty), one call at a time.
// Candidates are simulated on `jobs` threads (0: the hardware's, at most kMaxSearchJobs); each result goes
// to its candidate's slot and failures are reported for the first failing candidate in enumeration order,
// so the outcome does not depend on the thread count. Long steps are extrapolated from two short ones
// (steady_state_run.hpp); then the `exact_top` best are simulated in full and everything is ranked again.
inline constexpr int kMaxSearchJobs = 8;  // each job holds one execution graph (up to a few hundred MB)
SearchOutcome search_strategies(const Scenario& scenario, const std::function<void(std::int64_t, std::int64_t)>& progress = {},
                                int jobs = 0, std::int64_t exact_top = 10);

}  // namespace strata::scenarios
