// Shared by the benchmark programs: optional "--key value" integer arguments and the figure format.
// Each figure is printed on its own line as "name: value unit" so that scripts can read it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace strata::tools {

// Returns the integer after `--key` in argv, or `fallback` when absent. Exits with status 2 on a bad value
// (benchmarks are tools: they may map errors to exit codes).
inline std::int64_t integer_argument(int argc, char** argv, const char* key, std::int64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], key) != 0) continue;
    char* end = nullptr;
    const long long value = std::strtoll(argv[i + 1], &end, 10);
    if (end == argv[i + 1] || *end != '\0' || value <= 0) {
      std::fprintf(stderr, "%s: %s needs a positive integer, got \"%s\"\n", argv[0], key, argv[i + 1]);
      std::exit(2);
    }
    return value;
  }
  return fallback;
}

inline void print_figure(const char* name, double value, const char* unit) {
  std::printf("%s: %.4g %s\n", name, value, unit);
}

}  // namespace strata::tools
