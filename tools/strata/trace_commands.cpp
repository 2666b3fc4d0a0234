// `strata trace info FILE [--system NAME]`: what a PyTorch profiler (Kineto) trace holds (rank, steps, GPU
// work by kernel class and by stream, collectives by group and size) and, with --system, how closely
// replaying it on that system reproduces its own step time. `strata trace import FILE -o graph.json`: the
// trace as an execution-graph file for `strata replay`. Both take --measured-comm (NCCL kernels keep their
// measured times instead of the network model's).
#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "sim/atomic_file.hpp"
#include "sim/error.hpp"
#include "strata/commands.hpp"
#include "strata/network_options.hpp"
#include "strata/profile_location.hpp"
#include "traces/chakra/chakra_import.hpp"
#include "traces/critical_path.hpp"
#include "traces/data_parallel_scaling.hpp"
#include "traces/gpu_retarget.hpp"
#include "traces/graph_file.hpp"
#include "traces/kineto/kernel_classes.hpp"
#include "traces/kineto/kineto_import.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace strata::tools {
namespace {

struct TraceOptions {
  std::vector<std::string> files;
  int world_size = 0;
  std::string out;
  std::string system;
  std::string profiles;
  std::string recorded_on;
  int dp = 0;  // 0: as traced
  NetworkOptions network;
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
                             std::to_string(k.group_size) + " ranks" +
                             (k.group_description.empty() ? "" : " (" + k.group_description + ")")];
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
  if (imported.gemm_kernels > 0)
    out << "    " << imported.gemm_kernels_with_shape << " of " << imported.gemm_kernels
        << " GEMM kernels with their operator's shapes (launched by aten::mm, addmm, bmm or baddbmm recorded "
           "with shapes)\n";
}

// Which reader a trace takes, from its (decompressed) first bytes: a Kineto trace is JSON text; anything else
// is read as a Chakra execution trace.
constexpr std::string_view kJsonStarts = "{[";
bool is_json(const std::string& bytes) {
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string::npos && kJsonStarts.find(bytes[first]) != std::string_view::npos;
}

struct Loaded {
  models::ExecutionGraph graph;
  std::int64_t steps = 1;
  double measured_step_s = 0;  // 0: the trace carries no step time (Chakra)
  std::string device;          // the traced GPU's CUDA name, where the trace records it
  nlohmann::json metadata;
};

Loaded load_kineto(const TraceOptions& o, std::streambuf& text, std::ostream* describe) {
  if (o.files.size() != 1) {
    throw sim::InputError("command line", "FILE",
                          "one Kineto trace at a time (the rank it traced; the job's others are taken as "
                          "symmetric), found " +
                              std::to_string(o.files.size()));
  }
  if (o.world_size > 0)
    throw sim::InputError("command line", "--world-size",
                          "has no effect on a Kineto trace: it records its job's");
  const std::string& file = o.files.front();
  const traces::KinetoTrace trace = traces::read_kineto_trace(text, file);
  traces::KinetoImport imported = traces::import_kineto(trace, {o.measured_comm});
  if (describe != nullptr) {
    std::ostream& out = *describe;
    out << "trace " << file << ": rank " << trace.rank << " of " << trace.world_size
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
                     static_cast<long long>(imported.steps),
                     static_cast<long long>(trace.steps.front().number),
                     static_cast<long long>(trace.steps.back().number), imported.measured_step_s * kMs,
                     shortest / kMs, longest / kMs);
    }
    print_work(trace, imported, out);
    print_import(imported, out);
  }
  Loaded loaded;
  loaded.device = trace.device;
  loaded.steps = imported.steps;
  loaded.measured_step_s = imported.measured_step_s;
  loaded.metadata = {{"strategy", std::filesystem::path(file).filename().string()},
                     {"source", file},
                     {"importer", "kineto"},
                     {"device", trace.device},
                     {"rank", trace.rank},
                     {"world_size", trace.world_size},
                     {"measured_comm", o.measured_comm},
                     {"steps", imported.steps},
                     {"measured_step_time_s", imported.measured_step_s}};
  loaded.graph = std::move(imported.graph);
  return loaded;
}

Loaded load_chakra(const TraceOptions& o, std::ostream* describe) {
  if (o.measured_comm)
    throw sim::InputError("command line", "--measured-comm",
                          "has no effect on Chakra traces: collectives with comm_type and comm_size are "
                          "priced by the network model, the others keep their durations");
  std::vector<traces::ChakraTrace> ranks;
  for (std::size_t i = 0; i < o.files.size(); ++i) {
    const std::string bytes = traces::read_maybe_gzip_file(o.files[i]);
    if (is_json(bytes))
      throw sim::InputError(o.files[i], "", "a JSON file among Chakra traces: give one Kineto trace alone");
    ranks.push_back(traces::parse_chakra_trace(bytes, o.files[i]));
  }
  traces::ChakraImport imported = traces::import_chakra(ranks, {o.world_size});
  if (describe != nullptr) {
    std::ostream& out = *describe;
    const int world = imported.graph.gpu_count();
    out << "Chakra trace" << (ranks.size() > 1 ? "s" : "") << ": " << ranks.size() << " rank(s) of " << world
        << ", schema " << (ranks.front().version.empty() ? "unknown" : ranks.front().version) << "\n";
    for (const traces::ChakraTrace& rank : ranks) {
      std::map<int, std::int64_t> by_type;
      for (const traces::ChakraNode& node : rank.nodes) ++by_type[node.type];
      out << "  " << rank.source << ": " << rank.nodes.size() << " nodes (";
      const char* kTypeNames[] = {"invalid", "metadata", "mem_load", "mem_store",
                                  "comp",    "send",     "recv",     "coll"};
      bool first = true;
      for (const auto& [type, count] : by_type) {
        out << (first ? "" : ", ") << count << " "
            << (type >= 0 && type < 8 ? kTypeNames[type] : ("type " + std::to_string(type)).c_str());
        first = false;
      }
      out << ")\n";
    }
    std::map<std::string, std::int64_t> collectives;
    for (const models::Task& task : imported.graph.tasks)
      if (task.type == models::TaskType::kCollective)
        ++collectives[std::string(models::collective_op_name(task.collective.op)) + " of " +
                      std::to_string(task.collective.bytes) + " bytes"];
    for (const auto& [what, count] : collectives) out << "  " << count << " x " << what << "\n";
    out << "  imported: " << imported.graph.tasks.size() << " tasks on " << imported.graph.streams.size()
        << " streams; " << imported.modelled_collectives << " collectives and " << imported.modelled_transfers
        << " sends/receives priced by the network model\n";
    for (const auto& [reason, count] : imported.measured_communication)
      out << "    " << count << " measured: " << reason << "\n";
    if (imported.absent_dependencies > 0)
      out << "    " << imported.absent_dependencies
          << " dependencies on nodes the trace does not have, dropped (e.g. the process root Chakra's "
             "converter leaves out)\n";
  }
  Loaded loaded;
  nlohmann::json sources = nlohmann::json::array();
  for (const std::string& file : o.files) sources.push_back(file);
  loaded.metadata = {{"strategy", std::filesystem::path(o.files.front()).filename().string()},
                     {"source", sources},
                     {"importer", "chakra"},
                     {"schema", ranks.front().version}};
  loaded.graph = std::move(imported.graph);
  return loaded;
}

Loaded load(const TraceOptions& o, std::ostream* describe) {
  // A Kineto trace streams (it may be gigabytes); Chakra traces are read whole (protobuf).
  const std::unique_ptr<traces::MaybeGzipStreambuf> text = traces::open_maybe_gzip_file(o.files.front());
  if (text->starts_with_one_of(kJsonStarts)) return load_kineto(o, *text, describe);
  return load_chakra(o, describe);
}

// What-if on another GPU (traces/gpu_retarget.hpp): the kernels measured on the trace's GPU (--recorded-on,
// or the profile its device name matches) re-timed for `target`. Says what it did, or why it did nothing.
void retarget(Loaded& loaded, const TraceOptions& o, const models::ProfileCatalog& profiles,
              const models::GpuProfile& target, std::ostream& out) {
  std::optional<std::string> recorded =
      o.recorded_on.empty() ? traces::gpu_profile_for_device(loaded.device, profiles.gpu_names())
                            : std::optional<std::string>(o.recorded_on);
  if (!recorded) {
    out << "  the trace's GPU "
        << (loaded.device.empty() ? "is not recorded" : "\"" + loaded.device + "\" matches no GPU profile")
        << ": its kernels keep their measured times (--recorded-on GPU re-times them for " << target.name
        << ")\n";
    return;
  }
  if (*recorded == target.name) return;
  const models::GpuProfile from = profiles.gpu(*recorded);
  const traces::GpuRetarget report = traces::retarget_measured_kernels(loaded.graph, from, target);
  out << "  kernels re-timed from " << from.name << " to " << target.name
      << " (a flat ratio per class; GEMMs with their operator's shapes by the GEMM model):\n";
  for (const auto& [kind, entry] : report.by_class) {
    out << line_of("    %-14s %7lld kernels x%.3f  %10.2f ms -> %.2f ms\n",
                   std::string(traces::kKernelClassNames.name(kind)).c_str(),
                   static_cast<long long>(entry.kernels), entry.time_ratio, entry.measured_s * kMs,
                   entry.retimed_s * kMs);
    if (entry.from_shapes > 0)
      out << line_of("      %lld of them from their shapes: %.3f ms -> %.3f ms (x%.3f)\n",
                     static_cast<long long>(entry.from_shapes), entry.shapes_measured_s * kMs,
                     entry.shapes_retimed_s * kMs, entry.shapes_retimed_s / entry.shapes_measured_s);
  }
  for (const auto& [dtype, count] : report.shapes_without_calibration)
    out << "      " << count << " with shapes in " << dtype << " at the flat ratio: " << from.name << " or "
        << target.name << " calibrates no " << dtype << " GEMM efficiency\n";
  if (report.unchanged_host_copies + report.unchanged_communication > 0)
    out << "    unchanged: " << report.unchanged_host_copies << " host-device copies, "
        << report.unchanged_communication << " NCCL kernels at their measured time; all host work\n";
  loaded.metadata["retimed_from_gpu"] = from.name;
  loaded.metadata["retimed_for_gpu"] = target.name;
}

void info(const TraceOptions& o, std::ostream& out) {
  if (!o.recorded_on.empty() && o.system.empty())
    throw sim::InputError("command line", "--recorded-on",
                          "has no effect without --system: nothing is re-timed");
  if (o.dp > 0 && o.system.empty())
    throw sim::InputError("command line", "--dp", "has no effect without --system: nothing is replayed");
  if (!o.network.empty() && o.system.empty())
    throw sim::InputError("command line", o.network.nic_bandwidth.empty() ? "--nccl-algo" : "--nic-bandwidth",
                          "has no effect without --system: nothing is replayed");
  Loaded loaded = load(o, &out);
  if (o.system.empty()) {
    out << "  (--system NAME replays it"
        << (loaded.measured_step_s > 0 ? " and compares the step time with the trace's" : "") << ")\n";
    return;
  }
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  models::SystemProfile system = profiles.system(o.system);
  const models::GpuProfile gpu = profiles.gpu(system.gpu);
  retarget(loaded, o, profiles, gpu, out);
  if (o.dp > 0) {
    const traces::DataParallelScaling scaling = traces::scale_data_parallel(loaded.graph, o.dp);
    out << "  data-parallel groups: " << scaling.from_gpus << " -> " << scaling.to_gpus << " GPUs, the job "
        << scaling.job_from_gpus << " -> " << scaling.job_to_gpus << " GPUs (" << scaling.groups
        << " group(s), " << scaling.collectives << " collective(s))\n";
  }
  out << apply_network_options(system, o.network, loaded.graph);
  traces::ReplayWithCriticalPath replay;
  try {
    replay = traces::replay_with_critical_path(loaded.graph, gpu, system);
  } catch (const sim::OverflowError& error) {
    throw sim::InputError(o.files.front(), "",
                          std::string(error.what()) + ": the trace's work would outlast simulated time (" +
                              sim::SimTime::max().to_string() + ")");
  }
  const double steps = static_cast<double>(loaded.steps);
  const double replayed = replay.result.makespan.seconds() / steps;
  if (loaded.measured_step_s > 0) {
    out << line_of("  replay on %s: %.2f ms per step, measured %.2f ms (on the trace's GPU): %+.1f%%\n",
                   system.name.c_str(), replayed * kMs, loaded.measured_step_s * kMs,
                   100.0 * (replayed - loaded.measured_step_s) / loaded.measured_step_s);
  } else {
    out << line_of("  replay on %s: %.3f ms\n", system.name.c_str(), replayed * kMs);
  }
  out << "  critical path of the replay (what the step waited on), per step:\n";
  for (const traces::CriticalPathPart& part : replay.critical_path)
    out << line_of("    %-32s %10.3f ms %5.1f%%  (%lld tasks)\n", part.what.c_str(),
                   part.seconds / steps * kMs, 100.0 * part.seconds / replay.result.makespan.seconds(),
                   static_cast<long long>(part.tasks));
}

void import(const TraceOptions& o, std::ostream& out) {
  const Loaded loaded = load(o, nullptr);
  sim::write_file_atomically(o.out, traces::graph_to_text(loaded.graph, loaded.metadata));
  out << "wrote " << o.out << ": " << loaded.graph.ranks << " rank(s) for " << loaded.graph.gpu_count()
      << " GPUs, " << loaded.graph.tasks.size() << " tasks";
  if (loaded.measured_step_s > 0)
    out << ", " << loaded.steps << " step(s) of " << line_of("%.2f ms", loaded.measured_step_s * kMs)
        << " measured";
  out << "\n";
}

}  // namespace

constexpr const char* kFilesHelp =
    "A Kineto trace (.json or .json.gz, one rank) or Chakra execution traces (.et, one per rank)";
constexpr const char* kWorldSizeHelp =
    "Chakra: GPUs of the job when the traces given are some of its ranks (default: one per trace)";

void add_trace_commands(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<TraceOptions>();
  CLI::App* trace = app.add_subcommand(
      "trace", "Real traces: PyTorch profiler (Kineto JSON, plain or gzip) and Chakra execution traces");
  trace->require_subcommand(1);
  CLI::App* info_command = trace->add_subcommand(
      "info", "Steps, GPU work by kernel class and stream, collectives; --system replays");
  info_command->add_option("files", options->files, kFilesHelp)->required();
  info_command->add_option("--world-size", options->world_size, kWorldSizeHelp)
      ->check(CLI::Range(1, 1'000'000));
  info_command->add_option("--system", options->system, "Replay on this system and compare step times");
  info_command->add_option("--profiles", options->profiles, kProfileDirHelp);
  info_command->add_option(
      "--recorded-on", options->recorded_on,
      "GPU profile the trace was recorded on (default: the one its device name matches); "
      "with --system on another GPU, kernels are re-timed for it");
  info_command
      ->add_option(
          "--dp", options->dp,
          "With --system: the job's data-parallel groups (over every GPU, or described as data-parallel) "
          "get this many GPUs, and its collectives are priced at that scale")
      ->check(CLI::Range(1, 1'000'000));
  add_network_options(*info_command, options->network);
  info_command->add_flag("--measured-comm", options->measured_comm,
                         "NCCL kernels keep their measured times (default: the network model prices them)");
  info_command->callback([&out, options] { info(*options, out); });
  CLI::App* import_command = trace->add_subcommand("import", "Write the trace as an execution-graph file");
  import_command->add_option("files", options->files, kFilesHelp)->required();
  import_command->add_option("--world-size", options->world_size, kWorldSizeHelp)
      ->check(CLI::Range(1, 1'000'000));
  import_command->add_option("-o,--out", options->out, "Graph file to write (strata replay reads it)")
      ->required();
  import_command->add_flag("--measured-comm", options->measured_comm,
                           "NCCL kernels keep their measured times (default: the network model prices them)");
  import_command->callback([&out, options] { import(*options, out); });
}

}  // namespace strata::tools
