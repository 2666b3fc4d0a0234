#include "scenarios/runner/deployment_search.hpp"

#include <algorithm>

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
  if (dtype_set) name += "-" + std::string(models::dtype_name(d.weights_dtype));
  if (kv_set) name += "-kv-" + std::string(models::dtype_name(d.kv_dtype));
  if (d.max_batch_size) name += "-bs" + std::to_string(*d.max_batch_size);
  if (d.chunked_prefill) name += "-chunked";
  return name;
}

// Whether `a` dominates `b`: at least as many tokens/s/GPU and at most its TPOT p50, better in one.
bool dominates(const InferenceResult& a, const InferenceResult& b) {
  const bool no_worse =
      a.output_tokens_per_s_per_gpu >= b.output_tokens_per_s_per_gpu && a.tpot.p50_s <= b.tpot.p50_s;
  const bool better =
      a.output_tokens_per_s_per_gpu > b.output_tokens_per_s_per_gpu || a.tpot.p50_s < b.tpot.p50_s;
  return no_worse && better;
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
  for (const int tp : tps) {
    for (const auto& batch : or_default(space.max_batch_size)) {
      for (const auto& weights : or_default(space.weights_dtype)) {
        for (const auto& kv : or_default(space.kv_dtype)) {
          for (const auto& chunked : or_default(space.chunked_prefill)) {
            models::Deployment d;
            d.tp = tp;
            d.replicas = std::max(1, gpus / tp);
            d.max_batch_size = batch;
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
  for (const InferenceResult& r : outcome.ranked) {
    bool front = true;
    for (const InferenceResult& other : outcome.ranked) front = front && !dominates(other, r);
    outcome.pareto.push_back(front);
  }
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
