#include "scenarios/runner/steady_state_run.hpp"

#include <algorithm>
#include <set>

#include "models/strategy/pipeline_schedule.hpp"

namespace strata::scenarios {
namespace {

std::int64_t round_up(std::int64_t value, std::int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

double affine(double at_a, double at_b, double fraction) { return at_a + (at_b - at_a) * fraction; }

std::map<std::string, double> affine(const std::map<std::string, double>& at_a,
                                     const std::map<std::string, double>& at_b, double fraction) {
  std::set<std::string> keys;
  for (const auto& [key, value] : at_a) keys.insert(key);
  for (const auto& [key, value] : at_b) keys.insert(key);
  std::map<std::string, double> out;
  for (const std::string& key : keys) {
    const auto a = at_a.find(key);
    const auto b = at_b.find(key);
    // Rounding may leave a slightly negative wait: none is 0.
    out[key] =
        std::max(0.0, affine(a == at_a.end() ? 0.0 : a->second, b == at_b.end() ? 0.0 : b->second, fraction));
  }
  return out;
}

}  // namespace

models::TrainingSpec with_microbatches(const models::TrainingSpec& training,
                                       const models::ParallelStrategy& strategy, std::int64_t microbatches) {
  models::TrainingSpec out = training;
  out.global_batch = microbatches * strategy.micro_batch * strategy.dp;
  return out;
}

SteadyStatePlan steady_state_plan(const Scenario& scenario, const models::ParallelStrategy& s) {
  SteadyStatePlan plan;
  if (!s.schedule->extrapolates()) return plan;
  const std::int64_t multiple = s.schedule->microbatch_multiple(s);
  plan.short_microbatches = round_up(2 * static_cast<std::int64_t>(s.pp), multiple);
  plan.longer_microbatches = plan.short_microbatches + round_up(s.pp, multiple);
  const std::int64_t m = s.microbatches(scenario.training);
  plan.extrapolate = m > plan.short_microbatches + plan.longer_microbatches;
  return plan;
}

StrategyResult extrapolated_result(const StrategyResult& a, const StrategyResult& b,
                                   const SteadyStatePlan& plan, std::int64_t m) {
  const double fraction = static_cast<double>(m - plan.short_microbatches) /
                          static_cast<double>(plan.longer_microbatches - plan.short_microbatches);

  StrategyResult out = b;
  out.extrapolated = true;
  out.microbatches = m;
  out.simulated_tasks = a.simulated_tasks + b.simulated_tasks;
  out.step_time_s = affine(a.step_time_s, b.step_time_s, fraction);
  // Tokens and FLOPs per step are proportional to m; the rates follow from them and the step time.
  const double tokens = affine(a.tokens_per_s * a.step_time_s, b.tokens_per_s * b.step_time_s, fraction);
  const double model_flops =
      affine(a.model_tflops_per_gpu * a.step_time_s, b.model_tflops_per_gpu * b.step_time_s, fraction);
  const double hardware_flops = affine(a.hfu * a.step_time_s, b.hfu * b.step_time_s, fraction);
  out.tokens_per_s = tokens / out.step_time_s;
  out.tokens_per_s_per_gpu = out.tokens_per_s / out.gpus;
  out.model_tflops_per_gpu = model_flops / out.step_time_s;
  out.mfu = out.model_tflops_per_gpu / out.peak_tflops_per_gpu;
  out.hfu = hardware_flops / out.step_time_s;
  out.time_breakdown_s = affine(a.time_breakdown_s, b.time_breakdown_s, fraction);
  out.memory.peak_bytes = affine(a.memory.peak_bytes, b.memory.peak_bytes, fraction);
  out.memory.breakdown = affine(a.memory.breakdown, b.memory.breakdown, fraction);
  out.memory.oom = out.memory.over_capacity();
  out.extrapolated_from[0] = plan.short_microbatches;
  out.extrapolated_from[1] = plan.longer_microbatches;
  return out;
}

namespace {

// Simulates the plan's two short steps (the longer one into `timeline`) and extrapolates the full one.
StrategyResult run_extrapolated(const Scenario& scenario, std::size_t strategy_index,
                                const SteadyStatePlan& plan, sim::TimelineRecorder* timeline) {
  const StrategySpec& spec = scenario.strategies.at(strategy_index);
  const StrategyResult a = run_strategy(
      scenario, spec, with_microbatches(scenario.training, spec.strategy, plan.short_microbatches),
      strategy_index);
  const StrategyResult b = run_strategy(
      scenario, spec, with_microbatches(scenario.training, spec.strategy, plan.longer_microbatches),
      strategy_index, timeline);
  return extrapolated_result(a, b, plan, spec.strategy.microbatches(scenario.training));
}

}  // namespace

StrategyResult run_strategy_steady_state(const Scenario& scenario, std::size_t strategy_index) {
  const SteadyStatePlan plan = steady_state_plan(scenario, scenario.strategies.at(strategy_index).strategy);
  if (!plan.extrapolate) return run_strategy(scenario, strategy_index);
  return run_extrapolated(scenario, strategy_index, plan, nullptr);
}

StrategyResult run_strategy_within_budget(const Scenario& scenario, std::size_t strategy_index,
                                          std::uint64_t task_budget, sim::TimelineRecorder* timeline) {
  const StrategySpec& spec = scenario.strategies.at(strategy_index);
  const SteadyStatePlan plan = steady_state_plan(scenario, spec.strategy);
  if (!plan.extrapolate) return run_strategy(scenario, strategy_index, timeline);
  // Lowering stops as soon as it sees the step will not fit the budget, before anything runs.
  if (std::optional<StrategyResult> full =
          try_run_strategy(scenario, spec, scenario.training, strategy_index, timeline, task_budget)) {
    return std::move(*full);
  }
  return run_extrapolated(scenario, strategy_index, plan, timeline);
}

}  // namespace strata::scenarios
