// The strata command line: builds the CLI11 application, runs the chosen subcommand and maps every error to
// a message on stderr and an exit code (exit_codes.hpp). Nothing else in Strata decides exit codes.
#pragma once

#include <iosfwd>

namespace strata::tools {

// Runs `strata` with the given arguments; returns the process exit code. Output goes to `out`, errors to
// `err`.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace strata::tools
