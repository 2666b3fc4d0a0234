// The strata command's exit codes: the only place where errors become process status (DESIGN.md, Conventions).
#pragma once

namespace strata::tools {

enum class ExitCode : int {
  kOk = 0,
  kInternalError = 1,    // a bug in Strata (unexpected exception)
  kBadInput = 2,         // a file, value or command line Strata cannot accept (sim::InputError, CLI11 errors)
  kSimulationError = 3,  // the engine refused an operation (sim::SimulationError)
};

}  // namespace strata::tools
