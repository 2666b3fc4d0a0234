// `strata search`: enumerates parallel strategies within a scenario's search bounds (scenario_file.hpp,
// SearchSpace; an omitted dimension takes every valid value), prunes the invalid ones (validate_strategy) and
// those whose analytic memory estimate exceeds the GPU, simulates the rest at the scenario's fidelity
// (analytic unless it says flow) and ranks them.
//
// Every valid value: TP, PP and CP over the divisors of the GPU count (TP also dividing the attention heads),
// DP what remains, every vpp a schedule takes while its virtual stages fit the layers (2 .. layers / pp for
// interleaved; uneven splits give the middle stages the extra layers, split_layers), every micro-batch that
// divides the per-replica batch (global batch / dp), ZeRO 0-3, recompute none/selective/full, sequence
// parallelism on and off with TP > 1, the schedules searched by default (PipelineScheduleKind::
// searched_by_default: 1F1B, GPipe, interleaved, ZB-H1, and DualPipe for MoE models), EP over the divisors of
// the expert count (1 for dense models). CP uses ring attention, expert TP is 1.
#pragma once

#include <cstddef>
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
  std::int64_t bound_pruned = 0;  // not simulated: its step's lower bound exceeds the exact_top-th best
  std::int64_t extrapolated =
      0;  // of those simulated, predicted from two shorter steps (steady_state_run.hpp)
};

// The candidates the bounds allow, in a fixed order, named "tp8-pp2-dp4-mb1-z1-sel-sp" style. Not yet
// validated. More than kMaxSearchCandidates is bad input at /search, refused while enumerating: the list
// would take hundreds of MB (a candidate holds its framework profile) and its search hours; an unbounded
// search on 64 GPUs enumerates about 40,000.
inline constexpr std::size_t kMaxSearchCandidates = 200'000;
std::vector<models::ParallelStrategy> enumerate_strategies(const Scenario& scenario);

// Per-GPU memory the first pipeline stage needs (model states plus in-flight activations, memory_model.hpp):
// the estimate that prunes a candidate before simulating it.
double estimated_peak_memory_bytes(const Scenario& scenario, const models::ParallelStrategy& strategy);

// The enumerated candidates less the invalid ones (validate_strategy) and those over the GPU's memory by the
// estimate above, in enumeration order, with the counts of each.
struct RunnableCandidates {
  std::vector<models::ParallelStrategy> strategies;
  std::int64_t enumerated = 0;
  std::int64_t invalid = 0;
  std::int64_t oom_pruned = 0;
};
RunnableCandidates runnable_candidates(const Scenario& scenario);

// Branch and bound: every runnable candidate gets a lower bound on its step time without being simulated
// (step_lower_bound.hpp); candidates are simulated in increasing order of it, kBoundBatch at a time, until
// the next bound exceeds the `exact_top`-th best step among those that fit. The rest cannot enter the top
// `exact_top` and are counted as bound_pruned, so the top `exact_top` are those a search simulating every
// candidate would rank first (exact_top <= 0: everything is simulated).
// `progress(done, total)` is called one call at a time (may be empty); it counts two units per runnable
// candidate, its bound and its simulation or pruning. Candidates are bounded and simulated on `jobs` threads
// (0: the hardware's, at most kMaxSearchJobs); each result goes to its candidate's slot, the batches do not
// depend on the thread count, and a failure is reported for the first failing candidate in bound order, so
// the outcome does not depend on the thread count. Long steps are extrapolated from two
// short ones (steady_state_run.hpp); then the `exact_top` best are simulated in full and everything
// simulated is ranked again.
inline constexpr int kMaxSearchJobs = 8;        // each job holds one execution graph (up to a few hundred MB)
inline constexpr std::size_t kBoundBatch = 16;  // candidates simulated between two updates of the threshold
// The threshold's slack over the exact_top-th best step: an extrapolated step agrees with its full
// simulation to about 1e-9 (steady_state_run.hpp), so a bound within 1e-6 of the threshold is simulated.
inline constexpr double kBoundMargin = 1e-6;
//
// A search spread over processes (`partition`, search_mpi.hpp) simulates, on process `rank`, the batch
// positions j with j mod `size` == rank, and after each batch `exchange` hands every process every
// process's settled candidates of the batch: all hold the same threshold and choose the same next batch, so
// the candidates simulated and the counts are those of one process. Rank 0 then simulates the leaders it
// does not hold again (the same simulation, so the same step) and returns them as `ranked` (only the top
// `exact_top`, or every simulated candidate when exact_top <= 0); the other ranks return the counts only.
struct SettledCandidate {
  std::int64_t index = 0;  // into the runnable candidates
  double step_time_s = 0;
  std::int32_t oom = 0;
  std::int32_t extrapolated = 0;
};
struct SearchPartition {
  int rank = 0;
  int size = 1;
  // This process's settled candidates of a batch in, every process's out (in any order).
  std::function<std::vector<SettledCandidate>(const std::vector<SettledCandidate>&)> exchange;
};
SearchOutcome search_strategies(const Scenario& scenario,
                                const std::function<void(std::int64_t, std::int64_t)>& progress = {},
                                int jobs = 0, std::int64_t exact_top = 10,
                                const SearchPartition* partition = nullptr);

}  // namespace strata::scenarios
