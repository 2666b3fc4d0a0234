// The serving parts of a scenario file (scenarios/README.md, "Inference scenarios"): the "inference"
// section (the workload) and the deployment keys of its strategies. Strict like the rest of the file:
// unknown keys and bad values are InputErrors naming the file and JSON path.
#pragma once

#include <filesystem>

#include "models/hardware/gpu_profile.hpp"
#include "models/serving/deployment.hpp"
#include "models/workload/transformer_config.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {

// Reads every key of the "inference" object and finishes it; a request file's path is relative to
// `scenario_file`'s directory.
models::ServingWorkload read_inference(sim::JsonObjectReader r, const std::filesystem::path& scenario_file);

// Reads the deployment keys of one strategy (not "name", "expected" or "source", which the caller reads) and
// checks them against the model, the cluster's GPU and its `gpus`. Does not finish `r`.
models::Deployment read_deployment_fields(sim::JsonObjectReader& r, const models::TransformerConfig& model,
                                          const models::GpuProfile& gpu, int gpus);

// Reads a serving scenario's "search" object (scenario_file.hpp, DeploymentSearchSpace) and finishes it;
// `ep` and `attention_dp` are refused for a model without experts (they would change nothing).
struct DeploymentSearchSpace;
DeploymentSearchSpace read_deployment_search(sim::JsonObjectReader r, const models::TransformerConfig& model);

}  // namespace strata::scenarios
