// Test helpers for tests that write files: an empty scratch directory and a whole file as a string.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cli_run.hpp"

namespace strata::testing {

// scratch(name), emptied and created.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir = scratch(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace strata::testing
