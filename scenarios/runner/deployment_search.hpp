// `strata search` on a serving scenario: every deployment within its "search" bounds (scenario_file.hpp,
// DeploymentSearchSpace) simulated in full (a serving run takes milliseconds to a second), ranked as `strata
// run` ranks them (inference_run.hpp), with the Pareto frontiers of output tokens/s per GPU against median
// TPOT and against median TTFT and, given an slo, the best deployment that meets it.
//
// Candidates: each tp (the listed values, or every divisor of the cluster's GPUs that divides the attention
// heads) with replicas = GPUs / tp, for a MoE model times each expert layout (the listed ep values, or every
// divisor of tp that divides the experts; attention dp off and on, on only with tp > 1), and with
// "disaggregated": [.., true] every prefill and decode pool pair of those tps whose replicas fill the GPUs
// (named "prefill-tp2x3-decode-tp4x1"), times each listed
// max_batch_size (unset: trtllm-bench's), weights and KV
// dtype (unset: bf16) and chunked_prefill (unset: off). A candidate that cannot run (a tp that does not
// divide the heads, a dtype the GPU lacks, weights or a request that do not fit) is counted as infeasible,
// not run. Names say what varies: "tp2x4", then "-fp8" / "-kv-fp8" / "-ep4" / "-adp" / "-bs256" / "-chunked"
// where set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/runner/inference_run.hpp"
#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

struct DeploymentSearchOutcome {
  std::vector<InferenceResult> ranked;  // every feasible candidate, in rank order
  std::vector<bool> pareto;       // per ranked result: no other has more tokens/s/GPU and a lower TPOT p50
  std::vector<bool> pareto_ttft;  // the same against TTFT p50
  std::optional<std::size_t>
      best_under_slo;  // index into ranked: the most tokens/s/GPU with TTFT p99 and
                       // TPOT p99 within the slo (none without an slo or when none meets it)
  std::int64_t candidates = 0;
  std::int64_t infeasible = 0;
  std::string first_infeasible;  // why the first infeasible candidate could not run
};

// The candidates of the scenario's deployment_search (which must be set), before any is run.
std::vector<models::Deployment> deployment_candidates(const Scenario& scenario);

DeploymentSearchOutcome search_deployments(const Scenario& scenario);

}  // namespace strata::scenarios
