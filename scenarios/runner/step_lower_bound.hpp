// A lower bound on a strategy's simulated step time, found by lowering it without simulating it
// (strategy_search.hpp skips the candidates whose bound already exceeds the K-th best step).
//
// Why it holds: the executor (models/executor/executor.hpp) runs each (rank, stream) of the execution graph
// as a serial resource, one task at a time in program order, and each task holds its stream for at least
// task_duration, its time alone (a collective or a send/recv from its rendezvous, and longer when concurrent
// transfers share its ports; never shorter). The step therefore lasts at least the largest sum of task
// durations on one stream. Durations alone do not depend on the order the schedule runs the tasks in.
// The analytic network also keeps each GPU port busy at most all of the time (models/network/
// analytic_backend.hpp: concurrent transfers on a port progress at speeds whose utilizations sum to at most
// 1), so the step lasts at least each port's summed utilization x time alone over the rank's transfers: the
// NICs' floor of a step whose DP traffic overlaps on them.
//
// Why it is cheap: each extra micro-batch adds the same tasks to every stream (its forward and backward,
// their transfers and, with ZeRO-3, their gathers), so each stream's sum is affine in the micro-batch count m
// and follows exactly from two small steps (steady_state_run.hpp argues the same for whole steps). Those are
// 1 and 2 micro-batches, pp and 2 pp with the interleaved schedule (which needs multiples of pp); DualPipe,
// whose steps need at least 2 pp micro-batches, and any step no longer than the second small one are lowered
// whole.
#pragma once

#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

struct StepLowerBound {
  double seconds = 0;  // the busiest stream's summed task durations, or port's busy time, over the step
  std::int64_t lowered_tasks = 0;  // tasks of the graphs lowered to find it
};

// kFromSmallSteps as above; kWholeStep lowers the step itself (the same sums, for tests to compare).
enum class BoundMethod { kFromSmallSteps, kWholeStep };

StepLowerBound step_lower_bound(const Scenario& scenario, const models::ParallelStrategy& strategy,
                                BoundMethod method = BoundMethod::kFromSmallSteps);

}  // namespace strata::scenarios
