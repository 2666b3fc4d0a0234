#include "strata/trace_option.hpp"

#include <cstdio>
#include <system_error>

#include "sim/error.hpp"

namespace strata::tools {

void add_trace_option(CLI::App& command, std::string& value) {
  command
      .add_option("--trace", value,
                  "Timelines written with -o: " + scenarios::kTraceSelectionNames.choices() +
                      " (default best: the first-ranked strategy's)")
      ->check([](const std::string& word) {
        return scenarios::kTraceSelectionNames.value(word)
                   ? std::string()
                   : "expected " + scenarios::kTraceSelectionNames.choices() + ", got \"" + word + "\"";
      });
}

scenarios::TraceSelection trace_selection(const std::string& value, const std::string& out_dir) {
  if (value.empty()) return scenarios::TraceSelection::kBest;
  if (out_dir.empty())
    throw sim::InputError("command line", "--trace",
                          "traces are written into the -o directory, and none was given: add -o DIR");
  return *scenarios::kTraceSelectionNames.value(value);
}

std::string bundle_note(const std::vector<std::filesystem::path>& written, const std::string& dir,
                        scenarios::TraceSelection traces) {
  std::uintmax_t trace_bytes = 0;
  int trace_files = 0;
  for (const std::filesystem::path& path : written) {
    if (path.filename().string().rfind("trace-", 0) != 0) continue;
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    trace_bytes += error ? 0 : size;
    ++trace_files;
  }
  char sizes[96];
  std::snprintf(sizes, sizeof sizes, "%d trace%s of %.1f MB", trace_files, trace_files == 1 ? "" : "s",
                static_cast<double>(trace_bytes) / 1e6);
  if (trace_files == 0) std::snprintf(sizes, sizeof sizes, "no traces");
  const char* hint = traces == scenarios::TraceSelection::kAll ? "" : "; --trace all writes every strategy's";
  return "wrote " + std::to_string(written.size()) + " files to " + dir + " (report.json, report.html, " +
         sizes + "; manifest.json marks the bundle complete" + hint + ")\n";
}

}  // namespace strata::tools
