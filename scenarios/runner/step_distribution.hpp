// `strata run --steps N`: the step-time distribution of a jittered cluster (cluster.jitter). Step k of N is
// the same step simulated with the jitter seed `seed + k` (k = 0 is the scenario's own step), so every step
// draws other kernel times and the N steps sample run-to-run noise. The reported result is the median step
// itself (the nearest-rank p50, time_stats.hpp), so its breakdown, memory and rates are those of a step that
// was simulated; its `step_distribution` holds the statistics of all N.
#pragma once

#include <cstdint>

#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {

// Each step is a full simulation of every rank: beyond this a run is a benchmark, not a question.
inline constexpr std::int64_t kMaxDistributionSteps = 1000;

// Refuses `steps` where it would mean nothing or cannot run: below 1, above kMaxDistributionSteps, more than
// one step of a scenario without cluster.jitter (every step would be the same) or of a serving scenario.
// `at` names where the count came from (e.g. the --steps option).
void check_distribution_steps(const Scenario& scenario, std::int64_t steps, const sim::JsonLocation& at);

// The scenario with its jitter seed replaced (cluster.jitter must be set).
Scenario with_jitter_seed(const Scenario& scenario, std::uint64_t seed);

// Strategy `strategy_index` over `steps` steps (run_strategy_within_budget each, on the hardware's threads):
// the median step's result with step_distribution set. `steps` must have passed check_distribution_steps.
StrategyResult run_strategy_steps(const Scenario& scenario, std::size_t strategy_index, std::int64_t steps);

}  // namespace strata::scenarios
