// `strata calibrate`: measure this node and write a profile; `import-nccl-tests`: nccl-tests logs to
// collective curves; `diff`: where two profiles differ. See README, "Calibrate on your node".
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "calibration/fit/curve_document.hpp"
#include "calibration/fit/gpu_fit.hpp"
#include "calibration/fit/profile_writer.hpp"
#include "calibration/nccl_tests/nccl_tests_import.hpp"
#include "calibration/probe_plan.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/hardware/profile_reader.hpp"
#include "sim/atomic_file.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"
#include "sim/json_text.hpp"
#include "sim/text_file.hpp"
#include "strata/commands.hpp"
#include "strata/profile_fields.hpp"
#include "strata/profile_location.hpp"

namespace strata::tools {
namespace {

namespace fs = std::filesystem;

struct CalibrateOptions {
  std::string profiles;
  std::string out = "calibrated/gpus/calibrated-gpu.json";
  std::string system_name;
  std::string base_gpu;
  bool quick = false;
  bool dry_run = false;
  std::vector<std::string> logs;
  std::string import_out;
  std::string op;
  int gpus = 0;
  bool in_place = false;
  std::string diff_a, diff_b;
};

// Where this build put the CUDA probe binary; empty when the toolkit was missing at build time.
std::string probe_binary() {
#ifdef STRATA_PROBE_BINARY
  return STRATA_PROBE_BINARY;
#else
  return "";
#endif
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void print_plan(const calibration::ProbePlan& plan, const CalibrateOptions& options, std::ostream& out) {
  std::set<std::string> dtypes;
  for (const auto& c : plan.gemm) dtypes.insert(std::string(models::dtype_name(c.dtype)));
  std::string dtype_list;
  for (const auto& d : dtypes) dtype_list += (dtype_list.empty() ? "" : ", ") + d;
  const auto range = [](const std::vector<sim::Bytes>& sizes) {
    return std::to_string(sizes.size()) + " sizes, " + sizes.front().to_string() + " .. " +
           sizes.back().to_string();
  };
  out << "strata calibrate plan" << (plan.quick ? " (quick)" : "") << ": " << plan.warmup << " warm-up and "
      << plan.repeats << " timed runs per point, CUDA events, median/min/max reported\n"
      << "  gemm        cuBLASLt, " << plan.gemm.size() << " cases: " << dtype_list
      << " (fp8 where the GPU supports it); squares and transformer shapes\n"
      << "  attention   cuDNN SDPA forward and backward, bf16, non-causal, batch " << plan.attention_batch
      << " x " << plan.attention_heads << " heads, seq " << plan.attention_seq_lens.front() << ".."
      << plan.attention_seq_lens.back()
      << ", head dim 64/128 (needs cuDNN 9.19+ at build time, else reported missing)\n"
      << "  memory      copy/read/write/triad kernels, " << range(plan.memory_sizes)
      << "; empty-kernel launch overhead\n"
      << "  host        pinned and pageable H2D/D2H, peer-to-peer between local GPUs, "
      << range(plan.host_sizes) << "\n"
      << "  nccl        all-reduce, all-gather, reduce-scatter, all-to-all, broadcast, send-recv over all "
         "local GPUs, "
      << range(plan.nccl_sizes) << " (single process; multi-node needs an MPI build)\n";
  const std::string binary = probe_binary();
  out << "  probe       "
      << (binary.empty() ? "not built (CUDA toolkit not found when Strata was built)" : binary) << "\n"
      << "  base GPU    "
      << (options.base_gpu.empty() ? "(--base-gpu NAME required for a real run)" : options.base_gpu) << "\n"
      << "  writes      " << options.out
      << " (GPU profile), its .measurements.json (raw) and .collectives.json (NCCL curves)\n";
}

fs::path sibling(const fs::path& profile, const std::string& suffix) {
  fs::path result = profile;
  result.replace_extension();
  result += suffix;
  return result;
}

void run_calibration(const CalibrateOptions& options, std::ostream& out) {
  const calibration::ProbePlan plan = calibration::make_probe_plan(options.quick);
  if (options.dry_run) {
    print_plan(plan, options, out);
    return;
  }
  const std::string binary = probe_binary();
  if (binary.empty()) {
    throw sim::InputError("strata calibrate", "",
                          "this build has no CUDA probes: the CUDA toolkit was not found when "
                          "Strata was built; install it (nvcc, cuBLAS, NCCL) and rebuild, or use --dry-run");
  }
  if (options.base_gpu.empty())
    throw sim::InputError("command line", "--base-gpu",
                          "name the shipped GPU profile to calibrate (strata hw list)");
  const fs::path out_path = options.out;
  if (out_path.extension() != ".json")
    throw sim::InputError("command line", "--out", "the profile file must end in .json");
  const models::ProfileCatalog catalog(resolve_profile_dir(options.profiles));
  const models::GpuProfile base = catalog.gpu(options.base_gpu);

  const fs::path scratch = fs::temp_directory_path() / ("strata-calibrate-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  sim::write_file_atomically(scratch / "plan.json", sim::json_text(calibration::probe_plan_json(plan), 1));
  const std::string command = shell_quote(binary) + " --plan " +
                              shell_quote((scratch / "plan.json").string()) + " --out " +
                              shell_quote((scratch / "measurements.json").string());
  out << "running " << command << "\n" << std::flush;
  const int status = std::system(command.c_str());
  if (status != 0) {
    fs::remove_all(scratch);
    const std::string how = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                              : "status " + std::to_string(status);
    throw sim::InputError("strata calibrate", "",
                          "the probe failed (" + how + "); its message is above. Nothing was written.");
  }
  const std::string raw = sim::read_text_file(scratch / "measurements.json");
  fs::remove_all(scratch);
  const nlohmann::json measurements =
      sim::parse_json_text(raw, sibling(out_path, ".measurements.json").string());
  const models::GpuProfile gpu = calibration::fit_gpu_profile(
      base, measurements, sibling(out_path, ".measurements.json").filename().string(),
      out_path.stem().string());
  // NCCL rows -> collective curves (same document as import-nccl-tests).
  nlohmann::json curves = nlohmann::json::array();
  const nlohmann::json nccl = measurements.value("nccl", nlohmann::json::object());
  if (nccl.value("status", "") == "ok") {
    std::map<std::string, calibration::CurveSamples> by_op;
    for (const auto& row : nccl.value("rows", nlohmann::json::array())) {
      const auto op = models::collective_op_from_name(row.value("op", ""));
      if (!op) continue;
      calibration::CurveSamples& samples = by_op[row.value("op", "")];
      samples.op = *op;
      samples.gpus = nccl.value("gpus", 0);
      samples.device = measurements["environment"].value("gpu_name", "");
      samples.placement = "out-of-place";
      samples.origin = calibration::probe_provenance(
          measurements, sibling(out_path, ".measurements.json").filename().string());
      samples.busbw_by_size[row.value("size_bytes", std::int64_t{0})].push_back(row.value("busbw_GBps", 0.0));
      samples.raw.push_back(row);
    }
    for (const auto& [name, samples] : by_op) curves.push_back(calibration::curve_json(samples));
  }
  // Everything is computed: now write, each file atomically.
  sim::write_file_atomically(sibling(out_path, ".measurements.json"), raw);
  if (!curves.empty()) {
    sim::write_file_atomically(sibling(out_path, ".collectives.json"),
                               sim::json_text(calibration::curves_document(curves), 1) + "\n");
  }
  sim::write_file_atomically(out_path, sim::json_text(calibration::gpu_profile_json(gpu), 2) + "\n");
  out << "wrote " << out_path.string() << " (use it with --profiles "
      << out_path.parent_path().parent_path().string() << ")\n";
}

void import_logs(const CalibrateOptions& options, std::ostream& out) {
  calibration::NcclTestsImportOptions import;
  if (!options.op.empty()) {
    import.op = models::collective_op_from_name(options.op);
    if (!import.op)
      throw sim::InputError("command line", "--op", "unknown collective \"" + options.op + "\"");
  }
  if (options.gpus > 0) import.gpus = options.gpus;
  import.in_place = options.in_place;
  std::vector<calibration::NcclTestsLog> logs;
  for (const std::string& path : options.logs) logs.push_back({path, sim::read_text_file(path)});
  const nlohmann::json document = calibration::import_nccl_tests(logs, import);
  sim::write_file_atomically(options.import_out, sim::json_text(document, 1) + "\n");
  for (const auto& curve : document["curves"]) {
    out << curve["op"].get<std::string>() << " on " << curve["gpus"].get<int>() << " GPUs: peak busbw "
        << curve["peak_busbw"]["value"].get<std::string>() << ", " << curve["size_ramp"]["value"].size()
        << " ramp points\n";
  }
  out << "wrote " << options.import_out << "\n";
}

std::vector<Field> load_fields(const std::string& path, std::string& kind) {
  const nlohmann::json document = sim::read_json_file(path);
  kind = document.is_object() ? document.value("kind", "") : "";
  if (kind == "gpu") return describe(models::read_gpu_profile(path));
  if (kind == "system") return describe(models::read_system_profile(path));
  throw sim::InputError(path, "/kind", "expected a GPU or system profile (\"kind\": \"gpu\" or \"system\")");
}

void diff_profiles(const CalibrateOptions& options, std::ostream& out) {
  std::string kind_a, kind_b;
  const std::vector<Field> a = load_fields(options.diff_a, kind_a);
  const std::vector<Field> b = load_fields(options.diff_b, kind_b);
  if (kind_a != kind_b)
    throw sim::InputError(options.diff_b, "/kind",
                          "is a " + kind_b + " profile, " + options.diff_a + " a " + kind_a + " one");
  std::map<std::string, const Field*> in_b;
  for (const Field& f : b) in_b[f.key] = &f;
  int differences = 0;
  char row[256];
  std::snprintf(row, sizeof row, "%-32s %-20s %-20s %s\n", "key", options.diff_a.c_str(),
                options.diff_b.c_str(), "change");
  out << row;
  for (const Field& f : a) {
    const auto other = in_b.find(f.key);
    if (other == in_b.end()) {
      std::snprintf(row, sizeof row, "%-32s %-20s %-20s %s\n", f.key.c_str(), f.value.c_str(), "-",
                    "only in first");
      out << row;
      ++differences;
      continue;
    }
    const Field& g = *other->second;
    in_b.erase(other);
    const bool same_value = f.number && g.number ? *f.number == *g.number : f.value == g.value;
    if (same_value) continue;
    std::string change = "changed";
    if (f.number && g.number && *f.number != 0) {
      char percent[32];
      std::snprintf(percent, sizeof percent, "%+.1f%%",
                    (*g.number - *f.number) / std::fabs(*f.number) * 100.0);
      change = percent;
    }
    std::snprintf(row, sizeof row, "%-32s %-20s %-20s %s\n", f.key.c_str(), f.value.c_str(), g.value.c_str(),
                  change.c_str());
    out << row;
    ++differences;
  }
  for (const auto& [key, field] : in_b) {
    std::snprintf(row, sizeof row, "%-32s %-20s %-20s %s\n", key.c_str(), "-", field->value.c_str(),
                  "only in second");
    out << row;
    ++differences;
  }
  out << differences << (differences == 1 ? " difference\n" : " differences\n");
}

}  // namespace

void add_calibrate_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<CalibrateOptions>();
  CLI::App* calibrate =
      app.add_subcommand("calibrate", "Measure this node with CUDA/NCCL probes and write a profile");
  calibrate->require_subcommand(0, 1);
  calibrate->add_option("--out", options->out, "GPU profile to write (its name is the file name)")
      ->capture_default_str();
  calibrate->add_option("--system-name", options->system_name, "A label for this node in the provenance");
  calibrate->add_option("--base-gpu", options->base_gpu,
                        "Shipped GPU profile whose datasheet values to keep");
  calibrate->add_option("--profiles", options->profiles, "Profile directory for --base-gpu");
  calibrate->add_flag("--quick", options->quick, "Fewer sizes and repeats");
  calibrate->add_flag("--dry-run", options->dry_run, "Print the plan; needs no GPU");
  calibrate->final_callback([calibrate, &out, options] {
    if (calibrate->get_subcommands().empty()) run_calibration(*options, out);
  });

  CLI::App* import =
      calibrate->add_subcommand("import-nccl-tests", "nccl-tests logs -> collective curves (JSON)");
  import->add_option("logs", options->logs, "nccl-tests output files")->required()->check(CLI::ExistingFile);
  import->add_option("--out", options->import_out, "Curves file to write")->required();
  import->add_option("--op", options->op, "Collective, for logs that do not name it");
  import->add_option("--gpus", options->gpus, "GPU count, for logs without rank lines")
      ->check(CLI::Range(1, 1'000'000));
  import->add_flag("--in-place", options->in_place, "Fit the in-place columns (default: out-of-place)");
  import->callback([&out, options] { import_logs(*options, out);
});

CLI::App* diff = calibrate->add_subcommand("diff", "Where two profiles differ, and by how much");
diff->add_option("first", options->diff_a, "Profile file")->required();
diff->add_option("second", options->diff_b, "Profile file")->required();
diff->callback([&out, options] { diff_profiles(*options, out); });
}  // namespace strata::tools

}  // namespace strata::tools
