// `[mpirun -n N] strata search SCENARIO [--top K] [-o DIR] [--trace none|best|all] [--json]`: enumerates
// strategies within the scenario's "search" bounds, prunes invalid and out-of-memory ones, simulates the rest
// (at the scenario's fidelity) in order of a lower bound on their step until no other can enter the top K
// (strategy_search.hpp), and ranks them; a progress bar on a terminal (stderr); -o writes the top K as
// report.json / report.html / traces.
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/report/inference_report.hpp"
#include "scenarios/report/report_json.hpp"
#include "scenarios/report/report_table.hpp"
#include "scenarios/runner/deployment_search.hpp"
#include "scenarios/runner/result_bands.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "scenarios/runner/search_mpi.hpp"
#include "scenarios/runner/strategy_search.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/output_bundle.hpp"
#include "strata/commands.hpp"
#include "strata/profile_location.hpp"
#include "strata/trace_option.hpp"

namespace strata::tools {
namespace {

struct SearchOptions {
  std::string scenario;
  std::string out_dir;
  int top = 10;
  int jobs = 0;
  bool json = false;
  std::string trace;
  std::string profiles;
  std::string presets;
};

void draw_progress(std::int64_t done, std::int64_t total) {
  constexpr int kWidth = 40;
  const int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
  std::fprintf(stderr, "\r[%-*s] %3d%%", kWidth, std::string(static_cast<std::size_t>(filled), '#').c_str(),
               total > 0 ? static_cast<int>(100 * done / total) : 100);
  if (done == total) std::fprintf(stderr, "\n");
}

// The search dimensions the scenario leaves open ("tp, pp, zero"): each takes every valid value.
std::string unbounded_dimensions(const scenarios::SearchSpace& space) {
  const std::pair<const char*, bool> dimensions[] = {{"tp", space.tp.empty()},
                                                     {"pp", space.pp.empty()},
                                                     {"vpp", space.vpp.empty()},
                                                     {"cp", space.cp.empty()},
                                                     {"ep", space.ep.empty()},
                                                     {"zero", space.zero.empty()},
                                                     {"micro_batch", space.micro_batch.empty()},
                                                     {"recompute", space.recompute.empty()},
                                                     {"schedule", space.schedule.empty()},
                                                     {"sequence_parallel", space.sequence_parallel.empty()}};
  std::string open;
  for (const auto& [name, unbounded] : dimensions)
    if (unbounded) open += std::string(open.empty() ? "" : ", ") + name;
  return open;
}

// A serving scenario: every deployment within its bounds, ranked, with the Pareto frontiers of tokens/s per
// GPU against TPOT and against TTFT and the best deployment under the slo
// (scenarios/runner/deployment_search.hpp).
void search_serving(const SearchOptions& o, const scenarios::Scenario& scenario,
                    const scenarios::ValidationResiduals& residuals, std::ostream& out) {
  if (!scenario.deployment_search)
    throw sim::InputError(o.scenario, "/search", "missing: a serving search needs a \"search\" object");
  const scenarios::TraceSelection traces = trace_selection(o.trace, o.out_dir);
  if (!o.out_dir.empty()) sim::OutputBundle::check_writable(o.out_dir);
  scenarios::DeploymentSearchOutcome outcome = scenarios::search_deployments(scenario);
  const auto names_of = [&](const std::vector<bool>& on_front) {
    nlohmann::json names = nlohmann::json::array();
    for (std::size_t i = 0; i < outcome.ranked.size(); ++i)
      if (on_front[i]) names.push_back(outcome.ranked[i].deployment.name);
    return names;
  };
  const nlohmann::json front = names_of(outcome.pareto);
  const nlohmann::json front_ttft = names_of(outcome.pareto_ttft);
  nlohmann::json summary = {{"candidates", outcome.candidates},
                            {"infeasible", outcome.infeasible},
                            {"pareto_front", front},
                            {"pareto_front_ttft", front_ttft},
                            {"top", o.top}};
  if (outcome.best_under_slo)
    summary["best_under_slo"] = outcome.ranked[*outcome.best_under_slo].deployment.name;
  if (outcome.ranked.size() > static_cast<std::size_t>(o.top))
    outcome.ranked.resize(static_cast<std::size_t>(o.top));
  scenarios::attach_error_bands(residuals, scenario, outcome.ranked);
  const nlohmann::json extra = {{"search", summary}};
  const nlohmann::json report = scenarios::inference_report_json(scenario, outcome.ranked, extra);
  if (o.json) {
    out << scenarios::report_text(report);
  } else {
    out << scenario.name << ": " << outcome.candidates << " deployments, " << outcome.infeasible
        << " infeasible"
        << (outcome.first_infeasible.empty() ? "" : " (first: " + outcome.first_infeasible + ")") << "\n";
    out << scenarios::inference_table(outcome.ranked, scenarios::inference_ranking(*scenario.inference));
    const auto joined = [](const nlohmann::json& names) {
      std::string text;
      for (const auto& name : names) text += (text.empty() ? "" : ", ") + name.get<std::string>();
      return text;
    };
    out << "Pareto front (output tokens/s per GPU against TPOT p50): " << joined(front) << "\n";
    out << "Pareto front (output tokens/s per GPU against TTFT p50): " << joined(front_ttft) << "\n";
    if (scenario.inference->slo) {
      out << "best under the slo (TTFT p99 and TPOT p99 within it): "
          << (outcome.best_under_slo ? outcome.ranked.size() > *outcome.best_under_slo
                                           ? outcome.ranked[*outcome.best_under_slo].deployment.name
                                           : summary["best_under_slo"].get<std::string>()
                                     : std::string("none meets it"))
          << "\n";
    }
  }
  if (!o.out_dir.empty()) {
    scenarios::Scenario top = scenario;
    top.deployments.clear();
    for (const auto& r : outcome.ranked) top.deployments.push_back({r.deployment, std::nullopt});
    const auto written =
        scenarios::write_inference_bundle(o.out_dir, "search", scenario, outcome.ranked,
                                          scenarios::inference_traces(top, outcome.ranked, traces), extra);
    if (!o.json)
      out << "the top " << outcome.ranked.size() << ": " << bundle_note(written, o.out_dir, traces);
  }
}

void search(const SearchOptions& o, std::ostream& out) {
  const scenarios::TraceSelection traces = trace_selection(o.trace, o.out_dir);
  const bool terminal = isatty(STDERR_FILENO) != 0 && !o.json;
  const auto check_output = [&o](const scenarios::Scenario&) {
    if (!o.out_dir.empty()) sim::OutputBundle::check_writable(o.out_dir);  // before the search, not after
  };
  // Read before the search: a broken residuals file fails at once and leaves nothing written.
  const auto residuals = scenarios::ValidationResiduals::read(resolve_residuals_file());
  const auto started = std::chrono::steady_clock::now();
  std::optional<scenarios::Scenario> read;
  scenarios::SearchOutcome outcome;
  if (scenarios::mpi_launch_size() > 1) {
    scenarios::MpiSearchOutcome shared =
        scenarios::run_search_mpi(o.scenario, resolve_profile_dir(o.profiles), resolve_preset_dir(o.presets),
                                  o.jobs, o.top, check_output, terminal ? draw_progress : nullptr);
    if (!shared.root) return;  // rank 0 reports
    read = std::move(shared.scenario);
    outcome = std::move(shared.outcome);
  } else {
    const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
    const models::ModelCatalog presets(resolve_preset_dir(o.presets));
    read = scenarios::read_scenario(o.scenario, profiles, presets);
    if (read->inference) {
      search_serving(o, *read, residuals, out);
      return;
    }
    check_output(*read);
    outcome = scenarios::search_strategies(*read, terminal ? draw_progress : nullptr, o.jobs, o.top);
  }
  const scenarios::Scenario& scenario = *read;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (outcome.ranked.size() > static_cast<std::size_t>(o.top))
    outcome.ranked.resize(static_cast<std::size_t>(o.top));
  scenarios::attach_error_bands(residuals, scenario, outcome.ranked);
  // Counts only: the report stays byte-identical (no timings in it).
  const nlohmann::json counts = {{"search",
                                  {{"candidates", outcome.candidates},
                                   {"invalid", outcome.invalid},
                                   {"oom_pruned", outcome.oom_pruned},
                                   {"simulated", outcome.simulated},
                                   {"extrapolated", outcome.extrapolated},
                                   {"bound_pruned", outcome.bound_pruned},
                                   {"top", o.top}}}};
  scenarios::Scenario top = scenario;
  top.strategies.clear();
  for (const auto& r : outcome.ranked) top.strategies.push_back({r.strategy, std::nullopt});
  if (o.json) {
    out << scenarios::report_text(scenarios::report_json(scenario, outcome.ranked, counts));
  } else {
    // Strategies/s counts every candidate the search settled: simulated, or proven outside the top K.
    const auto settled = static_cast<double>(outcome.simulated + outcome.bound_pruned);
    char line[640];
    std::snprintf(
        line, sizeof line,
        "%s: %lld candidates, %lld invalid, %lld over memory (estimate), %lld simulated (%lld from two short "
        "steps, "
        "the top %d in full), %lld bounded out (a lower bound on their step beyond the top %d) in %.1f s "
        "(%.1f strategies/s)\n",
        scenario.name.c_str(), static_cast<long long>(outcome.candidates),
        static_cast<long long>(outcome.invalid), static_cast<long long>(outcome.oom_pruned),
        static_cast<long long>(outcome.simulated), static_cast<long long>(outcome.extrapolated), o.top,
        static_cast<long long>(outcome.bound_pruned), o.top, seconds, settled / std::max(seconds, 1e-9));
    out << line;
    if (scenario.search) {
      const std::string open = unbounded_dimensions(*scenario.search);
      if (!open.empty())
        out << "unbounded in \"search\" (every valid value): " << open
            << "; list values there to search fewer candidates\n";
    }
    out << scenarios::ranking_table(outcome.ranked);
  }
  if (!o.out_dir.empty()) {
    // Re-run the top K with timelines so the bundle has traces and the HTML an excerpt.
    scenarios::ScenarioRun bundle = scenarios::run_scenario(top, {true, traces});
    const auto written = scenarios::write_report_bundle(o.out_dir, "search", scenario, bundle, counts);
    if (!o.json) out << "the top " << bundle.ranked.size() << ": " << bundle_note(written, o.out_dir, traces);
  }
}

}  // namespace

void add_search_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<SearchOptions>();
  CLI::App* command =
      app.add_subcommand("search", "Search parallel strategies within a scenario's bounds and rank them");
  command->add_option("scenario", options->scenario, "Scenario file with a \"search\" object")->required();
  command->add_option("--top", options->top, "How many to report")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  command->add_option("-o,--out", options->out_dir,
                      "Directory for report.json, report.html and traces of the top K");
  command->add_flag("--json", options->json, "Print the report document instead of the table");
  add_trace_option(*command, options->trace);
  command
      ->add_option("-j,--jobs", options->jobs,
                   "Threads simulating candidates (0: one per hardware thread, at most 8)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  command->add_option("--profiles", options->profiles, kProfileDirHelp);
  command->add_option("--presets", options->presets, kPresetDirHelp);
  command->callback([&out, options] { search(*options, out); });
}

}  // namespace strata::tools
