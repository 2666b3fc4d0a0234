#include "scenarios/runner/step_distribution.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "scenarios/runner/parallel_for.hpp"
#include "scenarios/runner/steady_state_run.hpp"

namespace strata::scenarios {

void check_distribution_steps(const Scenario& scenario, std::int64_t steps, const sim::JsonLocation& at) {
  if (steps < 1 || steps > kMaxDistributionSteps)
    at.fail("must be 1 to " + std::to_string(kMaxDistributionSteps) + " steps (each is a full simulation)");
  if (steps == 1) return;
  if (scenario.inference)
    at.fail(
        "a serving scenario has no training steps to repeat (its report already gives TTFT, TPOT and "
        "end-to-end latency percentiles over the requests)");
  if (!scenario.cluster.jitter)
    at.fail("every one of the " + std::to_string(steps) +
            " steps would be the same: the scenario has no cluster.jitter (add e.g. \"jitter\": {\"cv\": "
            "0.05, \"seed\": 1} to its cluster for run-to-run kernel-time noise)");
}

Scenario with_jitter_seed(const Scenario& scenario, std::uint64_t seed) {
  Scenario copy = scenario;
  copy.cluster.jitter->seed = seed;
  return copy;
}

StrategyResult run_strategy_steps(const Scenario& scenario, std::size_t strategy_index, std::int64_t steps) {
  const std::uint64_t first_seed = scenario.cluster.jitter->seed;
  const auto count = static_cast<std::size_t>(steps);
  std::vector<StrategyResult> results(count);
  parallel_for(count, 0, static_cast<int>(count), [&](std::size_t k) {
    results[k] = run_strategy_within_budget(with_jitter_seed(scenario, first_seed + k), strategy_index,
                                            kFullSimulationTaskBudget, nullptr);
  });
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return results[a].step_time_s < results[b].step_time_s;
  });
  std::vector<double> sorted;
  std::uint64_t tasks = 0;
  for (std::size_t k : order) {
    sorted.push_back(results[k].step_time_s);
    tasks += results[k].simulated_tasks;
  }
  // The step whose time is the nearest-rank p50 (the first of equal ones, by seed).
  const double p50 = nearest_rank(sorted, 50);
  const std::size_t median =
      order[static_cast<std::size_t>(std::find(sorted.begin(), sorted.end(), p50) - sorted.begin())];
  StepTimeDistribution distribution;
  distribution.steps = steps;
  distribution.first_seed = first_seed;
  distribution.median_seed = first_seed + median;
  distribution.stats = time_stats(sorted);
  distribution.min_s = sorted.front();
  distribution.max_s = sorted.back();
  StrategyResult reported = std::move(results[median]);
  reported.simulated_tasks = tasks;
  reported.step_distribution = distribution;
  return reported;
}

}  // namespace strata::scenarios
