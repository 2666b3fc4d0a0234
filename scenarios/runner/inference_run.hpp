// Runs the deployments of a serving scenario (models/serving/serving_simulation.hpp) and turns each run into
// the figures a report shows (scenarios/README.md, "Inference scenarios").
//
// Definitions (over the whole run, from t = 0 to the last request's end):
//  - output_tokens_per_s: generated tokens of every request / run time (all GPUs; trtllm-bench's "Total
//    Output Throughput"); per GPU: / tp x replicas; total_tokens_per_s counts prompt tokens too;
//  - ttft: first token - arrival; tpot: (finish - first token) / (output tokens - 1), for requests of more
//    than one output token; e2e_latency: finish - arrival; each as mean and nearest-rank percentiles (p50,
//    p90, p99: the smallest value with at least that share of requests at or below it);
//  - goodput_requests_per_s (with an slo): requests whose TTFT and TPOT both meet it / run time;
//  - kv_use: the largest share of a replica's KV-cache blocks reserved at an iteration's start.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/serving/serving_simulation.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "scenarios/runner/time_stats.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::scenarios {

struct InferenceResult {
  models::Deployment deployment;
  std::optional<Expectation> expected;
  std::optional<ErrorBand> error_band;  // of the run time, where a command attached one (error_band.hpp)
  int gpus = 0;
  double run_time_s = 0;
  double output_tokens_per_s = 0;
  double output_tokens_per_s_per_gpu = 0;
  double total_tokens_per_s = 0;
  double requests_per_s = 0;
  TimeStats ttft;
  TimeStats tpot;
  TimeStats e2e_latency;
  std::optional<double> goodput_requests_per_s;
  models::BatchLimits limits;                 // the decode pool's when disaggregated
  models::ServingMemory memory;               // one GPU of a replica (of the decode pool when disaggregated)
  std::vector<models::ServingPoolRun> pools;  // disaggregated: the prefill and the decode pool
  std::optional<double> mean_kv_transfer_s;   // disaggregated: a request's KV from prefill to decode pool
  std::int64_t iterations = 0;
  double mean_batch_requests = 0;  // requests per iteration, averaged over iterations
  double peak_kv_use = 0;          // share of blocks, in [0, 1]
  std::int64_t preemptions = 0;    // requests preempted (deployment preemption), each time counted
  // Seconds per GPU by kind of work (gemm, attention, memory_bound, tp) and idle (waiting for requests).
  std::map<std::string, double> time_breakdown_s;
  std::vector<models::IterationSample> iteration_samples;  // at most kMaxSamples, evenly strided
  std::vector<double> ttft_values_s;                       // per request, sorted (for CDFs)
  std::vector<double> tpot_values_s;
  std::uint64_t events = 0;
  int rank = 0;  // 1 = the most output tokens per second per GPU

  static constexpr std::size_t kMaxSamples = 512;
  // The largest part of the GPUs' time other than GEMMs, e.g. {"attention", 12.0}.
  std::pair<std::string, double> biggest_sink() const;
};

// The published output tokens/s against the prediction, as a run time so that the sign convention is the
// training one: published_run_s = output tokens / published rate, error = (predicted - published) /
// published in percent, positive when the prediction is slower. `result.expected` must have
// output_tokens_per_s.
struct InferenceComparison {
  double published_run_s = 0;
  double error_pct = 0;
};
InferenceComparison compare_with_published(const InferenceResult& result);

// Simulates deployment `index` of a serving scenario. Bad deployments throw InputError naming the scenario
// file and the deployment's path.
InferenceResult run_deployment(const Scenario& scenario, std::size_t index,
                               sim::TimelineRecorder* timeline = nullptr);
// What a serving scenario ranks its deployments by: offline, the most output tokens per second per GPU (the
// benchmark's question); with arrivals over time and an slo, the most goodput per GPU (requests that meet
// it); with arrivals and no slo, the shortest median end-to-end latency (every deployment serves the same
// arrivals, so throughput only says whether one fell behind). Ties by name.
enum class InferenceRanking { kThroughput, kGoodput, kLatency };
InferenceRanking inference_ranking(const models::ServingWorkload& workload);
std::string_view inference_ranking_phrase(InferenceRanking ranking);  // e.g. "output tokens/s per GPU"

// Sorts by `ranking` (ties by name) and sets `rank`.
void rank_inference_results(std::vector<InferenceResult>& results, InferenceRanking ranking);
// Every deployment, ranked by inference_ranking.
std::vector<InferenceResult> run_inference_scenario(const Scenario& scenario);

// The Perfetto timelines `selection` asks for (the first-ranked deployment, or every one), by file name
// (trace-<deployment>.json, trace_file_name): each deployment simulated again with its timeline (the same
// run: iterations, requests as async spans, batch and KV counters; serving_simulation.hpp).
std::map<std::string, std::string> inference_traces(const Scenario& scenario,
                                                    const std::vector<InferenceResult>& ranked,
                                                    TraceSelection selection);

}  // namespace strata::scenarios
