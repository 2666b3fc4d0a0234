#include "scenarios/report/report_json.hpp"

#include <filesystem>

#include "models/workload/transformer_config.hpp"
#include "scenarios/report/verdict.hpp"
#include "scenarios/strategy_fields.hpp"
#include "sim/json_text.hpp"

namespace strata::scenarios {

nlohmann::json strategy_config_json(const models::ParallelStrategy& s, const models::TrainingSpec& training) {
  return strategy_fields_json(s, training);
}

nlohmann::json result_figures_json(const StrategyResult& r) {
  nlohmann::json breakdown = nlohmann::json::object();
  for (const auto& [key, seconds] : r.time_breakdown_s) breakdown[key] = seconds;
  nlohmann::json memory_breakdown = nlohmann::json::object();
  for (const auto& [category, bytes] : r.memory.breakdown) memory_breakdown[category] = bytes;
  nlohmann::json memory = {{"peak_bytes", r.memory.peak_bytes},
                           {"capacity_bytes", r.memory.capacity_bytes},
                           {"oom", r.memory.oom},
                           {"peak_stage", r.memory.peak_stage},
                           {"breakdown", memory_breakdown}};
  if (r.memory.offload) {
    memory["offload"] = {{"host_bytes_per_node", r.memory.offload->host_bytes_per_node},
                         {"host_capacity_bytes", r.memory.offload->host_capacity_bytes},
                         {"nvme_bytes_per_node", r.memory.offload->nvme_bytes_per_node},
                         {"nvme_capacity_bytes", r.memory.offload->nvme_capacity_bytes}};
  }
  nlohmann::json result = {
      {"name", r.strategy.name},
      {"rank", r.rank},
      {"gpus", r.gpus},
      {"microbatches_per_step", r.microbatches},
      {"step_time_s", r.step_time_s},
      {"tokens_per_s", r.tokens_per_s},
      {"tokens_per_s_per_gpu", r.tokens_per_s_per_gpu},
      {"model_tflops_per_gpu", r.model_tflops_per_gpu},
      {"peak_tflops_per_gpu", r.peak_tflops_per_gpu},
      {"mfu", r.mfu},
      {"hfu", r.hfu},
      {"memory", memory},
      {"time_breakdown_s", breakdown},
      {"critical_stage", r.critical_stage},
      {"biggest_sink", r.biggest_sink().first},
      {"simulated_tasks", r.simulated_tasks},
  };
  if (r.extrapolated)
    result["extrapolated_from_microbatches"] = {r.extrapolated_from[0], r.extrapolated_from[1]};
  if (r.error_band)
    result["error_band"] = error_band_json(*r.error_band, "step_time_s", r.step_time_s, BandMetric::kTime);
  if (r.step_distribution) {
    const StepTimeDistribution& d = *r.step_distribution;
    nlohmann::json distribution = time_stats_json(d.stats);
    distribution["steps"] = d.steps;
    distribution["first_seed"] = d.first_seed;
    distribution["median_seed"] = d.median_seed;
    distribution["min"] = d.min_s;
    distribution["max"] = d.max_s;
    result["step_time_distribution_s"] = distribution;
  }
  return result;
}

nlohmann::json time_stats_json(const TimeStats& s) {
  return {{"mean", s.mean_s}, {"p50", s.p50_s}, {"p90", s.p90_s}, {"p99", s.p99_s}};
}

nlohmann::json result_json(const StrategyResult& r, const models::TrainingSpec& training) {
  nlohmann::json result = result_figures_json(r);
  result["config"] = strategy_config_json(r.strategy, training);
  if (r.expected) {
    const PublishedComparison published = compare_with_published(r, training);
    nlohmann::json expected = {{"source", r.expected->source},
                               {"published_step_time_s", published.published_step_s},
                               {"error_pct", published.error_pct}};
    if (r.expected->step_time_s) expected["step_time_s"] = *r.expected->step_time_s;
    if (r.expected->tokens_per_s_per_gpu)
      expected["tokens_per_s_per_gpu"] = *r.expected->tokens_per_s_per_gpu;
    result["expected"] = expected;
  }
  return result;
}

nlohmann::json scenario_json(const Scenario& scenario) {
  const models::ParameterCounts counts = models::count_parameters(scenario.model.config);
  nlohmann::json workload;
  if (scenario.inference) {
    const models::ServingWorkload& w = *scenario.inference;
    const auto length = [](const models::LengthDistribution& l) {
      return l.fixed() ? nlohmann::json(l.low)
                       : nlohmann::json{{"uniform", {l.low, l.high}}, {"seed", l.seed}};
    };
    workload = {{"requests", w.requests},
                {"arrival", std::string(models::kArrivalKindNames.name(w.arrival))}};
    if (w.arrival == models::ArrivalKind::kTrace) {
      workload["trace"] = std::filesystem::path(w.trace_file).filename().string();
    } else {
      workload["input_len"] = length(w.input_len);
      workload["output_len"] = length(w.output_len);
    }
    if (w.arrival == models::ArrivalKind::kPoisson) {
      workload["rate_per_s"] = w.rate_per_s;
      workload["seed"] = w.seed;
    }
    if (w.slo) workload["slo"] = {{"ttft_s", w.slo->ttft.seconds()}, {"tpot_s", w.slo->tpot.seconds()}};
  } else {
    workload = {{"seq_len", scenario.training.seq_len},
                {"global_batch", scenario.training.global_batch},
                {"dtype", std::string(models::dtype_name(scenario.training.dtype))},
                {"attention", models::kAttentionKernelNames.name(scenario.training.attention)}};
  }
  nlohmann::json document = {
      {"name", scenario.name},
      {"file", scenario.file.filename().string()},
      {"cluster",
       {{"system", scenario.cluster.system.name},
        {"gpu", scenario.cluster.gpu.name},
        {"nodes", scenario.cluster.nodes},
        {"gpus", scenario.cluster.gpus()},
        {"gpus_per_node", scenario.cluster.system.gpus_per_node.value}}},
      {"model",
       {{"name", scenario.model.config.name},
        {"source", scenario.model.source},
        {"layers", scenario.model.config.layers},
        {"hidden", scenario.model.config.hidden},
        {"parameters", counts.total}}},
      {"fidelity", scenario.fidelity},
  };
  document[scenario.inference ? "inference" : "training"] = workload;
  return document;
}

nlohmann::json report_json(const Scenario& scenario, const std::vector<StrategyResult>& ranked,
                           const nlohmann::json& extra) {
  nlohmann::json results = nlohmann::json::array();
  for (const StrategyResult& r : ranked) results.push_back(result_json(r, scenario.training));
  nlohmann::json report = {{"strata_report", kReportFormatVersion},
                           {"scenario", scenario_json(scenario)},
                           {"results", results},
                           {"verdict", verdict(ranked)}};
  for (const auto& [key, value] : extra.items()) report[key] = value;
  return report;
}

std::string report_text(const nlohmann::json& report) { return sim::json_text(report, 1) + "\n"; }

}  // namespace strata::scenarios
