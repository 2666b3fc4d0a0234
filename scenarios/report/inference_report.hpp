// The reports of a serving scenario (scenarios/README.md, "Inference scenarios"): the ranked table, the
// versioned report.json (same envelope as training's: {"strata_report": 1, "scenario", "results", "verdict"})
// and a self-contained report.html with latency CDFs and the KV cache's use over time.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenarios/runner/inference_run.hpp"
#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

// Which deployment ranks first (inference_ranking), with its throughput and latencies, and its lead over the
// next.
std::string inference_verdict(const std::vector<InferenceResult>& ranked, InferenceRanking ranking);
// Opens with the verdict and what the ranking is by. Columns: rank, deployment, GPUs, output tokens/s/GPU,
// TTFT p50/p99, TPOT p50/p99, peak KV use, biggest time sink with its share.
std::string inference_table(const std::vector<InferenceResult>& ranked, InferenceRanking ranking);
// One result as the report's results[] entry (config, figures, latencies, memory, timelines, expected).
nlohmann::json inference_result_json(const InferenceResult& result);
// `extra` keys (a search's summary) are merged at the top level.
nlohmann::json inference_report_json(const Scenario& scenario, const std::vector<InferenceResult>& ranked,
                                     const nlohmann::json& extra = nlohmann::json::object());
std::string inference_report_html(const Scenario& scenario, const std::vector<InferenceResult>& ranked);

// report.json (with `extra` keys), report.html and the timelines (file name -> Chrome trace JSON,
// inference_traces) into `dir` as an output bundle of `command` (sim/output_bundle.hpp).
std::vector<std::filesystem::path> write_inference_bundle(
    const std::filesystem::path& dir, const std::string& command, const Scenario& scenario,
    const std::vector<InferenceResult>& ranked, const std::map<std::string, std::string>& traces = {},
    const nlohmann::json& extra = nlohmann::json::object());

}  // namespace strata::scenarios
