#include "scenarios/runner/strategy_search.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <tuple>

#include "models/memory/memory_model.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "scenarios/runner/parallel_for.hpp"
#include "scenarios/runner/steady_state_run.hpp"
#include "scenarios/runner/step_lower_bound.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

// The divisors of n in increasing order, in O(sqrt(n)) steps (n is a GPU count or a per-replica batch of up
// to a billion).
template <class Int>
std::vector<Int> divisors(Int n) {
  std::vector<Int> low, high;
  for (Int d = 1; d <= n / d; ++d) {
    if (n % d != 0) continue;
    low.push_back(d);
    if (d != n / d) high.push_back(n / d);
  }
  low.insert(low.end(), high.rbegin(), high.rend());
  return low;
}

template <class T>
std::vector<T> or_default(const std::vector<T>& given, std::vector<T> fallback) {
  return given.empty() ? fallback : given;
}

// The listed degrees that divide the GPU count (the others cannot form a grid); every divisor when none is
// listed. Filtering first bounds the TP x PP x CP loops by the divisor count, however long the lists.
std::vector<int> dividing(const std::vector<int>& listed, const std::vector<int>& all, int gpus) {
  if (listed.empty()) return all;
  std::vector<int> out;
  for (int degree : listed)
    if (gpus % degree == 0) out.push_back(degree);
  return out;
}

std::string candidate_name(const models::ParallelStrategy& s) {
  std::string name =
      "tp" + std::to_string(s.tp) + "-pp" + std::to_string(s.pp) + "-dp" + std::to_string(s.dp);
  if (s.vpp > 1) name += "-vpp" + std::to_string(s.vpp);
  if (s.cp > 1) name += "-cp" + std::to_string(s.cp);
  if (s.ep > 1) name += "-ep" + std::to_string(s.ep);
  name += s.schedule->candidate_suffix();
  name += "-mb" + std::to_string(s.micro_batch) + "-z" + std::to_string(s.zero);
  if (s.recompute == models::Recompute::kSelective) name += "-sel";
  if (s.recompute == models::Recompute::kFull) name += "-full";
  if (s.sequence_parallel) name += "-sp";
  return name;
}

// Every vpp the schedule takes on `pp` stages of `layers` layers: its range (and parity), while its virtual
// stages fit the layers. Layers that do not divide evenly go to the middle stages (split_layers), so every
// such count is a valid split.
std::vector<int> every_vpp(const models::PipelineScheduleKind& schedule, int pp, int layers) {
  std::vector<int> out;
  models::ParallelStrategy s;
  s.pp = pp;
  s.schedule = &schedule;
  for (int vpp = schedule.min_vpp(); vpp <= schedule.max_vpp(); ++vpp) {
    s.vpp = vpp;
    if (schedule.virtual_stages(s) > layers) break;
    if (!schedule.even_vpp() || vpp % 2 == 0) out.push_back(vpp);
  }
  return out;
}

}  // namespace

std::vector<models::ParallelStrategy> enumerate_strategies(const Scenario& scenario) {
  const SearchSpace& space = scenario.search ? *scenario.search : SearchSpace{};
  const int gpus = scenario.cluster.gpus();
  const std::vector<int> all = divisors(gpus);
  // EP: every divisor of the expert count for an MoE model (validation keeps those that fold into a stage).
  const int experts = scenario.model.config.moe.experts;
  const std::vector<int> expert_degrees = experts > 0 ? divisors(experts) : std::vector<int>{1};
  std::vector<const models::PipelineScheduleKind*> schedules;
  for (const models::PipelineScheduleKind* schedule : models::pipeline_schedules()) {
    if (schedule->searched_by_default(scenario.model.config)) schedules.push_back(schedule);
  }
  std::vector<models::ParallelStrategy> out;
  const auto add = [&](models::ParallelStrategy s) {
    if (out.size() == kMaxSearchCandidates) {
      throw sim::InputError(
          scenario.file.string(), "/search",
          "the bounds allow more than " + std::to_string(kMaxSearchCandidates) +
              " candidates; list fewer values (a dimension left out takes every valid value)");
    }
    s.name = candidate_name(s);
    out.push_back(std::move(s));
  };
  for (int tp : dividing(space.tp, all, gpus)) {
    for (int pp : dividing(space.pp, all, gpus)) {
      for (int cp : dividing(space.cp, all, gpus)) {
        if (static_cast<std::int64_t>(tp) * pp * cp > gpus || gpus % (tp * pp * cp) != 0) continue;
        const int dp = gpus / (tp * pp * cp);
        // Micro-batch: every divisor of the per-replica batch.
        std::vector<std::int64_t> micro_batches;
        if (scenario.training.global_batch % dp == 0)
          micro_batches = divisors<std::int64_t>(scenario.training.global_batch / dp);
        for (const models::PipelineScheduleKind* schedule : or_default(space.schedule, schedules)) {
          if (pp == 1 && schedule != &models::default_pipeline_schedule())
            continue;  // one stage: the schedules coincide
          // A listed vpp applies to the schedules that take virtual stages; the others run vpp 1.
          const std::vector<int> vpps =
              schedule->max_vpp() == 1
                  ? std::vector<int>{1}
                  : or_default(space.vpp, every_vpp(*schedule, pp, scenario.model.config.layers));
          for (int vpp : vpps) {
            if (vpp < schedule->min_vpp() || vpp > schedule->max_vpp() ||
                (schedule->even_vpp() && vpp % 2 != 0))
              continue;
            for (std::int64_t mb : or_default(space.micro_batch, micro_batches)) {
              for (int zero : or_default(space.zero, {0, 1, 2, 3})) {
                if (dp == 1 && zero > 0) continue;  // nothing to shard
                for (const models::Recompute recompute :
                     or_default(space.recompute, {models::Recompute::kNone, models::Recompute::kSelective,
                                                  models::Recompute::kFull})) {
                  for (bool sp : or_default(space.sequence_parallel, {false, true})) {
                    if (sp && tp == 1) continue;
                    for (int ep : or_default(space.ep, expert_degrees)) {
                      models::ParallelStrategy s;
                      s.tp = tp, s.pp = pp, s.dp = dp, s.cp = cp, s.ep = ep, s.vpp = vpp, s.micro_batch = mb,
                      s.zero = zero;
                      s.schedule = schedule;
                      s.recompute = recompute;
                      s.sequence_parallel = sp;
                      s.set_gradient_bytes(models::default_gradient_bytes(scenario.training.dtype));
                      add(s);
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

double estimated_peak_memory_bytes(const Scenario& scenario, const models::ParallelStrategy& s) {
  const models::TransformerConfig& model = scenario.model.config;
  const std::vector<int> layers =
      models::split_layers(model.layers, models::virtual_stages(s), s.stage_layers);
  std::vector<int> first_layer(layers.size() + 1, 0);
  for (std::size_t vs = 0; vs < layers.size(); ++vs) first_layer[vs + 1] = first_layer[vs] + layers[vs];
  const double states = models::stage_model_state_bytes(model, s, 0);
  const models::ActivationInputs in = models::activation_inputs(model, scenario.training, s);
  // One micro-batch's activations over the first stage's model chunks, times the schedule's in-flight count.
  double activations = 0;
  for (int chunk = 0; chunk < models::chunks_per_rank(s); ++chunk) {
    const auto vs = static_cast<std::size_t>(models::pass_virtual_stage(s, chunk, 0));
    for (int l = first_layer[vs]; l < first_layer[vs + 1]; ++l)
      activations += models::layer_activation_bytes(model, l, in);
  }
  return states + activations * s.schedule->in_flight_microbatches(s, s.microbatches(scenario.training));
}

RunnableCandidates runnable_candidates(const Scenario& scenario) {
  RunnableCandidates out;
  const std::vector<models::ParallelStrategy> candidates = enumerate_strategies(scenario);
  out.enumerated = static_cast<std::int64_t>(candidates.size());
  const double capacity = scenario.cluster.gpu.memory_capacity.value.as_double();
  for (const models::ParallelStrategy& s : candidates) {
    try {
      models::validate_strategy(scenario.model.config, scenario.training, s, scenario.cluster.gpus());
    } catch (const sim::InputError&) {
      ++out.invalid;
      continue;
    }
    if (estimated_peak_memory_bytes(scenario, s) > capacity) {
      ++out.oom_pruned;
      continue;
    }
    out.strategies.push_back(s);
  }
  return out;
}

SearchOutcome search_strategies(const Scenario& scenario,
                                const std::function<void(std::int64_t, std::int64_t)>& progress, int jobs,
                                std::int64_t exact_top, const SearchPartition* partition) {
  SearchOutcome outcome;
  const RunnableCandidates candidates = runnable_candidates(scenario);
  outcome.candidates = candidates.enumerated;
  outcome.invalid = candidates.invalid;
  outcome.oom_pruned = candidates.oom_pruned;
  Scenario runnable = scenario;
  runnable.strategies.clear();
  for (const models::ParallelStrategy& s : candidates.strategies)
    runnable.strategies.push_back(StrategySpec{s, std::nullopt});
  const std::size_t total = runnable.strategies.size();
  // Progress counts two units per runnable candidate: its bound, then its simulation or its pruning.
  std::int64_t done = 0;
  const auto advance = [&](std::int64_t units) {
    done += units;
    if (progress) progress(done, 2 * static_cast<std::int64_t>(total));
  };

  // Every candidate's lower bound (step_lower_bound.hpp); simulated in increasing order of it.
  std::vector<double> bound(total);
  parallel_for(
      total, jobs, kMaxSearchJobs,
      [&](std::size_t i) { bound[i] = step_lower_bound(runnable, runnable.strategies[i].strategy).seconds; },
      [&] { advance(1); });
  std::vector<std::size_t> order(total);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return bound[a] < bound[b]; });

  // In batches of a fixed size (so the candidates simulated do not depend on the thread count): stop at the
  // first candidate whose bound exceeds the exact_top-th best step that fits; it and every later one cannot
  // enter the top exact_top.
  std::vector<std::optional<StrategyResult>> results(total);    // those this process simulated
  std::vector<std::optional<SettledCandidate>> settled(total);  // every simulated candidate, any process's
  std::vector<double> fitting_steps;                            // ascending
  const int share_of = partition != nullptr ? partition->size : 1;
  const int my_share = partition != nullptr ? partition->rank : 0;
  std::size_t next = 0;
  while (next < total) {
    const bool full = exact_top > 0 && fitting_steps.size() >= static_cast<std::size_t>(exact_top);
    const double threshold =
        full ? fitting_steps[static_cast<std::size_t>(exact_top - 1)] * (1 + kBoundMargin) : 0.0;
    std::size_t end = next;
    while (end < total && end - next < kBoundBatch && !(full && bound[order[end]] > threshold)) ++end;
    if (end == next) break;
    std::vector<std::size_t> mine;  // batch positions this process simulates
    for (std::size_t j = next; j < end; ++j)
      if (static_cast<int>((j - next) % static_cast<std::size_t>(share_of)) == my_share) mine.push_back(j);
    parallel_for(
        mine.size(), jobs, kMaxSearchJobs,
        [&](std::size_t k) { results[order[mine[k]]] = run_strategy_steady_state(runnable, order[mine[k]]); },
        [&] { advance(1); });
    std::vector<SettledCandidate> batch;
    for (std::size_t j : mine) {
      const StrategyResult& r = *results[order[j]];
      batch.push_back(
          {static_cast<std::int64_t>(order[j]), r.step_time_s, r.memory.oom ? 1 : 0, r.extrapolated ? 1 : 0});
    }
    if (partition != nullptr) {
      batch = partition->exchange(batch);
      advance(static_cast<std::int64_t>(end - next - mine.size()));
    }
    for (const SettledCandidate& c : batch) {
      settled[static_cast<std::size_t>(c.index)] = c;
      if (!c.oom)
        fitting_steps.insert(std::upper_bound(fitting_steps.begin(), fitting_steps.end(), c.step_time_s),
                             c.step_time_s);
    }
    outcome.simulated += static_cast<std::int64_t>(end - next);
    next = end;
  }
  outcome.bound_pruned = static_cast<std::int64_t>(total - next);
  advance(outcome.bound_pruned);
  for (const auto& c : settled) outcome.extrapolated += c && c->extrapolated ? 1 : 0;
  if (partition != nullptr) {
    if (partition->rank != 0) return outcome;
    // The leaders, ranked as rank_results ranks (fits, step, name), simulated here when another process
    // held them.
    std::vector<std::size_t> simulated;
    for (std::size_t i = 0; i < total; ++i)
      if (settled[i]) simulated.push_back(i);
    std::stable_sort(simulated.begin(), simulated.end(), [&](std::size_t a, std::size_t b) {
      return std::make_tuple(settled[a]->oom, settled[a]->step_time_s, runnable.strategies[a].strategy.name) <
             std::make_tuple(settled[b]->oom, settled[b]->step_time_s, runnable.strategies[b].strategy.name);
    });
    if (exact_top > 0 && simulated.size() > static_cast<std::size_t>(exact_top))
      simulated.resize(static_cast<std::size_t>(exact_top));
    std::vector<std::size_t> missing;
    for (std::size_t i : simulated)
      if (!results[i]) missing.push_back(i);
    parallel_for(missing.size(), jobs, kMaxSearchJobs, [&](std::size_t k) {
      results[missing[k]] = run_strategy_steady_state(runnable, missing[k]);
    });
    for (std::size_t i = 0; i < total; ++i)
      if (std::find(simulated.begin(), simulated.end(), i) == simulated.end()) results[i].reset();
  }
  for (std::size_t i = 0; i < total; ++i) {
    if (results[i]) outcome.ranked.push_back(std::move(*results[i]));
  }
  rank_results(outcome.ranked);

  // The extrapolated leaders are simulated in full, so what is reported is not an extrapolation, unless the
  // full step exceeds the task budget (lowering refuses it first; the extrapolation stays).
  const std::size_t leaders = std::min<std::size_t>(
      outcome.ranked.size(), static_cast<std::size_t>(std::max<std::int64_t>(0, exact_top)));
  std::vector<std::size_t> redo;
  for (std::size_t i = 0; i < leaders; ++i) {
    if (outcome.ranked[i].extrapolated) redo.push_back(i);
  }
  parallel_for(redo.size(), jobs, kMaxSearchJobs,
               [&](std::size_t j) {
                 StrategyResult& leader = outcome.ranked[redo[j]];
                 if (std::optional<StrategyResult> full =
                         try_run_strategy(scenario, StrategySpec{leader.strategy, std::nullopt},
                                          scenario.training, redo[j], nullptr, kFullSimulationTaskBudget)) {
                   leader = std::move(*full);
                 }
               },
               {});
  rank_results(outcome.ranked);
  return outcome;
}

}  // namespace strata::scenarios
