#include "calibration/fit/gpu_fit.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace strata::calibration {
namespace {

std::string text_or(const nlohmann::json& object, const char* key, const char* fallback) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : fallback;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

}  // namespace

std::string probe_provenance(const nlohmann::json& measurements, const std::string& source) {
  const nlohmann::json environment = measurements.value("environment", nlohmann::json::object());
  return "probe: " + text_or(environment, "gpu_name", "unknown GPU") + " x" +
         std::to_string(environment.value("gpu_count", 0)) + ", driver " + text_or(environment, "driver_version", "?") +
         ", CUDA " + text_or(environment, "cuda_runtime_version", "?") + ", cuBLAS " +
         text_or(environment, "cublas_version", "?") + ", NCCL " + text_or(environment, "nccl_version", "?") + ", " +
         text_or(environment, "date", "undated") + " (raw: " + source + ")";
}

models::GpuProfile fit_gpu_profile(const models::GpuProfile& base, const nlohmann::json& measurements,
                                   const std::string& source, const std::string& name) {
  const sim::JsonLocation root{source, ""};
  sim::JsonObjectReader reader(measurements, root);
  if (reader.required_integer("strata_measurements", 1, 1) != 1) root.fail("unsupported measurements version");
  const std::string provenance = probe_provenance(measurements, source);
  models::GpuProfile gpu = base;
  gpu.name = name;
  gpu.display_name = base.display_name + " (calibrated)";

  // GEMM: best rate per dtype.
  std::map<models::Dtype, double> best_tflops;
  std::map<models::Dtype, int> shapes;
  if (const nlohmann::json* gemm = reader.optional("gemm")) {
    const auto& rows = sim::json_array(*gemm, root.child("gemm"));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const sim::JsonLocation at = root.child("gemm").child(i);
      sim::JsonObjectReader row(rows[i], at);
      const std::string dtype_name = row.required_string("dtype");
      const auto dtype = models::dtype_from_name(dtype_name);
      if (!dtype) at.child("dtype").fail("unknown dtype \"" + dtype_name + "\"");
      if (row.optional_string("status").value_or("ok") != "ok") continue;  // e.g. fp8 on a GPU without it
      const double tflops = sim::json_number(row.required("tflops"), at.child("tflops"));
      best_tflops[*dtype] = std::max(best_tflops[*dtype], tflops);
      ++shapes[*dtype];
    }
  }
  for (const auto& [dtype, tflops] : best_tflops) {
    if (!gpu.peak_flops.contains(dtype)) continue;  // no datasheet peak to relate it to
    const double peak = gpu.peak(dtype).tflops_per_s();
    if (tflops > peak * 1.02) {
      root.child("gemm").fail(std::string(models::dtype_name(dtype)) + " GEMM measured at " + number(tflops) +
                              " TFLOP/s, above the base profile's peak of " + number(peak) +
                              " TFLOP/s: wrong base profile?");
    }
    gpu.gemm_max_efficiency[dtype] = {std::min(1.0, tflops / peak), provenance + ": best of " + std::to_string(shapes[dtype]) +
                                                                         " shapes " + number(tflops) + " / " + number(peak) + " TFLOP/s"};
  }

  // Memory: best large copy or triad.
  double best_gbps = 0;
  if (const nlohmann::json* memory = reader.optional("memory")) {
    const auto& rows = sim::json_array(*memory, root.child("memory"));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const sim::JsonLocation at = root.child("memory").child(i);
      const std::string kernel = sim::json_string(rows[i].value("kernel", nlohmann::json()), at.child("kernel"));
      const double bytes = sim::json_number(rows[i].value("bytes", nlohmann::json()), at.child("bytes"));
      if ((kernel == "copy" || kernel == "triad") && bytes >= double(std::int64_t{256} << 20)) {
        best_gbps = std::max(best_gbps, sim::json_number(rows[i].value("GBps", nlohmann::json()), at.child("GBps")));
      }
    }
  }
  if (best_gbps > 0) {
    const double datasheet = gpu.memory_bandwidth.value.gb_per_s();
    if (best_gbps > datasheet * 1.02) {
      root.child("memory").fail("measured " + number(best_gbps) + " GB/s, above the datasheet " + number(datasheet) + " GB/s");
    }
    gpu.memory_efficiency = {std::min(1.0, best_gbps / datasheet),
                             provenance + ": best copy/triad " + number(best_gbps) + " / " + number(datasheet) + " GB/s"};
  }

  if (const nlohmann::json* launch = reader.optional("launch_overhead_us")) {
    const double median = sim::json_number(launch->value("median", nlohmann::json()), root.child("launch_overhead_us").child("median"));
    gpu.kernel_launch_overhead = {sim::SimTime::from_seconds(median * 1e-6), provenance + ": median empty-kernel launch"};
  }
  return gpu;
}

}  // namespace strata::calibration
