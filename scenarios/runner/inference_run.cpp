#include "scenarios/runner/inference_run.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "models/hardware/cluster_hardware.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

// A request's time per output token after the first, in seconds; none for a single-token output.
std::optional<double> tpot_of(const models::ServingRequest& request, const models::RequestRecord& record) {
  if (request.output_len <= 1) return std::nullopt;
  return (record.finish - record.first_token).seconds() / static_cast<double>(request.output_len - 1);
}

void set_latencies(InferenceResult& result, const models::ServingRun& run) {
  std::vector<double> ttft;
  std::vector<double> tpot;
  std::vector<double> e2e;
  for (std::size_t i = 0; i < run.requests.size(); ++i) {
    const models::ServingRequest& request = run.requests[i];
    const models::RequestRecord& record = run.records[i];
    ttft.push_back((record.first_token - request.arrival).seconds());
    e2e.push_back((record.finish - request.arrival).seconds());
    if (const auto seconds = tpot_of(request, record)) tpot.push_back(*seconds);
  }
  result.e2e_latency = time_stats(std::move(e2e));
  // Sorted once: the statistics and the CDFs read the same order.
  std::sort(ttft.begin(), ttft.end());
  std::sort(tpot.begin(), tpot.end());
  result.ttft = time_stats(ttft);
  result.tpot = time_stats(tpot);
  result.ttft_values_s = std::move(ttft);
  result.tpot_values_s = std::move(tpot);
}

std::size_t requests_meeting(const models::ServingRun& run, const models::ServiceLevel& slo) {
  std::size_t good = 0;
  for (std::size_t i = 0; i < run.requests.size(); ++i) {
    const models::ServingRequest& request = run.requests[i];
    const models::RequestRecord& record = run.records[i];
    const bool ttft_ok = record.first_token - request.arrival <= slo.ttft;
    const std::optional<double> tpot = tpot_of(request, record);
    const bool tpot_ok = !tpot || *tpot <= slo.tpot.seconds();
    good += ttft_ok && tpot_ok ? 1 : 0;
  }
  return good;
}

void set_iterations(InferenceResult& result, const models::ServingRun& run) {
  result.iterations = static_cast<std::int64_t>(run.iterations.size());
  double requests = 0;
  for (const models::IterationSample& sample : run.iterations) {
    requests += static_cast<double>(sample.requests);
    result.peak_kv_use = std::max(
        result.peak_kv_use, static_cast<double>(sample.kv_blocks) / static_cast<double>(sample.kv_capacity));
  }
  if (!run.iterations.empty())
    result.mean_batch_requests = requests / static_cast<double>(run.iterations.size());
  result.preemptions = run.preemptions;
  const std::size_t stride =
      (run.iterations.size() + InferenceResult::kMaxSamples - 1) / InferenceResult::kMaxSamples;
  for (std::size_t i = 0; i < run.iterations.size(); i += std::max<std::size_t>(stride, 1))
    result.iteration_samples.push_back(run.iterations[i]);
}

}  // namespace

std::pair<std::string, double> InferenceResult::biggest_sink() const {
  std::pair<std::string, double> best{"gemm", 0.0};
  for (const auto& [key, seconds] : time_breakdown_s) {
    if (key != "gemm" && seconds > best.second) best = {key, seconds};
  }
  if (best.second == 0.0) best = {"gemm", time_breakdown_s.count("gemm") ? time_breakdown_s.at("gemm") : 0.0};
  return best;
}

InferenceComparison compare_with_published(const InferenceResult& result) {
  const double output_tokens = result.output_tokens_per_s * result.run_time_s;
  InferenceComparison comparison;
  comparison.published_run_s = output_tokens / result.expected->output_tokens_per_s.value();
  comparison.error_pct =
      (result.run_time_s - comparison.published_run_s) / comparison.published_run_s * 100.0;
  return comparison;
}

InferenceResult run_deployment(const Scenario& scenario, std::size_t index, sim::TimelineRecorder* timeline) {
  const DeploymentSpec& spec = scenario.deployments.at(index);
  const models::ServingWorkload& workload = scenario.inference.value();
  const models::ClusterHardware hardware(scenario.cluster.system, scenario.cluster.gpu);
  models::ServingRun run;
  try {
    run = models::simulate_serving(scenario.model.config, spec.deployment, workload, hardware, timeline);
  } catch (const sim::InputError& error) {
    if (!error.source().empty()) throw;
    const bool in_workload = error.json_path().starts_with("/inference");
    throw sim::InputError(
        scenario.file.string(),
        in_workload ? error.json_path() : "/strategies/" + std::to_string(index) + error.json_path(),
        error.detail());
  }
  InferenceResult result;
  result.deployment = spec.deployment;
  result.expected = spec.expected;
  result.gpus = spec.deployment.gpus();
  result.run_time_s = run.makespan.seconds();
  const auto requests = static_cast<double>(run.requests.size());
  double output_tokens = 0;
  double input_tokens = 0;
  for (const models::ServingRequest& request : run.requests) {
    output_tokens += static_cast<double>(request.output_len);
    input_tokens += static_cast<double>(request.input_len);
  }
  result.output_tokens_per_s = output_tokens / result.run_time_s;
  result.output_tokens_per_s_per_gpu = result.output_tokens_per_s / result.gpus;
  result.total_tokens_per_s = (output_tokens + input_tokens) / result.run_time_s;
  result.requests_per_s = requests / result.run_time_s;
  set_latencies(result, run);
  if (workload.slo)
    result.goodput_requests_per_s =
        static_cast<double>(requests_meeting(run, *workload.slo)) / result.run_time_s;
  result.limits = run.limits;
  result.memory = run.memory;
  if (run.pools.size() > 1) result.pools = run.pools;
  if (run.kv_transfers > 0)
    result.mean_kv_transfer_s = run.kv_transfer_seconds / static_cast<double>(run.kv_transfers);
  set_iterations(result, run);
  // Per GPU: the busy time of every replica's pipeline stages, over them (a stage's GPUs work alike).
  double stage_ranks = 0;
  for (const models::ServingPoolRun& pool : run.pools)
    stage_ranks += static_cast<double>(pool.deployment.replicas) * pool.deployment.pp;
  double busy = 0;
  for (const auto& [kind, seconds] : run.busy_seconds) {
    result.time_breakdown_s[kind] = seconds / stage_ranks;
    busy += seconds / stage_ranks;
  }
  result.time_breakdown_s["idle"] = std::max(0.0, result.run_time_s - busy);
  result.events = run.events;
  return result;
}

std::map<std::string, std::string> inference_traces(const Scenario& scenario,
                                                    const std::vector<InferenceResult>& ranked,
                                                    TraceSelection selection) {
  std::map<std::string, std::string> traces;
  if (selection == TraceSelection::kNone || ranked.empty()) return traces;
  std::vector<std::string> names;  // by deployment index
  for (std::size_t i = 0; i < scenario.deployments.size(); ++i)
    names.push_back(trace_file_name(scenario.deployments[i].deployment.name, i, names));
  for (std::size_t i = 0; i < scenario.deployments.size(); ++i) {
    const bool best = scenario.deployments[i].deployment.name == ranked.front().deployment.name;
    if (selection == TraceSelection::kBest && !best) continue;
    sim::TimelineRecorder timeline;
    run_deployment(scenario, i, &timeline);
    std::ostringstream text;
    timeline.write_chrome_trace(text);
    traces[names[i]] = text.str();
  }
  return traces;
}

InferenceRanking inference_ranking(const models::ServingWorkload& workload) {
  if (workload.arrival == models::ArrivalKind::kOffline) return InferenceRanking::kThroughput;
  return workload.slo ? InferenceRanking::kGoodput : InferenceRanking::kLatency;
}

std::string_view inference_ranking_phrase(InferenceRanking ranking) {
  switch (ranking) {
    case InferenceRanking::kThroughput: return "output tokens/s per GPU";
    case InferenceRanking::kGoodput: return "goodput (requests/s meeting the slo) per GPU";
    case InferenceRanking::kLatency: return "median end-to-end latency";
  }
  return "output tokens/s per GPU";
}

void rank_inference_results(std::vector<InferenceResult>& results, InferenceRanking ranking) {
  // Larger is better: the score of a result under the ranking.
  const auto score = [ranking](const InferenceResult& r) {
    switch (ranking) {
      case InferenceRanking::kThroughput: return r.output_tokens_per_s_per_gpu;
      case InferenceRanking::kGoodput: return r.goodput_requests_per_s.value_or(0.0) / r.gpus;
      case InferenceRanking::kLatency: return -r.e2e_latency.p50_s;
    }
    return r.output_tokens_per_s_per_gpu;
  };
  std::stable_sort(results.begin(), results.end(),
                   [&score](const InferenceResult& a, const InferenceResult& b) {
                     if (score(a) != score(b)) return score(a) > score(b);
                     return a.deployment.name < b.deployment.name;
                   });
  for (std::size_t i = 0; i < results.size(); ++i) results[i].rank = static_cast<int>(i) + 1;
}

std::vector<InferenceResult> run_inference_scenario(const Scenario& scenario) {
  std::vector<InferenceResult> results;
  for (std::size_t i = 0; i < scenario.deployments.size(); ++i)
    results.push_back(run_deployment(scenario, i));
  rank_inference_results(results, inference_ranking(*scenario.inference));
  return results;
}

}  // namespace strata::scenarios
