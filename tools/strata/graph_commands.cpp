// `strata lower SCENARIO --strategy NAME -o graph.json`: writes one strategy's execution graph.
// `strata replay graph.json --system NAME [--nodes N] [-o DIR]`: runs a graph file on a system and prints
// the step time, throughput, MFU, time breakdown and peak memory; -o writes DIR/trace.json (Perfetto).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>

#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/strategy/training_lowering.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/report/report_json.hpp"
#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/atomic_file.hpp"
#include "sim/error.hpp"
#include "strata/commands.hpp"
#include "strata/network_options.hpp"
#include "strata/profile_location.hpp"
#include "traces/graph_file.hpp"

namespace strata::tools {
namespace {

struct GraphOptions {
  std::string profiles;
  std::string presets;
  std::string scenario;
  std::string strategy;
  std::string out;
  std::string graph;
  std::string system;
  int nodes = 0;
  NetworkOptions network;
  std::string out_dir;
  bool all_ranks = false;
  bool json = false;
};

void lower(const GraphOptions& o, std::ostream& out) {
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  const models::ModelCatalog presets(resolve_preset_dir(o.presets));
  const scenarios::Scenario scenario = scenarios::read_scenario(o.scenario, profiles, presets);
  scenario.require_training("strata lower");
  const scenarios::StrategySpec& spec = scenario.strategy(o.strategy);
  models::LoweredTraining lowered;
  try {
    lowered = models::lower_training(scenario.model.config, scenario.training, spec.strategy,
                                     scenario.cluster.gpus(),
                                     o.all_ranks ? models::RankSet::kAll : models::RankSet::kSymmetricOnce);
  } catch (const sim::InputError& error) {
    std::size_t index = 0;
    while (scenario.strategies[index].strategy.name != o.strategy) ++index;
    throw sim::InputError(o.scenario, "/strategies/" + std::to_string(index) + error.json_path(),
                          error.detail());
  }
  const nlohmann::json metadata = {{"scenario", scenario.name},
                                   {"strategy", spec.strategy.name},
                                   {"model", scenario.model.config.name},
                                   {"system", scenario.cluster.system.name},
                                   {"nodes", scenario.cluster.nodes},
                                   {"microbatches", lowered.microbatches},
                                   {"stage_layers", lowered.stage_layers},
                                   {"model_flops_per_step", lowered.model_flops_per_step},
                                   {"hardware_flops_per_step", lowered.hardware_flops_per_step},
                                   {"tokens_per_step", lowered.tokens_per_step}};
  sim::write_file_atomically(o.out, traces::graph_to_text(lowered.graph, metadata));
  out << "wrote " << o.out << ": " << lowered.graph.ranks << " ranks";
  if (lowered.graph.ranks != lowered.graph.gpu_count())
    out << " standing for " << lowered.graph.gpu_count() << " GPUs";
  out << ", " << lowered.graph.tasks.size() << " tasks, " << lowered.microbatches
      << " micro-batches per step\n";
}

// `replay --json`: the report document `run` prints (scenarios/report/report_json.hpp), its one result from
// the graph, and in place of the scenario what was replayed where.
nlohmann::json replay_report(const GraphOptions& o, const traces::GraphMetadata& metadata,
                             const models::ExecutionGraph& graph, const models::SystemProfile& system,
                             int nodes, const std::string& network_note,
                             const scenarios::StrategyResult& step) {
  nlohmann::json result = scenarios::result_figures_json(step);
  if (metadata.measured_step_time_s > 0) {
    result["measured_step_time_s"] = metadata.measured_step_time_s;
    result["measured_error_pct"] =
        100.0 * (step.step_time_s - metadata.measured_step_time_s) / metadata.measured_step_time_s;
  }
  nlohmann::json replay = {{"graph", o.graph},       {"system", system.name}, {"gpu", system.gpu},
                           {"nodes", nodes},         {"ranks", graph.ranks},  {"gpus", graph.gpu_count()},
                           {"steps", metadata.steps}};
  if (!network_note.empty()) replay["network_what_if"] = network_note;
  return {{"strata_report", scenarios::kReportFormatVersion},
          {"replay", replay},
          {"results", nlohmann::json::array({result})}};
}

void replay(const GraphOptions& o, std::ostream& out) {
  traces::GraphMetadata metadata;
  models::ExecutionGraph graph = traces::read_graph_file(o.graph, &metadata);
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  models::SystemProfile system = profiles.system(o.system);
  const models::GpuProfile gpu = profiles.gpu(system.gpu);
  const int gpus_per_node = system.gpus_per_node.value;
  const int gpus = graph.gpu_count();
  const std::string network_note = apply_network_options(system, o.network, graph);
  const int nodes = o.nodes > 0 ? o.nodes : (gpus + gpus_per_node - 1) / gpus_per_node;
  if (static_cast<std::int64_t>(nodes) * gpus_per_node < gpus) {
    throw sim::InputError("command line", "--nodes",
                          std::to_string(nodes) + " nodes of " + std::to_string(gpus_per_node) +
                              " GPUs cannot hold the graph's " + std::to_string(gpus) + " GPUs");
  }
  sim::TimelineRecorder timeline;
  models::ExecutionResult result;
  try {
    result = models::execute(graph, gpu, system, o.out_dir.empty() ? nullptr : &timeline);
  } catch (const sim::OverflowError& error) {
    throw sim::InputError(o.graph, "/tasks",
                          std::string(error.what()) + ": the tasks would outlast simulated time (" +
                              sim::SimTime::max().to_string() + ")");
  }
  // The same figures `strata run` reports, from the same code (scenarios/runner/strategy_run.hpp).
  scenarios::StrategyResult step;
  step.strategy.name = metadata.strategy.empty() ? o.graph : metadata.strategy;
  const double flops = metadata.model_flops_per_step;
  scenarios::StepFigures figures;
  figures.tokens_per_step = metadata.tokens_per_step;
  figures.model_flops_per_step = flops;
  figures.hardware_flops_per_step = metadata.hardware_flops_per_step;
  figures.gpus = gpus;
  figures.steps = metadata.steps;
  if (!(result.makespan.seconds() > 0))
    throw sim::InputError(o.graph, "/tasks", "the tasks take no simulated time: there is no step to report");
  scenarios::set_step_metrics(step, result, figures, gpu);
  if (!o.out_dir.empty()) {
    std::ostringstream trace;
    timeline.write_chrome_trace(trace);
    sim::write_file_atomically(std::filesystem::path(o.out_dir) / "trace.json", trace.str());
  }
  if (o.json) {
    out << scenarios::report_text(replay_report(o, metadata, graph, system, nodes, network_note, step));
    return;
  }
  out << "replayed " << o.graph << " on " << nodes << " x " << system.name << ": " << graph.ranks
      << " ranks for " << gpus << " GPUs, " << result.tasks_run << " tasks\n"
      << network_note;
  char line[200];
  std::snprintf(line, sizeof line, "  step time        %.4f s%s\n", step.step_time_s,
                metadata.steps > 1
                    ? (" (mean of the " + std::to_string(metadata.steps) + " steps the graph holds)").c_str()
                    : "");
  out << line;
  if (metadata.measured_step_time_s > 0) {
    std::snprintf(line, sizeof line, "  measured         %.4f s in the trace: replay %+.1f%%\n",
                  metadata.measured_step_time_s,
                  100.0 * (step.step_time_s - metadata.measured_step_time_s) / metadata.measured_step_time_s);
    out << line;
  }
  if (figures.tokens_per_step > 0) {
    std::snprintf(line, sizeof line, "  tokens/s/GPU     %.1f\n", step.tokens_per_s_per_gpu);
    out << line;
  }
  if (flops > 0) {
    std::snprintf(line, sizeof line, "  model TFLOP/s    %.1f per GPU, MFU %.1f%% of %s bf16\n",
                  step.model_tflops_per_gpu, 100.0 * step.mfu,
                  gpu.peak(models::Dtype::kBf16).to_string().c_str());
    out << line;
  }
  out << "  time breakdown of the critical rank (" << step.critical_stage << "), as strata run reports it:\n";
  for (const std::string& key : scenarios::time_breakdown_keys()) {
    std::snprintf(line, sizeof line, "    %-10s %.4f s\n", key.c_str(), step.time_breakdown_s.at(key));
    out << line;
  }
  out << "  time per rank by category (mean over ranks, operation time; waiting excluded):\n";
  for (const auto& [category, seconds] : result.seconds_by_category) {
    std::snprintf(line, sizeof line, "    %-10s %.4f s\n", category.c_str(), seconds);
    out << line;
  }
  std::snprintf(line, sizeof line, "  peak memory      %.1f GiB of %.1f GiB%s\n",
                step.memory.peak_bytes / (1 << 30), step.memory.capacity_bytes / (1 << 30),
                step.memory.oom ? "  -> OUT OF MEMORY" : "");
  out << line;
  if (!o.out_dir.empty())
    out << "  timeline " << (std::filesystem::path(o.out_dir) / "trace.json").string() << "\n";
}

}  // namespace

void add_graph_commands(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<GraphOptions>();
  CLI::App* lower_command =
      app.add_subcommand("lower", "Write one strategy of a scenario as an execution-graph file");
  lower_command->add_option("scenario", options->scenario, "Scenario file")->required();
  lower_command->add_option("--strategy", options->strategy, "Strategy name in the scenario")->required();
  lower_command->add_option("-o,--out", options->out, "Graph file to write")->required();
  lower_command->add_option("--profiles", options->profiles, kProfileDirHelp);
  lower_command->add_option("--presets", options->presets, kPresetDirHelp);
  lower_command->add_flag(
      "--all-ranks", options->all_ranks,
      "One rank per GPU (default: one rank per pipeline stage standing for its symmetric peers)");
  lower_command->callback([&out, options] { lower(*options, out); });

  CLI::App* replay_command = app.add_subcommand("replay", "Run an execution-graph file on a system");
  replay_command->add_option("graph", options->graph, "Graph file (strata lower)")->required();
  replay_command->add_option("--system", options->system, "System profile")->required();
  replay_command->add_option("--nodes", options->nodes, "Nodes (default: as many as the ranks need)")
      ->check(CLI::Range(1, 1'000'000));
  replay_command->add_option("-o,--out", options->out_dir, "Directory for trace.json (Perfetto timeline)");
  replay_command->add_option("--profiles", options->profiles, kProfileDirHelp);
  add_network_options(*replay_command, options->network);
  replay_command->add_flag("--json", options->json,
                           "Print the report document strata run prints (results[0].step_time_s, "
                           "time_breakdown_s, ...) instead of the text");
  replay_command->callback([&out, options] { replay(*options, out); });
}

}  // namespace strata::tools
