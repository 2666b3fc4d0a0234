// The search's lower bound never exceeds the simulated step, comes out the same from two small steps as from
// the whole step, and pruning with it leaves the search's top K unchanged.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "scenarios/runner/steady_state_run.hpp"
#include "scenarios/runner/step_lower_bound.hpp"
#include "scenarios/runner/strategy_search.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

scenarios::Scenario shipped(const std::string& file) {
  return scenarios::read_scenario(fs::path(STRATA_SOURCE_DIR) / "scenarios/examples" / file, models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                                  models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
}

// The bound against the full simulation and against the whole step's sums, for every strategy of a scenario.
void check_bounds(const scenarios::Scenario& scenario) {
  for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
    const models::ParallelStrategy& s = scenario.strategies[i].strategy;
    INFO(s.name);
    const scenarios::StepLowerBound fast = scenarios::step_lower_bound(scenario, s);
    const scenarios::StepLowerBound whole = scenarios::step_lower_bound(scenario, s, scenarios::BoundMethod::kWholeStep);
    const scenarios::StrategyResult run = scenarios::run_strategy(scenario, i);
    CHECK(fast.seconds == Approx(whole.seconds).epsilon(1e-9));
    CHECK(fast.seconds <= run.step_time_s * (1 + 1e-12));
    // Not a vacuous bound: the busiest stream carries most of the step.
    CHECK(fast.seconds > 0.5 * run.step_time_s);
  }
}

}  // namespace

TEST_CASE("the step lower bound holds for every schedule and parallelism of the pipeline example", "[scenario][search]") {
  // 1F1B, interleaved, ZB-H1 and DualPipe pipelines, HSDP with EP, ZeRO-1 with CPU offload; 32 micro-batches.
  const scenarios::Scenario scenario = shipped("mixtral-8x7b-h100x64-pipelines.json");
  check_bounds(scenario);
  // The small steps cost fewer tasks than the step: 1 and 2 micro-batches (pp and 2 pp interleaved).
  for (const scenarios::StrategySpec& spec : scenario.strategies) {
    if (spec.strategy.schedule == models::PipelineSchedule::kDualPipe) continue;
    INFO(spec.strategy.name);
    CHECK(scenarios::step_lower_bound(scenario, spec.strategy).lowered_tasks <
          scenarios::step_lower_bound(scenario, spec.strategy, scenarios::BoundMethod::kWholeStep).lowered_tasks);
  }
}

TEST_CASE("the step lower bound holds for the demo's strategies (TP overlap, FSDP, full recompute)", "[scenario][search]") {
  check_bounds(shipped("llama3-70b-h100x64.json"));
}

TEST_CASE("pruning by the lower bound leaves the top K of a search unchanged", "[scenario][search]") {
  scenarios::Scenario scenario = shipped("llama3-70b-h100x64-search.json");
  scenario.search->tp = {4, 8};
  scenario.search->pp = {1, 2, 4};
  scenario.search->cp = {1, 2};
  scenario.search->micro_batch = {1};
  scenario.search->zero = {1, 3};
  scenario.search->schedule = {"1f1b", "interleaved"};
  constexpr std::int64_t kTop = 5;
  const scenarios::SearchOutcome pruned = scenarios::search_strategies(scenario, {}, 2, kTop);
  const scenarios::SearchOutcome every = scenarios::search_strategies(scenario, {}, 2, 0);  // exact_top 0: no pruning
  CHECK(every.bound_pruned == 0);
  CHECK(pruned.bound_pruned > 0);
  CHECK(pruned.simulated + pruned.bound_pruned == every.simulated);
  REQUIRE(pruned.ranked.size() >= static_cast<std::size_t>(kTop));
  for (std::size_t i = 0; i < static_cast<std::size_t>(kTop); ++i) {
    INFO(i);
    CHECK(pruned.ranked[i].strategy.name == every.ranked[i].strategy.name);
    CHECK(pruned.ranked[i].step_time_s == Approx(every.ranked[i].step_time_s).epsilon(1e-6));
  }
  // The thread count changes nothing: the batches are fixed.
  const scenarios::SearchOutcome one = scenarios::search_strategies(scenario, {}, 1, kTop);
  CHECK(one.simulated == pruned.simulated);
  CHECK(one.ranked.front().strategy.name == pruned.ranked.front().strategy.name);
}

// Hidden (run with "[.bound-sweep]"): every runnable candidate of the shipped example search, its bound against
// its simulated step; prints how tight the bounds are. Takes a few minutes.
TEST_CASE("step lower bound over the example search's candidates", "[.bound-sweep]") {
  scenarios::Scenario scenario = shipped("llama3-70b-h100x64-search.json");
  double tightest = 0, loosest = 1;
  int compared = 0;
  for (const models::ParallelStrategy& s : scenarios::runnable_candidates(scenario).strategies) {
    scenario.strategies = {{s, std::nullopt}};
    const double bound = scenarios::step_lower_bound(scenario, s).seconds;
    const double step = scenarios::run_strategy_steady_state(scenario, 0).step_time_s;
    INFO(s.name);
    CHECK(bound <= step * (1 + 1e-9));
    tightest = std::max(tightest, bound / step);
    loosest = std::min(loosest, bound / step);
    ++compared;
  }
  std::printf("%d candidates: bound / step from %.3f to %.3f\n", compared, loosest, tightest);
}
