// A long step extrapolated from two short ones agrees with simulating it in full.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "models/strategy/pipeline_schedule.hpp"
#include "scenarios/report/report_table.hpp"
#include "scenarios/runner/steady_state_run.hpp"
#include "scenarios/runner/strategy_search.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

scenarios::Scenario example() {
  return scenarios::read_scenario(
      fs::path(STRATA_SOURCE_DIR) / "scenarios/examples/mixtral-8x7b-h100x64-pipelines.json",
      models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR), models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
}

}  // namespace

TEST_CASE("steady-state extrapolation reproduces the full simulation of every schedule it takes",
          "[scenario][search]") {
  // The example's strategies: 1F1B, interleaved, ZB-H1 and DualPipe pipelines, HSDP with EP, ZeRO-1 with CPU
  // offload, all with 32 micro-batches per step (HSDP: 4).
  const scenarios::Scenario scenario = example();
  int extrapolated = 0;
  for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
    const models::ParallelStrategy& s = scenario.strategies[i].strategy;
    INFO(s.name);
    const scenarios::StrategyResult fast = scenarios::run_strategy_steady_state(scenario, i);
    const bool steady = fast.extrapolated;
    const scenarios::StrategyResult full = scenarios::run_strategy(scenario, i);
    const scenarios::SteadyStatePlan plan = scenarios::steady_state_plan(scenario, s);
    CHECK(steady == plan.extrapolate);
    if (s.schedule == &models::pipeline_schedule("dualpipe")) CHECK_FALSE(steady);
    extrapolated += steady ? 1 : 0;
    if (steady) {
      CHECK(plan.short_microbatches >= 2 * s.pp);
      CHECK(plan.longer_microbatches > plan.short_microbatches);
      CHECK(fast.simulated_tasks < full.simulated_tasks);
    }
    CHECK(fast.microbatches == full.microbatches);
    // Within 1e-5: ZB-H1 defers weight gradients into the step's tail, where they meet the data-parallel
    // kernels' SMs (models/executor/sm_sharing.hpp) slightly differently in a longer step (7e-6 here).
    CHECK(fast.step_time_s == Approx(full.step_time_s).epsilon(1e-5));
    CHECK(fast.tokens_per_s_per_gpu == Approx(full.tokens_per_s_per_gpu).epsilon(1e-5));
    CHECK(fast.mfu == Approx(full.mfu).epsilon(1e-5));
    CHECK(fast.hfu == Approx(full.hfu).epsilon(1e-5));
    CHECK(fast.memory.peak_bytes == Approx(full.memory.peak_bytes).epsilon(1e-9));
    CHECK(fast.memory.oom == full.memory.oom);
    for (const auto& [key, seconds] : full.time_breakdown_s) {
      INFO(key);
      CHECK(fast.time_breakdown_s.at(key) == Approx(seconds).epsilon(1e-5).margin(1e-6));
    }
  }
  CHECK(extrapolated >= 4);
}

TEST_CASE("short steps are simulated in full, the interleaved schedule extrapolates in multiples of pp",
          "[scenario][search]") {
  scenarios::Scenario scenario = example();
  models::ParallelStrategy s;
  s.pp = 4;
  s.dp = 16;
  scenario.training.global_batch = 16 * 21;  // m = 21 > 8 + 12
  CHECK(scenarios::steady_state_plan(scenario, s).extrapolate);
  scenario.training.global_batch = 16 * 20;  // m = 20 = 8 + 12: two short runs cost as much as the step
  CHECK_FALSE(scenarios::steady_state_plan(scenario, s).extrapolate);
  s.pp = 3;
  s.vpp = 2;
  s.schedule = &models::pipeline_schedule("interleaved");
  scenario.training.global_batch = 16 * 30;
  const scenarios::SteadyStatePlan plan = scenarios::steady_state_plan(scenario, s);
  CHECK(plan.short_microbatches == 6);
  CHECK(plan.longer_microbatches == 9);
  CHECK(plan.extrapolate);
}

TEST_CASE("strata run simulates a step in full within its task budget and extrapolates beyond it",
          "[scenario]") {
  const scenarios::Scenario scenario = example();
  const std::size_t first = 0;  // 1F1B over 32 micro-batches
  const scenarios::StrategyResult full = scenarios::run_strategy(scenario, first);
  sim::TimelineRecorder whole;
  const scenarios::StrategyResult within =
      scenarios::run_strategy_within_budget(scenario, first, full.simulated_tasks * 2, &whole);
  CHECK_FALSE(within.extrapolated);
  CHECK(within.step_time_s == full.step_time_s);
  sim::TimelineRecorder shorter;
  const scenarios::StrategyResult beyond =
      scenarios::run_strategy_within_budget(scenario, first, full.simulated_tasks / 2, &shorter);
  const scenarios::SteadyStatePlan plan =
      scenarios::steady_state_plan(scenario, scenario.strategies[first].strategy);
  REQUIRE(beyond.extrapolated);
  CHECK(beyond.extrapolated_from[0] == plan.short_microbatches);
  CHECK(beyond.extrapolated_from[1] == plan.longer_microbatches);
  CHECK(beyond.microbatches == full.microbatches);
  CHECK(beyond.step_time_s == Approx(full.step_time_s).epsilon(1e-6));
  // The timeline is the longer short step's: shorter than the reported step, not empty.
  CHECK(shorter.span_count() > 0);
  CHECK(shorter.span_count() < whole.span_count());
  CHECK(shorter.end_time().seconds() < beyond.step_time_s);
  // The terminal table marks the extrapolated step and says what the mark means; a simulated one is unmarked.
  const std::string marked = scenarios::ranking_table({beyond});
  CHECK(marked.find("* extrapolated from two short steps") != std::string::npos);
  const std::string plain = scenarios::ranking_table({within});
  CHECK(plain.find('*') == std::string::npos);
}

// Hidden (run with "[.extrapolation-sweep]"): every candidate of the shipped example search that would be
// extrapolated, against its full simulation; prints the largest relative differences. Takes minutes.
TEST_CASE("steady-state extrapolation over the example search's candidates", "[.extrapolation-sweep]") {
  scenarios::Scenario scenario = scenarios::read_scenario(
      fs::path(STRATA_SOURCE_DIR) / "scenarios/examples/llama3-70b-h100x64-search.json",
      models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR), models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
  double worst_step = 0, worst_memory = 0;
  int compared = 0;
  for (const models::ParallelStrategy& s : scenarios::runnable_candidates(scenario).strategies) {
    if (!scenarios::steady_state_plan(scenario, s).extrapolate) continue;
    scenario.strategies = {{s, std::nullopt}};
    const scenarios::StrategyResult fast = scenarios::run_strategy_steady_state(scenario, 0);
    const scenarios::StrategyResult full = scenarios::run_strategy(scenario, 0);
    worst_step = std::max(worst_step, std::abs(fast.step_time_s / full.step_time_s - 1));
    worst_memory = std::max(worst_memory, std::abs(fast.memory.peak_bytes / full.memory.peak_bytes - 1));
    ++compared;
  }
  std::printf("%d candidates: largest step-time difference %.3g, peak-memory %.3g (relative)\n", compared,
              worst_step, worst_memory);
  CHECK(worst_step < 1e-6);
  CHECK(worst_memory < 1e-6);
}

TEST_CASE("a published tokens/s/GPU is compared as its step time, with one sign convention", "[report]") {
  // 16 sequences of 1,000 tokens on 8 GPUs at a published 1,000 tokens/s/GPU: a 2 s step.
  scenarios::StrategyResult r;
  r.gpus = 8;
  r.step_time_s = 2.2;
  scenarios::Expectation expected;
  expected.tokens_per_s_per_gpu = 1000.0;
  r.expected = expected;
  const models::TrainingSpec training{1000, 16, models::Dtype::kBf16};
  const scenarios::PublishedComparison by_tokens = scenarios::compare_with_published(r, training);
  CHECK(by_tokens.published_step_s == Approx(2.0));
  CHECK(by_tokens.error_pct == Approx(10.0));  // predicted slower: positive
  expected.tokens_per_s_per_gpu.reset();
  expected.step_time_s = 2.0;
  r.expected = expected;
  CHECK(scenarios::compare_with_published(r, training).error_pct == Approx(by_tokens.error_pct));
}
