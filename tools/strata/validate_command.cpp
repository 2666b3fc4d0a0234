// `strata validate [PATH...] [--json] [--residuals-out FILE]`: runs validation cases (default: the shipped
// scenarios/validation/), prints predicted against published step time per case and the MAPE; exit code 4
// when a case is outside its tolerance (scenarios/validation/README.md). --residuals-out writes the error
// bands' data (scenarios/runner/error_band.hpp), also when cases fail.
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/runner/validation.hpp"
#include "sim/atomic_file.hpp"
#include "sim/json_text.hpp"
#include "strata/commands.hpp"
#include "strata/exit_codes.hpp"
#include "strata/profile_location.hpp"

namespace strata::tools {
namespace {

struct ValidateOptions {
  std::vector<std::string> paths;
  bool json = false;
  std::string profiles;
  std::string presets;
  std::string residuals_out;
};

void validate(const ValidateOptions& o, std::ostream& out) {
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  const models::ModelCatalog presets(resolve_preset_dir(o.presets));
  std::vector<std::filesystem::path> paths(o.paths.begin(), o.paths.end());
  if (paths.empty()) paths.emplace_back(resolve_validation_dir());
  const scenarios::ValidationSummary summary =
      scenarios::run_validation(scenarios::validation_files(paths), profiles, presets);
  if (!o.residuals_out.empty()) {
    sim::write_file_atomically(o.residuals_out,
                               sim::json_text(scenarios::validation_residuals(summary).to_json(), 1) + "\n");
  }
  out << (o.json ? sim::json_text(scenarios::validation_json(summary), 1) + "\n"
                 : scenarios::validation_table(summary));
  if (summary.failed > 0) {
    throw ValidationFailed(std::to_string(summary.failed) + " of " + std::to_string(summary.cases.size()) +
                           " validation cases are outside their tolerance");
  }
}

}  // namespace

void add_validate_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* command = app.add_subcommand("validate", "Compare predictions with published measurements");
  command->add_option("paths", options->paths,
                      "Case files or directories (default: the shipped scenarios/validation)");
  command->add_flag("--json", options->json, "Print the results as JSON");
  command->add_option("--residuals-out", options->residuals_out,
                      "Write every case's family and residual (published / predicted - 1) to this file: "
                      "the error bands' data, shipped as calibration/residuals/validation.json");
  command->add_option("--profiles", options->profiles, kProfileDirHelp);
  command->add_option("--presets", options->presets, kPresetDirHelp);
  command->callback([&out, options] { validate(*options, out); });
}

}  // namespace strata::tools
