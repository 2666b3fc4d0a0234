#include "scenarios/runner/deployment_search.hpp"

#include <algorithm>
#include <utility>

#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

template <class T>
std::vector<std::optional<T>> or_default(const std::vector<T>& listed) {
  std::vector<std::optional<T>> values;
  for (const T& value : listed) values.emplace_back(value);
  if (values.empty()) values.emplace_back(std::nullopt);
  return values;
}

std::string candidate_name(const models::Deployment& d, bool dtype_set, bool kv_set) {
  std::string name = "tp" + std::to_string(d.tp) + (d.replicas > 1 ? "x" + std::to_string(d.replicas) : "");
  if (d.disaggregated()) {
    name = "prefill-tp" + std::to_string(d.prefill_pool->tp) + "x" +
           std::to_string(d.prefill_pool->replicas) + "-decode-tp" + std::to_string(d.decode_pool->tp) + "x" +
           std::to_string(d.decode_pool->replicas);
  }
  if (dtype_set) name += "-" + std::string(models::dtype_name(d.weights_dtype));
  if (kv_set) name += "-kv-" + std::string(models::dtype_name(d.kv_dtype));
  if (d.ep > 1) name += "-ep" + std::to_string(d.ep);
  if (d.attention_dp) name += "-adp";
  if (d.max_batch_size) name += "-bs" + std::to_string(*d.max_batch_size);
  if (d.chunked_prefill) name += "-chunked";
  return name;
}

// Whether `a` dominates `b`: at least as many tokens/s/GPU and at most its `latency` p50, better in one.
bool dominates(const InferenceResult& a, const InferenceResult& b, TimeStats InferenceResult::*latency) {
  const double a_s = (a.*latency).p50_s;
  const double b_s = (b.*latency).p50_s;
  const bool no_worse = a.output_tokens_per_s_per_gpu >= b.output_tokens_per_s_per_gpu && a_s <= b_s;
  const bool better = a.output_tokens_per_s_per_gpu > b.output_tokens_per_s_per_gpu || a_s < b_s;
  return no_worse && better;
}

// Per ranked result: whether none dominates it.
std::vector<bool> pareto_front(const std::vector<InferenceResult>& ranked,
                               TimeStats InferenceResult::*latency) {
  std::vector<bool> front;
  for (const InferenceResult& r : ranked) {
    bool undominated = true;
    for (const InferenceResult& other : ranked) undominated = undominated && !dominates(other, r, latency);
    front.push_back(undominated);
  }
  return front;
}

// The expert layouts to try with `tp`: the listed ep values (every divisor of tp that divides the experts
// when unlisted) and attention dp (both ways when unlisted, on only with tp > 1); a dense model has one.
std::vector<std::pair<int, bool>> expert_layouts(const DeploymentSearchSpace& space,
                                                 const models::TransformerConfig& model, int tp) {
  if (model.moe.experts == 0) return {{1, false}};
  std::vector<int> eps = space.ep;
  if (eps.empty()) {
    for (int ep = 1; ep <= tp; ++ep)
      if (tp % ep == 0 && model.moe.experts % ep == 0) eps.push_back(ep);
  }
  std::vector<bool> adps = space.attention_dp;
  if (adps.empty()) adps = tp > 1 ? std::vector<bool>{false, true} : std::vector<bool>{false};
  std::vector<std::pair<int, bool>> layouts;
  for (const int ep : eps) {
    for (const bool adp : adps) layouts.emplace_back(ep, adp);
  }
  return layouts;
}

// The GPU layouts to try: each tp with replicas filling the GPUs (with its expert layouts), and when
// disaggregation is listed, every prefill tp x replicas + decode tp x replicas that fills them (expert
// layouts stay TensorRT-LLM's default there: pools have no ep or attention dp).
std::vector<models::Deployment> gpu_layouts(const DeploymentSearchSpace& space,
                                            const models::TransformerConfig& model,
                                            const std::vector<int>& tps, int gpus) {
  std::vector<models::Deployment> layouts;
  const std::vector<bool> modes =
      space.disaggregated.empty() ? std::vector<bool>{false} : space.disaggregated;
  for (const bool disaggregated : modes) {
    for (const int tp : tps) {
      if (!disaggregated) {
        for (const auto& [ep, attention_dp] : expert_layouts(space, model, tp)) {
          models::Deployment d;
          d.tp = tp;
          d.replicas = std::max(1, gpus / tp);
          d.ep = ep;
          d.attention_dp = attention_dp;
          layouts.push_back(d);
        }
        continue;
      }
      for (const int decode_tp : tps) {
        for (int prefill_replicas = 1; prefill_replicas * tp < gpus; ++prefill_replicas) {
          const int left = gpus - prefill_replicas * tp;
          if (left % decode_tp != 0) continue;
          models::Deployment d;
          d.prefill_pool = models::serving_pool(tp, prefill_replicas);
          d.decode_pool = models::serving_pool(decode_tp, left / decode_tp);
          layouts.push_back(d);
        }
      }
    }
  }
  return layouts;
}

}  // namespace

std::vector<models::Deployment> deployment_candidates(const Scenario& scenario) {
  const DeploymentSearchSpace& space = scenario.deployment_search.value();
  const int gpus = scenario.cluster.gpus();
  std::vector<int> tps = space.tp;
  if (tps.empty()) {
    for (int tp = 1; tp <= gpus; ++tp)
      if (gpus % tp == 0 && scenario.model.config.heads % tp == 0) tps.push_back(tp);
  }
  std::vector<models::Deployment> candidates;
  for (const models::Deployment& layout : gpu_layouts(space, scenario.model.config, tps, gpus)) {
    for (const auto& batch : or_default(space.max_batch_size)) {
      for (const auto& weights : or_default(space.weights_dtype)) {
        for (const auto& kv : or_default(space.kv_dtype)) {
          for (const auto& chunked : or_default(space.chunked_prefill)) {
            models::Deployment d = layout;
            d.max_batch_size = batch;
            if (d.disaggregated()) {
              d.prefill_pool->max_batch_size = batch;
              d.decode_pool->max_batch_size = batch;
            }
            d.weights_dtype = weights.value_or(models::Dtype::kBf16);
            d.kv_dtype = kv.value_or(models::Dtype::kBf16);
            d.chunked_prefill = chunked.value_or(false);
            d.name = candidate_name(d, weights.has_value(), kv.has_value());
            candidates.push_back(d);
          }
        }
      }
    }
  }
  return candidates;
}

DeploymentSearchOutcome search_deployments(const Scenario& scenario) {
  DeploymentSearchOutcome outcome;
  Scenario trial = scenario;
  trial.deployments.clear();
  const models::GpuProfile& gpu = scenario.cluster.gpu;
  for (const models::Deployment& candidate : deployment_candidates(scenario)) {
    ++outcome.candidates;
    std::string why;
    if (scenario.model.config.heads % candidate.tp != 0 || scenario.cluster.gpus() % candidate.tp != 0) {
      why =
          candidate.name + ": tp " + std::to_string(candidate.tp) + " does not divide the heads and the GPUs";
    } else if (candidate.tp % candidate.ep != 0 || scenario.model.config.moe.experts % candidate.ep != 0) {
      why = candidate.name + ": ep " + std::to_string(candidate.ep) + " does not divide tp and the experts";
    } else if (candidate.attention_dp && candidate.tp == 1) {
      why = candidate.name + ": attention dp needs tp above 1";
    } else if (!gpu.peak_flops.contains(candidate.weights_dtype) ||
               !gpu.gemm_max_efficiency.contains(candidate.weights_dtype)) {
      why = candidate.name + ": " + gpu.display_name + " has no " +
            std::string(models::dtype_name(candidate.weights_dtype)) + " GEMMs";
    }
    if (why.empty()) {
      trial.deployments.assign(1, DeploymentSpec{candidate, std::nullopt});
      try {
        outcome.ranked.push_back(run_deployment(trial, 0));
      } catch (const sim::InputError& error) {
        why = candidate.name + ": " + error.detail();
      }
    }
    if (!why.empty()) {
      ++outcome.infeasible;
      if (outcome.first_infeasible.empty()) outcome.first_infeasible = why;
    }
  }
  rank_inference_results(outcome.ranked, inference_ranking(*scenario.inference));
  outcome.pareto = pareto_front(outcome.ranked, &InferenceResult::tpot);
  outcome.pareto_ttft = pareto_front(outcome.ranked, &InferenceResult::ttft);
  if (const auto& slo = scenario.inference->slo) {
    for (std::size_t i = 0; i < outcome.ranked.size(); ++i) {
      const InferenceResult& r = outcome.ranked[i];
      if (r.ttft.p99_s > slo->ttft.seconds() || r.tpot.p99_s > slo->tpot.seconds()) continue;
      if (!outcome.best_under_slo ||
          r.output_tokens_per_s_per_gpu > outcome.ranked[*outcome.best_under_slo].output_tokens_per_s_per_gpu)
        outcome.best_under_slo = i;
    }
  }
  return outcome;
}

}  // namespace strata::scenarios
