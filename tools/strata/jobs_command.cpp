// `strata jobs FILE [--json]`: the training jobs of a jobs file on one cluster, each alone and all together
// at flow fidelity; prints what the others cost each job (scenarios/jobs/shared_cluster_run.hpp).
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>
#include <string>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/jobs/jobs_file.hpp"
#include "scenarios/jobs/shared_cluster_run.hpp"
#include "scenarios/report/report_json.hpp"
#include "strata/commands.hpp"
#include "strata/profile_location.hpp"

namespace strata::tools {
namespace {

struct JobsOptions {
  std::string file;
  bool json = false;
  std::string profiles;
  std::string presets;
};

void run(const JobsOptions& o, std::ostream& out) {
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  const models::ModelCatalog presets(resolve_preset_dir(o.presets));
  const scenarios::JobsFile jobs = scenarios::read_jobs_file(o.file, profiles, presets);
  const std::vector<scenarios::JobResult> results = scenarios::run_jobs(jobs);
  if (o.json) {
    out << scenarios::report_text(scenarios::jobs_report_json(jobs, results));
  } else {
    out << scenarios::jobs_table(jobs, results);
  }
}

}  // namespace

void add_jobs_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<JobsOptions>();
  CLI::App* command =
      app.add_subcommand("jobs", "Run several training jobs on one cluster: each alone, then sharing it");
  command->add_option("file", options->file, "Jobs file (scenarios/README.md, \"Jobs sharing a cluster\")")
      ->required();
  command->add_flag("--json", options->json, "Print the jobs report document instead of the table");
  command->add_option("--profiles", options->profiles, kProfileDirHelp);
  command->add_option("--presets", options->presets, kPresetDirHelp);
  command->callback([&out, options] { run(*options, out); });
}

}  // namespace strata::tools
