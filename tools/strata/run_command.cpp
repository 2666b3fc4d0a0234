// `strata run SCENARIO [-o DIR] [--trace none|best|all] [--fidelity analytic|flow] [--steps N] [--json]`:
// simulates every strategy of a scenario, prints the verdict and the ranked table (or, with --json, the
// report document), and with -o writes DIR/report.json, DIR/report.html and DIR/trace-<strategy>.json
// (scenarios/README.md).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/report/inference_report.hpp"
#include "scenarios/report/report_json.hpp"
#include "scenarios/report/report_table.hpp"
#include "scenarios/runner/result_bands.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "scenarios/runner/step_distribution.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/error.hpp"
#include "sim/output_bundle.hpp"
#include "strata/commands.hpp"
#include "strata/profile_location.hpp"
#include "strata/trace_option.hpp"

namespace strata::tools {
namespace {

struct RunOptions {
  std::string scenario;
  std::string out_dir;
  std::string fidelity;
  bool json = false;
  std::int64_t steps = 1;
  std::string trace;
  std::string profiles;
  std::string presets;
};

// A serving scenario: its deployments ranked by output tokens per second per GPU.
void run_serving(const RunOptions& o, const scenarios::Scenario& scenario,
                 const scenarios::ValidationResiduals& residuals, std::ostream& out) {
  if (scenario.deployments.empty())
    throw sim::InputError(
        o.scenario, "/strategies",
        "no deployments to run: the scenario has only search bounds (strata search " + o.scenario + ")");
  const scenarios::TraceSelection traces = trace_selection(o.trace, o.out_dir);
  if (!o.out_dir.empty()) sim::OutputBundle::check_writable(o.out_dir);
  std::vector<scenarios::InferenceResult> ranked = scenarios::run_inference_scenario(scenario);
  scenarios::attach_error_bands(residuals, scenario, ranked);
  if (o.json) {
    out << scenarios::report_text(scenarios::inference_report_json(scenario, ranked));
  } else {
    const models::ServingWorkload& w = *scenario.inference;
    const auto length = [](const models::LengthDistribution& l) {
      return l.fixed() ? std::to_string(l.low) : std::to_string(l.low) + "-" + std::to_string(l.high);
    };
    out << scenario.name << ": " << scenario.model.config.name << " on " << scenario.cluster.nodes << " x "
        << scenario.cluster.system.name << " (" << scenario.cluster.gpus() << " GPUs), " << w.requests
        << " requests";
    if (w.arrival == models::ArrivalKind::kTrace) {
      out << " from " << std::filesystem::path(w.trace_file).filename().string() << "\n";
    } else {
      out << " of " << length(w.input_len) << " + " << length(w.output_len) << " tokens, "
          << models::kArrivalKindNames.name(w.arrival) << "\n";
    }
    out << scenarios::inference_table(ranked, scenarios::inference_ranking(w));
  }
  if (!o.out_dir.empty()) {
    const auto written = scenarios::write_inference_bundle(
        o.out_dir, "run", scenario, ranked, scenarios::inference_traces(scenario, ranked, traces));
    if (!o.json) out << bundle_note(written, o.out_dir, traces);
  }
}

void run(const RunOptions& o, std::ostream& out) {
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  const models::ModelCatalog presets(resolve_preset_dir(o.presets));
  scenarios::Scenario scenario = scenarios::read_scenario(o.scenario, profiles, presets);
  if (!o.fidelity.empty()) {
    const sim::JsonLocation flag{"command line", "--fidelity"};
    scenario.fidelity = scenarios::checked_fidelity(o.fidelity, flag);
    scenarios::check_fidelity_fit(scenario, flag);
  }
  scenarios::check_distribution_steps(scenario, o.steps, {"command line", "--steps"});
  // Read before the simulation: a broken residuals file fails at once and leaves nothing written.
  const auto residuals = scenarios::ValidationResiduals::read(resolve_residuals_file());
  if (scenario.inference) {
    run_serving(o, scenario, residuals, out);
    return;
  }
  if (scenario.strategies.empty())
    throw sim::InputError(
        o.scenario, "/strategies",
        "no strategies to run: the scenario has only search bounds (strata search " + o.scenario + ")");
  const scenarios::TraceSelection traces = trace_selection(o.trace, o.out_dir);
  if (!o.out_dir.empty()) sim::OutputBundle::check_writable(o.out_dir);  // before the work, not after
  scenarios::ScenarioRun result = scenarios::run_scenario(
      scenario, {!o.out_dir.empty(), o.out_dir.empty() ? scenarios::TraceSelection::kNone : traces}, o.steps);
  scenarios::attach_error_bands(residuals, scenario, result.ranked);
  if (o.json) {
    out << scenarios::report_text(scenarios::report_json(scenario, result.ranked));
  } else {
    out << scenario.name << ": " << scenario.model.config.name << " on " << scenario.cluster.nodes << " x "
        << scenario.cluster.system.name << " (" << scenario.cluster.gpus() << " GPUs), " << scenario.fidelity
        << " fidelity\n";
    out << scenarios::ranking_table(result.ranked);
  }
  if (!o.out_dir.empty()) {
    const auto written = scenarios::write_report_bundle(o.out_dir, "run", scenario, result);
    if (!o.json) out << bundle_note(written, o.out_dir, traces);
  }
}

}  // namespace

void add_run_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Simulate every strategy of a scenario and rank them");
  command->add_option("scenario", options->scenario, "Scenario file (scenarios/README.md)")->required();
  command->add_option("-o,--out", options->out_dir,
                      "Directory for report.json, report.html and trace-<strategy>.json");
  command->add_option("--fidelity", options->fidelity, "analytic or flow (overrides the scenario's)");
  command->add_option(
      "--steps", options->steps,
      "Simulate N steps, each with the next jitter seed, and report the step-time distribution "
      "(needs cluster.jitter)");
  add_trace_option(*command, options->trace);
  command->add_flag("--json", options->json, "Print the report.json document instead of the table");
  command->add_option("--profiles", options->profiles, kProfileDirHelp);
  command->add_option("--presets", options->presets, kPresetDirHelp);
  command->callback([&out, options] { run(*options, out); });
}

}  // namespace strata::tools
