// Kineto trace reading speed and memory (issue 21's goals: >= 100 MB/s on one core; a 1 GB trace read without
// holding its text). Figures:
//  - trace read: MB/s of JSON text streamed into a KinetoTrace (the fixture given, plain, from the page
//  cache);
//  - trace read + import: the same plus building the execution graph (no graph file written);
//  - large trace read: MB/s and the peak memory added, for a synthetic trace of --megabytes (default 1024)
//    made of the fixture's events repeated, written to a temporary file and removed after.
// Usage: trace_read_bench FIXTURE.json[.gz] [--megabytes N] [--repeats N]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench_args.hpp"
#include "traces/kineto/kineto_import.hpp"
#include "traces/kineto/kineto_trace.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double peak_rss_megabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

// The fixture's events, repeated until the document has `megabytes` of text.
std::filesystem::path write_large_trace(const std::string& text, std::int64_t megabytes) {
  const nlohmann::json fixture = nlohmann::json::parse(text);
  std::string events;
  for (const nlohmann::json& event : fixture.at("traceEvents")) events += event.dump() + ",\n";
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("strata-trace-bench-" + std::to_string(::getpid()) + ".json");
  std::ofstream out(path, std::ios::binary);
  out << "{\"traceEvents\": [\n";
  const auto wanted = static_cast<std::size_t>(megabytes) << 20;
  for (std::size_t written = 0; written < wanted; written += events.size()) out << events;
  out << "{\"ph\": \"i\", \"name\": \"end\", \"ts\": 0}]}\n";
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s FIXTURE.json[.gz] [--megabytes N] [--repeats N]\n", argv[0]);
    return 2;
  }
  const std::int64_t megabytes = strata::tools::integer_argument(argc, argv, "--megabytes", 1024);
  const std::int64_t repeats = strata::tools::integer_argument(argc, argv, "--repeats", 5);
  const std::string text = strata::traces::read_maybe_gzip_file(argv[1]);
  const std::filesystem::path plain =
      std::filesystem::temp_directory_path() / ("strata-trace-bench-fixture-" + std::to_string(::getpid()));
  std::ofstream(plain, std::ios::binary) << text;
  const double megabytes_of_text = static_cast<double>(text.size()) / 1e6;

  double read_s = 0, import_s = 0;
  for (std::int64_t r = 0; r < repeats; ++r) {
    const Clock::time_point start = Clock::now();
    const strata::traces::KinetoTrace trace = strata::traces::read_kineto_trace(plain);
    read_s += seconds_since(start);
    const strata::traces::KinetoImport imported = strata::traces::import_kineto(trace);
    import_s += seconds_since(start);
  }
  std::filesystem::remove(plain);
  strata::tools::print_figure("trace read", megabytes_of_text * static_cast<double>(repeats) / read_s,
                              "MB/s");
  strata::tools::print_figure("trace read + import",
                              megabytes_of_text * static_cast<double>(repeats) / import_s, "MB/s");

  const std::filesystem::path large = write_large_trace(text, megabytes);
  const double large_megabytes = static_cast<double>(std::filesystem::file_size(large)) / 1e6;
  const double rss_before = peak_rss_megabytes();
  const Clock::time_point start = Clock::now();
  const strata::traces::KinetoTrace trace = strata::traces::read_kineto_trace(large);
  const double large_s = seconds_since(start);
  std::filesystem::remove(large);
  std::printf("large trace read: %.4g MB/s (%.0f MB of JSON, %zu GPU ops, %zu runtime calls)\n",
              large_megabytes / large_s, large_megabytes, trace.gpu_ops.size(), trace.runtime_calls.size());
  strata::tools::print_figure("large trace read, peak memory added", peak_rss_megabytes() - rss_before, "MB");
  return 0;
}
