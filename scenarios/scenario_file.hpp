// Scenario files: strict JSON (scenarios/README.md). A cluster, a model (preset name, {"hf_config": path
// relative to the scenario}, or an inline HuggingFace-style object), a training setup and strategies.
// Unknown keys, wrong types, impossible strategies and missing files are InputErrors naming the file and the
// JSON path (e.g. "/strategies/1/tp").
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "models/serving/deployment.hpp"
#include "models/strategy/parallel_strategy.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/cluster_fields.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {

// A published result attached to a strategy (validation cases).
struct Expectation {
  std::optional<double> step_time_s;
  std::optional<double> tokens_per_s_per_gpu;
  std::optional<double> output_tokens_per_s;  // serving: output tokens per second over all GPUs
  double tolerance_pct = 20.0;                // `strata validate` fails a case whose error exceeds this
  std::string source;
  std::string group;  // the source and framework family `strata validate` summarises it with (may be empty)
};

struct StrategySpec {
  models::ParallelStrategy strategy;
  std::optional<Expectation> expected;
};

// `strata search` bounds of a serving scenario: the values to try per deployment key; an empty list means
// every valid tp (divisors of the cluster's GPUs that divide the heads, replicas filling the rest) and the
// defaults elsewhere (trtllm-bench's batch limits, bf16, no chunking).
struct DeploymentSearchSpace {
  std::vector<int> tp;
  std::vector<int> max_batch_size;
  std::vector<models::Dtype> weights_dtype;
  std::vector<models::Dtype> kv_dtype;
  std::vector<bool> chunked_prefill;
  std::vector<int> ep;             // MoE models only
  std::vector<bool> attention_dp;  // MoE models only
  // true: disaggregated prefill and decode pools too, every pair of listed tps splitting the GPUs
  // (unlisted: colocated replicas only).
  std::vector<bool> disaggregated;
};

// A serving scenario's strategy: a deployment (scenarios/README.md, "Inference scenarios").
struct DeploymentSpec {
  models::Deployment deployment;
  std::optional<Expectation> expected;
};

// `strata search` bounds: the values to try per dimension; an empty list means every valid value.
struct SearchSpace {
  std::vector<int> tp, pp, vpp, cp, ep, zero;
  std::vector<std::int64_t> micro_batch;
  std::vector<models::Recompute> recompute;
  std::vector<const models::PipelineScheduleKind*> schedule;
  std::vector<bool> sequence_parallel;
};

struct Scenario {
  std::string name;
  std::string description;  // free text: what the scenario is for, the assumptions it makes
  std::filesystem::path file;
  ClusterSpec cluster;
  models::ModelPreset model;
  models::TrainingSpec training;
  std::vector<StrategySpec> strategies;  // training scenarios
  // Serving scenarios have an "inference" section instead of "training", and deployments as strategies.
  std::optional<models::ServingWorkload> inference;
  std::vector<DeploymentSpec> deployments;
  std::optional<DeploymentSearchSpace> deployment_search;  // a serving scenario's "search"
  std::string fidelity = "analytic";
  std::optional<SearchSpace> search;  // a search scenario has this instead of (or besides) strategies
  const StrategySpec& strategy(const std::string& name) const;  // InputError listing the names when unknown
  // The index of the strategy called `name`, none when there is no such strategy.
  std::optional<std::size_t> strategy_index(const std::string& name) const;
  std::string strategy_names() const;  // "a, b, c", for errors
  // InputError naming the file when this is a serving scenario: `command` runs training scenarios only.
  void require_training(const std::string& command) const;
};

// "analytic" or "flow" (returned); anything else fails at `where`.
std::string checked_fidelity(const std::string& fidelity, const sim::JsonLocation& where);
// Refuses what the scenario's fidelity cannot run or would leave without effect: flow fidelity or cluster
// overrides for a serving scenario (flow at `fidelity_at`), topology keys at analytic fidelity (at the key).
// read_scenario calls it; so does a command that changes the fidelity after reading.
void check_fidelity_fit(const Scenario& scenario, const sim::JsonLocation& fidelity_at);

Scenario read_scenario(const std::filesystem::path& path, const models::ProfileCatalog& profiles,
                       const models::ModelCatalog& models);
// The same from a parsed document that stands for the file at `path` (messages name it; relative model
// paths resolve from its directory): a sweep's points are the base scenario with axis values set.
Scenario read_scenario_document(const nlohmann::json& document, const std::filesystem::path& path,
                                const models::ProfileCatalog& profiles, const models::ModelCatalog& models);

}  // namespace strata::scenarios
