// A long training step from two short ones. With a pipeline schedule past its warm-up, every extra
// micro-batch adds the same work to every rank (one more steady-state forward and backward, its transfers
// and, with ZeRO-3, its gathers): step time, the time breakdown, the FLOPs and tokens, and the peak memory
// are affine in the number of micro-batches m. The end of the step (the last gradient buckets, the optimizer)
// does not depend on m. So a step of m micro-batches is predicted from simulated steps of m_a and m_b:
//   x(m) = x(m_a) + (m - m_a) (x(m_b) - x(m_a)) / (m_b - m_a)
// with m_a = the smallest valid count >= 2 pp (a full warm-up and cool-down) and m_b = m_a + pp (rounded up
// to the schedule's multiple: pp for the interleaved schedule). This is exact for the 1F1B, interleaved,
// ZB-H1 and GPipe lowerings up to rounding (tools/bench: search bench). DualPipe's pairing of chunks differs
// between short and long steps; it is always simulated in full, as is any step with m <= m_a + m_b, where
// the two short runs would cost more than the step itself.
#pragma once

#include <cstddef>
#include <cstdint>

#include "scenarios/runner/strategy_run.hpp"

namespace strata::scenarios {

// Reported steps (`strata run`, a search's top K) are simulated in full up to this many tasks: about 4 s and
// 0.7 GB with a timeline (1.4 KB a task, its trace text included; models::kMaxLoweredTasks). Longer ones are
// reported extrapolated.
inline constexpr std::uint64_t kFullSimulationTaskBudget = 500'000;

struct SteadyStatePlan {
  bool extrapolate = false;
  std::int64_t short_microbatches = 0;   // m_a
  std::int64_t longer_microbatches = 0;  // m_b
};

// The scenario's training with a step of `microbatches` micro-batches of `strategy` (global batch
// m x micro-batch x dp).
models::TrainingSpec with_microbatches(const models::TrainingSpec& training,
                                       const models::ParallelStrategy& strategy, std::int64_t microbatches);

// Whether and from which micro-batch counts the strategy's step can be extrapolated.
SteadyStatePlan steady_state_plan(const Scenario& scenario, const models::ParallelStrategy& strategy);

// The step of `microbatches` from the simulated steps `a` (plan.short_microbatches) and `b`
// (plan.longer_microbatches): every figure affine in m, the rest (strategy, stage, capacity) from `b`.
StrategyResult extrapolated_result(const StrategyResult& a, const StrategyResult& b,
                                   const SteadyStatePlan& plan, std::int64_t microbatches);

// run_strategy, extrapolated when steady_state_plan says so (the result's `extrapolated`). The result has the
// full step's micro-batches; simulated_tasks counts the tasks of the runs made.
StrategyResult run_strategy_steady_state(const Scenario& scenario, std::size_t strategy_index);

// For `strata run`: the full step, simulated, unless it would take more than `task_budget` tasks (lowering
// says so, try_run_strategy) and can be extrapolated; then the extrapolation, and `timeline` records the
// longer of the two short steps.
StrategyResult run_strategy_within_budget(const Scenario& scenario, std::size_t strategy_index,
                                          std::uint64_t task_budget, sim::TimelineRecorder* timeline);

}  // namespace strata::scenarios
