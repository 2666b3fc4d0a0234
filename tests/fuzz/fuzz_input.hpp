// Shared by the libFuzzer harnesses (tests/fuzz/README.md): hostile input is fine when it ends in
// sim::InputError; any other exception escapes, and libFuzzer reports it as a crash with the input.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "sim/error.hpp"

namespace strata::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Readers that take a path get the input through one file per process, rewritten for every input.
inline std::filesystem::path input_file(std::string_view text, const std::string& name) {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("strata-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(text.data(), static_cast<std::streamsize>(text.size()));
  return path;
}

// Runs `read`; bad input is an expected outcome.
template <class Read>
int expect_input_errors_only(Read read) {
  try {
    read();
  } catch (const sim::InputError&) {
  }
  return 0;
}

}  // namespace strata::fuzz
