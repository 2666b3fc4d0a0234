// `strata trace info FILE [--system NAME]`: what a PyTorch profiler (Kineto) trace holds (rank, steps, GPU
// work by kernel class and by stream, collectives by group and size) and, with --system, how closely
// replaying it on that system reproduces its own step time. `strata trace import FILE -o graph.json`: the
// trace as an execution-graph file for `strata replay`. Both take --measured-comm (NCCL kernels keep their
// measured times instead of the network model's).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "sim/atomic_file.hpp"
#include "sim/error.hpp"
#include "strata/commands.hpp"
#include "strata/profile_location.hpp"
#include "traces/graph_file.hpp"
#include "traces/kineto/kernel_classes.hpp"
#include "traces/kineto/kineto_import.hpp"

namespace strata::tools {
namespace {

struct TraceOptions {
  std::string file;
  std::string out;
  std::string system;
  std::string profiles;
  bool measured_comm = false;
};

constexpr double kMs = 1e3;

struct Tally {
  std::int64_t count = 0;
  double microseconds = 0;
};

std::string line_of(const char* format, auto... values) {
  char line[256];
  std::snprintf(line, sizeof line, format, values...);
  return line;
}

// The GPU work the import selected is the trace's work launched in its window; these tallies cover the same.
void print_work(const traces::KinetoTrace& trace, const traces::KinetoImport& imported, std::ostream& out) {
  std::map<traces::KernelClass, Tally> by_class;
  std::map<std::int64_t, Tally> by_stream;
  std::map<std::string, Tally> collectives;  // "op over N GPUs, size"
  const double window_us = imported.window_s * 1e6;
  const double begin = imported.window_start_us;
  for (const traces::KinetoGpuOp& op : trace.gpu_ops) {
    if (op.start_us < begin || op.start_us >= begin + window_us) continue;
    Tally& c = by_class[traces::kernel_class(op)];
    ++c.count;
    c.microseconds += op.duration_us;
    Tally& s = by_stream[op.stream];
    ++s.count;
    s.microseconds += op.duration_us;
    if (op.collective) {
      const traces::KinetoCollective& k = *op.collective;
      Tally& t = collectives[k.name + " " + k.dtype + " x" + std::to_string(k.in_elements) + " over " +
                             std::to_string(k.group_size) + " ranks"];
      ++t.count;
      t.microseconds += op.duration_us;
    }
  }
  out << "  GPU work in the window, by kernel class (traces/kineto/kernel_classes.hpp):\n";
  for (const auto& [kind, tally] : by_class)
    out << line_of("    %-14s %7lld ops %10.2f ms  %5.1f%% of the window\n",
                   std::string(traces::kKernelClassNames.name(kind)).c_str(),
                   static_cast<long long>(tally.count), tally.microseconds / kMs,
                   100.0 * tally.microseconds / window_us);
  out << "  by stream (busy time):\n";
  for (const auto& [stream, tally] : by_stream)
    out << line_of("    stream %-7lld %7lld ops %10.2f ms  %5.1f%%\n", static_cast<long long>(stream),
                   static_cast<long long>(tally.count), tally.microseconds / kMs,
                   100.0 * tally.microseconds / window_us);
  if (!collectives.empty()) {
    out << "  collectives (name, dtype x elements, group):\n";
    for (const auto& [what, tally] : collectives)
      out << line_of("    %-60s %5lld calls, mean %.3f ms\n", what.c_str(),
                     static_cast<long long>(tally.count),
                     tally.microseconds / static_cast<double>(tally.count) / kMs);
  }
}

void print_import(const traces::KinetoImport& imported, std::ostream& out) {
  out << "  imported: " << imported.graph.tasks.size() << " tasks on " << imported.graph.streams.size()
      << " streams; " << imported.modelled_collectives << " collectives priced by the network model";
  std::int64_t measured = 0;
  for (const auto& [reason, count] : imported.measured_communication) measured += count;
  out << ", " << measured << " NCCL kernels at their measured time\n";
  for (const auto& [reason, count] : imported.measured_communication)
    out << "    " << count << " measured: " << reason << "\n";
}

traces::KinetoImport load(const TraceOptions& o, traces::KinetoTrace* kept = nullptr) {
  traces::KinetoTrace trace = traces::read_kineto_trace(o.file);
  traces::KinetoImport imported = traces::import_kineto(trace, {o.measured_comm});
  if (kept != nullptr) *kept = std::move(trace);
  return imported;
}

void info(const TraceOptions& o, std::ostream& out) {
  traces::KinetoTrace trace;
  const traces::KinetoImport imported = load(o, &trace);
  out << "trace " << o.file << ": rank " << trace.rank << " of " << trace.world_size
      << (trace.device.empty() ? "" : ", " + trace.device) << "\n";
  if (trace.steps.empty()) {
    out << "  no ProfilerStep annotation: the whole trace is one step of "
        << line_of("%.2f ms\n", imported.window_s * kMs);
  } else {
    double shortest = 1e300, longest = 0;
    for (const traces::KinetoStep& s : trace.steps) {
      shortest = std::min(shortest, s.duration_us);
      longest = std::max(longest, s.duration_us);
    }
    out << line_of("  steps: %lld (ProfilerStep#%lld to #%lld), mean %.2f ms, min %.2f, max %.2f\n",
                   static_cast<long long>(imported.steps), static_cast<long long>(trace.steps.front().number),
                   static_cast<long long>(trace.steps.back().number), imported.measured_step_s * kMs,
                   shortest / kMs, longest / kMs);
  }
  print_work(trace, imported, out);
  print_import(imported, out);
  if (o.system.empty()) {
    out << "  (--system NAME replays it and compares the step time with the trace's)\n";
    return;
  }
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  const models::SystemProfile system = profiles.system(o.system);
  const models::GpuProfile gpu = profiles.gpu(system.gpu);
  models::ExecutionResult result;
  try {
    result = models::execute(imported.graph, gpu, system);
  } catch (const sim::OverflowError& error) {
    throw sim::InputError(o.file, "/traceEvents",
                          std::string(error.what()) + ": the trace's work would outlast simulated time (" +
                              sim::SimTime::max().to_string() + ")");
  }
  const double replayed = result.makespan.seconds() / static_cast<double>(imported.steps);
  out << line_of("  replay on %s: %.2f ms per step, measured %.2f ms: %+.1f%%\n", system.name.c_str(),
                 replayed * kMs, imported.measured_step_s * kMs,
                 100.0 * (replayed - imported.measured_step_s) / imported.measured_step_s);
}

void import(const TraceOptions& o, std::ostream& out) {
  traces::KinetoTrace trace;
  const traces::KinetoImport imported = load(o, &trace);
  const nlohmann::json metadata = {{"strategy", std::filesystem::path(o.file).filename().string()},
                                   {"source", o.file},
                                   {"importer", "kineto"},
                                   {"device", trace.device},
                                   {"rank", trace.rank},
                                   {"world_size", trace.world_size},
                                   {"measured_comm", o.measured_comm},
                                   {"steps", imported.steps},
                                   {"measured_step_time_s", imported.measured_step_s}};
  sim::write_file_atomically(o.out, traces::graph_to_text(imported.graph, metadata));
  out << "wrote " << o.out << ": rank " << trace.rank << " of " << trace.world_size << ", "
      << imported.graph.tasks.size() << " tasks, " << imported.steps << " step(s) of "
      << line_of("%.2f ms", imported.measured_step_s * kMs) << " measured\n";
  print_import(imported, out);
}

}  // namespace

void add_trace_commands(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<TraceOptions>();
  CLI::App* trace =
      app.add_subcommand("trace", "Real traces (PyTorch profiler / Kineto JSON, plain or gzip)");
  trace->require_subcommand(1);
  CLI::App* info_command = trace->add_subcommand(
      "info", "Steps, GPU work by kernel class and stream, collectives; --system replays");
  info_command->add_option("file", options->file, "Kineto trace (.json or .json.gz)")->required();
  info_command->add_option("--system", options->system, "Replay on this system and compare step times");
  info_command->add_option("--profiles", options->profiles, kProfileDirHelp);
  info_command->add_flag("--measured-comm", options->measured_comm,
                         "NCCL kernels keep their measured times (default: the network model prices them)");
  info_command->callback([&out, options] { info(*options, out); });
  CLI::App* import_command = trace->add_subcommand("import", "Write the trace as an execution-graph file");
  import_command->add_option("file", options->file, "Kineto trace (.json or .json.gz)")->required();
  import_command->add_option("-o,--out", options->out, "Graph file to write (strata replay reads it)")
      ->required();
  import_command->add_flag("--measured-comm", options->measured_comm,
                           "NCCL kernels keep their measured times (default: the network model prices them)");
  import_command->callback([&out, options] { import(*options, out); });
}

}  // namespace strata::tools
