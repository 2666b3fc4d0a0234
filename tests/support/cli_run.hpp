// Drives the strata command in-process for tests: exit code and what it printed.
#pragma once

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "strata/cli.hpp"

namespace strata::testing {

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

inline CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "strata");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = strata::tools::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// A temporary path unique to this process, so concurrent test runs do not collide.
inline std::filesystem::path scratch(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
}

}  // namespace strata::testing
