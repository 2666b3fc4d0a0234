#include "strata/cli.hpp"

#include <CLI/CLI.hpp>
#include <ostream>

#include "sim/error.hpp"
#include "sim/suggest.hpp"
#include "strata/commands.hpp"
#include "strata/exit_codes.hpp"
#include "strata/version.hpp"

namespace strata::tools {
namespace {

constexpr const char* kFooter =
    "Run 'strata <command> --help' for a command's options.\n"
    "Exit codes: 0 ok, 1 internal error, 2 bad input, 3 simulation error, 4 validation case outside "
    "tolerance.\n";

int code(ExitCode exit_code) { return static_cast<int>(exit_code); }

// "did you mean" for the first unexpected argument one typo away from a command or a long option of the
// command it was given to (the deepest one parsed).
std::string suggestion(const CLI::App& app) {
  const CLI::App* command = &app;
  while (!command->get_subcommands().empty()) command = command->get_subcommands().front();
  std::vector<std::string> words;
  for (const CLI::App* sub : const_cast<CLI::App*>(command)->get_subcommands({}))
    words.push_back(sub->get_name());
  for (const CLI::Option* option : command->get_options())
    for (const std::string& name : option->get_lnames()) words.push_back("--" + name);
  for (const std::string& extra : app.remaining(true)) {
    const std::string hint = sim::did_you_mean(extra.substr(0, extra.find('=')), words);
    if (!hint.empty()) return "strata: \"" + extra + "\"" + hint + "\n";
  }
  return "";
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"Strata: a discrete-event performance simulator for GPU clusters", "strata"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("strata ") + kVersion);
  app.require_subcommand(0, 1);
  add_demo_command(app, out);
  add_hw_command(app, out);
  add_collective_command(app, out);
  add_calibrate_command(app, out);
  add_model_command(app, out);
  add_graph_commands(app, out);
  add_trace_commands(app, out);
  add_run_command(app, out);
  add_jobs_command(app, out);
  add_search_command(app, out);
  add_sweep_command(app, out);
  add_validate_command(app, out);

  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) {
      out << app.help();
    }
    return code(ExitCode::kOk);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return code(ExitCode::kOk);
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return code(ExitCode::kOk);
  } catch (const CLI::CallForVersion&) {
    out << app.version() << '\n';
    return code(ExitCode::kOk);
  } catch (const CLI::ParseError& error) {
    err << "strata: " << error.what() << "\n" << suggestion(app) << "(run 'strata --help' for usage)\n";
    return code(ExitCode::kBadInput);
  } catch (const sim::InputError& error) {
    err << "strata: error: " << error.what() << '\n';
    return code(ExitCode::kBadInput);
  } catch (const ValidationFailed& error) {
    err << "strata: " << error.what() << '\n';
    return code(ExitCode::kValidationFailed);
  } catch (const sim::SimulationError& error) {
    err << "strata: simulation error: " << error.what() << '\n';
    return code(ExitCode::kSimulationError);
  } catch (const std::exception& error) {
    err << "strata: internal error: " << error.what() << '\n';
    return code(ExitCode::kInternalError);
  }
}

}  // namespace strata::tools
