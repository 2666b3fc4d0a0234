// The strata command's exit codes: the only place where errors become process status (DESIGN.md,
// Conventions).
#pragma once

#include <stdexcept>

namespace strata::tools {

enum class ExitCode : int {
  kOk = 0,
  kInternalError = 1,    // a bug in Strata (unexpected exception)
  kBadInput = 2,         // a file, value or command line Strata cannot accept (sim::InputError, CLI11 errors)
  kSimulationError = 3,  // the engine refused an operation (sim::SimulationError)
  kValidationFailed = 4,  // `strata validate`: a case is outside its tolerance
};

// Thrown by `strata validate` after printing its results when a case is outside its tolerance.
class ValidationFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace strata::tools
