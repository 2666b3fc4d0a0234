// The search's lower bound never exceeds the simulated step, comes out the same from two small steps as from
// the whole step, and pruning with it leaves the search's top K unchanged.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "models/strategy/pipeline_schedule.hpp"
#include "scenarios/runner/steady_state_run.hpp"
#include "scenarios/runner/step_lower_bound.hpp"
#include "scenarios/runner/strategy_search.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

scenarios::Scenario shipped(const std::string& file) {
  return scenarios::read_scenario(fs::path(STRATA_SOURCE_DIR) / "scenarios/examples" / file,
                                  models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                                  models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
}

// The bound against the full simulation and against the whole step's sums, for every strategy of a scenario.
void check_bounds(const scenarios::Scenario& scenario) {
  for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
    const models::ParallelStrategy& s = scenario.strategies[i].strategy;
    INFO(s.name);
    const scenarios::StepLowerBound fast = scenarios::step_lower_bound(scenario, s);
    const scenarios::StepLowerBound whole =
        scenarios::step_lower_bound(scenario, s, scenarios::BoundMethod::kWholeStep);
    const scenarios::StrategyResult run = scenarios::run_strategy(scenario, i);
    CHECK(fast.seconds == Approx(whole.seconds).epsilon(1e-9));
    CHECK(fast.seconds <= run.step_time_s * (1 + 1e-12));
    // Not a vacuous bound: the busiest stream carries most of the step.
    CHECK(fast.seconds > 0.5 * run.step_time_s);
  }
}

}  // namespace

TEST_CASE("the step lower bound holds for every schedule and parallelism of the pipeline example",
          "[scenario][search]") {
  // 1F1B, interleaved, ZB-H1 and DualPipe pipelines, HSDP with EP, ZeRO-1 with CPU offload; 32 micro-batches.
  const scenarios::Scenario scenario = shipped("mixtral-8x7b-h100x64-pipelines.json");
  check_bounds(scenario);
  // The small steps cost fewer tasks than the step: 1 and 2 micro-batches (pp and 2 pp interleaved).
  for (const scenarios::StrategySpec& spec : scenario.strategies) {
    if (spec.strategy.schedule == &models::pipeline_schedule("dualpipe")) continue;
    INFO(spec.strategy.name);
    CHECK(scenarios::step_lower_bound(scenario, spec.strategy).lowered_tasks <
          scenarios::step_lower_bound(scenario, spec.strategy, scenarios::BoundMethod::kWholeStep)
              .lowered_tasks);
  }
}

TEST_CASE("the step lower bound holds for the demo's strategies (TP overlap, FSDP, full recompute)",
          "[scenario][search]") {
  check_bounds(shipped("llama3-70b-h100x64.json"));
}

TEST_CASE("pruning by the lower bound leaves the top K of a search unchanged", "[scenario][search]") {
  scenarios::Scenario scenario = shipped("llama3-70b-h100x64-search.json");
  scenario.search->tp = {4, 8};
  scenario.search->pp = {1, 2, 4};
  scenario.search->cp = {1, 2};
  scenario.search->micro_batch = {1};
  scenario.search->zero = {1, 3};
  scenario.search->schedule = {&models::pipeline_schedule("1f1b"), &models::pipeline_schedule("interleaved")};
  constexpr std::int64_t kTop = 5;
  const scenarios::SearchOutcome pruned = scenarios::search_strategies(scenario, {}, 2, kTop);
  const scenarios::SearchOutcome every =
      scenarios::search_strategies(scenario, {}, 2, 0);  // exact_top 0: no pruning
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

TEST_CASE("an omitted vpp or micro-batch means every valid value: the same top K as listing every one",
          "[scenario][search]") {
  // Llama-3-70B (80 layers), 64 H100, global batch 128: omitted, vpp runs over 2 .. 80 / pp (uneven splits
  // give the middle stages the extra layers) and the micro-batch over the divisors of 128 / dp.
  scenarios::Scenario scenario = shipped("llama3-70b-h100x64-search.json");
  scenario.search->tp = {8};
  scenario.search->pp = {2, 4};
  scenario.search->cp = {1};
  scenario.search->zero = {1};
  scenario.search->recompute = {models::Recompute::kSelective};
  scenario.search->sequence_parallel = {true};
  scenario.search->schedule = {&models::pipeline_schedule("interleaved")};
  scenario.search->vpp.clear();
  scenario.search->micro_batch.clear();
  const std::vector<models::ParallelStrategy> omitted = scenarios::enumerate_strategies(scenario);
  // tp 8: pp 2 (dp 4, vpp 2..40, 6 micro-batches dividing 32) and pp 4 (dp 2, vpp 2..20, 7 dividing 64).
  CHECK(omitted.size() == 39 * 6 + 19 * 7);
  scenarios::Scenario listed = scenario;
  for (int v = 1; v <= 80; ++v) listed.search->vpp.push_back(v);
  for (std::int64_t mb = 1; mb <= 128; ++mb) listed.search->micro_batch.push_back(mb);
  constexpr std::int64_t kTop = 5;
  const scenarios::SearchOutcome by_default = scenarios::search_strategies(scenario, {}, 2, kTop);
  const scenarios::SearchOutcome by_list = scenarios::search_strategies(listed, {}, 2, kTop);
  REQUIRE(by_default.ranked.size() >= static_cast<std::size_t>(kTop));
  REQUIRE(by_list.ranked.size() >= static_cast<std::size_t>(kTop));
  for (std::size_t i = 0; i < static_cast<std::size_t>(kTop); ++i) {
    INFO(i);
    CHECK(by_default.ranked[i].strategy.name == by_list.ranked[i].strategy.name);
    CHECK(by_default.ranked[i].step_time_s == by_list.ranked[i].step_time_s);
  }
  // Values the old default never tried lead (vpp outside 2, 4, 8).
  bool beyond_old_default = false;
  for (std::size_t i = 0; i < static_cast<std::size_t>(kTop); ++i) {
    const int vpp = by_default.ranked[i].strategy.vpp;
    beyond_old_default = beyond_old_default || (vpp != 2 && vpp != 4 && vpp != 8);
  }
  CHECK(beyond_old_default);
  // A listed vpp applies to the schedules that take virtual stages; 1F1B still runs with vpp 1.
  scenario.search->schedule = {&models::pipeline_schedule("1f1b"), &models::pipeline_schedule("interleaved")};
  scenario.search->vpp = {4};
  int one_f_one_b = 0;
  for (const models::ParallelStrategy& s : scenarios::enumerate_strategies(scenario)) {
    if (s.schedule == &models::pipeline_schedule("1f1b")) CHECK(s.vpp == 1);
    one_f_one_b += s.schedule == &models::pipeline_schedule("1f1b") ? 1 : 0;
  }
  CHECK(one_f_one_b == 6 + 7);
}

// Hidden (run with "[.bound-sweep]"): every runnable candidate of the shipped example search, its bound
// against its simulated step; prints how tight the bounds are. Takes a few minutes.
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

TEST_CASE("a ZeRO-3 step cannot finish faster than its NICs move its gathers and reduce-scatters",
          "[scenario][network]") {
  // The demo's fsdp64 (Llama-3-70B, 64 H100, one micro-batch of 2 per GPU) with 25 Gb/s NICs. Each GPU's
  // share of its node's NICs is one NIC at 25 Gb/s x 0.97 (dgx-h100: 8 NICs for 8 GPUs). Over a step it must
  // move every layer's weights all-gathered twice (forward and backward, 2 bytes per parameter) and its
  // gradients reduce-scattered once (4 bytes), each a ring over 8 nodes whose NIC bytes per GPU are S (n-1)/n
  // / 8 (analytic_collective.cpp, port_bytes). Separate streams cannot beat that floor; before the analytic
  // network shared ports they did (17.25 s against about 22.9 s).
  scenarios::Scenario scenario = shipped("llama3-70b-h100x64.json");
  scenario.cluster.system.nic_bandwidth.value = sim::Bandwidth::from_bytes_per_s(25e9 / 8);
  std::size_t index = 0;
  while (scenario.strategies[index].strategy.name != "fsdp64") ++index;
  const scenarios::StrategyResult run = scenarios::run_strategy(scenario, index);
  double layer_parameters = 0;
  for (int layer = 0; layer < scenario.model.config.layers; ++layer) {
    const models::LayerParameters p = models::layer_parameters(scenario.model.config, layer);
    layer_parameters += p.dense + p.expert;
  }
  const double per_gpu_share = 63.0 / 64.0 / 8.0;
  const double nic_bytes = (2 * 2.0 + 4.0) * layer_parameters * per_gpu_share;
  const double floor = nic_bytes / (25e9 / 8 * 0.97);
  INFO("floor " << floor << " s, step " << run.step_time_s << " s");
  CHECK(floor > 20.0);
  CHECK(run.step_time_s >= floor);
  // The search's bound sees the floor too.
  CHECK(scenarios::step_lower_bound(scenario, scenario.strategies[index].strategy).seconds >= floor);
}
