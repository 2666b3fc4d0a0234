#include "calibration/fit/gpu_fit.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "models/cost/compute_cost.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace strata::calibration {
namespace {

// Inverts compute_cost.hpp's GEMM compute time, waves x (2 tile_m tile_n k / (peak x efficiency / SMs) + t0),
// for the efficiency that reproduces a measured rate. A shape measured no slower than its tile overheads
// alone says nothing about the rate: 0.
double implied_gemm_efficiency(const models::GpuProfile& gpu, const models::GemmShape& shape,
                               models::Dtype dtype, double tflops) {
  const std::int64_t sms = gpu.sm_count.value;
  const models::GemmTile tile = gpu.gemm_tile.value;
  const std::int64_t tiles = ((shape.m + tile.m - 1) / tile.m) * ((shape.n + tile.n - 1) / tile.n);
  const double waves = static_cast<double>((tiles + sms - 1) / sms);
  const double measured_s = shape.flops() / (tflops * 1e12);
  const double per_wave_s = measured_s / waves - gpu.gemm_tile_overhead.value.seconds();
  if (per_wave_s <= 0) return 0.0;
  const double per_sm_rate = 2.0 * tile.m * tile.n * static_cast<double>(shape.k) / per_wave_s;
  return per_sm_rate * static_cast<double>(sms) / gpu.peak(dtype).flops_per_s();
}

std::string text_or(const nlohmann::json& object, const char* key, const char* fallback) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : fallback;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

// Fused attention: for each measured case (batch, heads, seq, head dim) with both passes, the efficiency at
// which models/cost/compute_cost.hpp's fused_attention_time reproduces forward plus backward time:
// (forward + backward FLOPs) / (forward + backward time) / bf16 peak. The model takes one efficiency for all
// lengths, so the fit is the median over the cases; the spread goes into the provenance. 0 when no case has
// both passes measured (the base profile's value stays).
struct AttentionFit {
  double efficiency = 0;
  std::string summary;
};

AttentionFit fit_attention(const models::GpuProfile& gpu, const nlohmann::json& attention,
                           const sim::JsonLocation& at) {
  sim::JsonObjectReader reader(attention, at);
  if (reader.required_string("status") != "ok") return {};
  const auto& rows = sim::json_array(reader.required("rows"), at.child("rows"));
  std::map<std::string, std::pair<double, double>> flops_and_seconds;  // per case, both passes added
  std::map<std::string, int> passes;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const sim::JsonLocation where = at.child("rows").child(i);
    sim::JsonObjectReader row(rows[i], where);
    if (row.optional_string("status").value_or("ok") != "ok") continue;
    const std::string pass = row.required_string("pass");
    if (pass != "forward" && pass != "backward")
      where.child("pass").fail("expected \"forward\" or \"backward\"");
    std::string key;
    for (const char* dimension : {"batch", "heads", "seq_len", "head_dim"}) {
      key += std::to_string(row.required_integer(dimension, 1, 1'000'000'000)) + "/";
    }
    const double flops = row.required_number("flops");
    const double median_us = row.required_number("median_us");
    if (!(flops > 0) || !(median_us > 0)) where.fail("flops and median_us must be positive");
    flops_and_seconds[key].first += flops;
    flops_and_seconds[key].second += median_us * 1e-6;
    ++passes[key];
  }
  std::vector<double> efficiencies;
  for (const auto& [key, sums] : flops_and_seconds) {
    if (passes[key] != 2) continue;
    efficiencies.push_back(sums.first / sums.second / gpu.peak(models::Dtype::kBf16).flops_per_s());
  }
  if (efficiencies.empty()) return {};
  std::sort(efficiencies.begin(), efficiencies.end());
  const std::size_t n = efficiencies.size();
  AttentionFit fit;
  fit.efficiency = n % 2 == 1 ? efficiencies[n / 2] : 0.5 * (efficiencies[n / 2 - 1] + efficiencies[n / 2]);
  if (fit.efficiency > 1.02) {
    at.fail("fused attention measured at " + number(fit.efficiency) +
            " of the bf16 peak: wrong base profile?");
  }
  fit.summary = "median of " + std::to_string(n) + " cases, forward + backward, non-causal (range " +
                number(efficiencies.front()) + " to " + number(efficiencies.back()) + ")";
  return fit;
}

}  // namespace

std::string probe_provenance(const nlohmann::json& measurements, const std::string& source) {
  const nlohmann::json environment = measurements.value("environment", nlohmann::json::object());
  return "probe: " + text_or(environment, "gpu_name", "unknown GPU") + " x" +
         std::to_string(environment.value("gpu_count", 0)) + ", driver " +
         text_or(environment, "driver_version", "?") + ", CUDA " +
         text_or(environment, "cuda_runtime_version", "?") + ", cuBLAS " +
         text_or(environment, "cublas_version", "?") + ", NCCL " + text_or(environment, "nccl_version", "?") +
         ", " + text_or(environment, "date", "undated") + " (raw: " + source + ")";
}

models::GpuProfile fit_gpu_profile(const models::GpuProfile& base, const nlohmann::json& measurements,
                                   const std::string& source, const std::string& name) {
  const sim::JsonLocation root{source, ""};
  sim::JsonObjectReader reader(measurements, root);
  if (reader.required_integer("strata_measurements", 1, 1) != 1)
    root.fail("unsupported measurements version");
  const std::string provenance = probe_provenance(measurements, source);
  models::GpuProfile gpu = base;
  gpu.name = name;
  gpu.display_name = base.display_name + " (calibrated)";

  // GEMM: best rate per dtype.
  std::map<models::Dtype, double> best_tflops;
  std::map<models::Dtype, int> shapes;
  std::map<models::Dtype, double> best_efficiency;
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
      // The efficiency this shape implies once the base profile's per-wave tile overhead is taken out
      // (models/cost/compute_cost.hpp), so that the fitted profile predicts this shape's measured rate.
      if (gpu.peak_flops.contains(*dtype) && tflops > 0) {
        const models::GemmShape shape{sim::json_integer(row.required("m"), at.child("m"), 1, 1'000'000'000),
                                      sim::json_integer(row.required("n"), at.child("n"), 1, 1'000'000'000),
                                      sim::json_integer(row.required("k"), at.child("k"), 1, 1'000'000'000)};
        const double efficiency = implied_gemm_efficiency(gpu, shape, *dtype, tflops);
        best_efficiency[*dtype] = std::max(best_efficiency[*dtype], efficiency);
      }
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
    gpu.gemm_max_efficiency[dtype] = {std::min(1.0, best_efficiency[dtype]),
                                      provenance + ": best of " + std::to_string(shapes[dtype]) + " shapes " +
                                          number(tflops) + " / " + number(peak) +
                                          " TFLOP/s, less the base profile's tile overhead per wave"};
  }

  // Memory: best large copy or triad.
  double best_gbps = 0;
  if (const nlohmann::json* memory = reader.optional("memory")) {
    const auto& rows = sim::json_array(*memory, root.child("memory"));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const sim::JsonLocation at = root.child("memory").child(i);
      const std::string kernel =
          sim::json_string(rows[i].value("kernel", nlohmann::json()), at.child("kernel"));
      const double bytes = sim::json_number(rows[i].value("bytes", nlohmann::json()), at.child("bytes"));
      if ((kernel == "copy" || kernel == "triad") && bytes >= double(std::int64_t{256} << 20)) {
        best_gbps =
            std::max(best_gbps, sim::json_number(rows[i].value("GBps", nlohmann::json()), at.child("GBps")));
      }
    }
  }
  if (best_gbps > 0) {
    const double datasheet = gpu.memory_bandwidth.value.gb_per_s();
    if (best_gbps > datasheet * 1.02) {
      root.child("memory").fail("measured " + number(best_gbps) + " GB/s, above the datasheet " +
                                number(datasheet) + " GB/s");
    }
    gpu.memory_efficiency = {
        std::min(1.0, best_gbps / datasheet),
        provenance + ": best copy/triad " + number(best_gbps) + " / " + number(datasheet) + " GB/s"};
  }

  if (const nlohmann::json* attention = reader.optional("attention")) {
    const AttentionFit fit = fit_attention(gpu, *attention, root.child("attention"));
    if (fit.efficiency > 0) {
      const double before = gpu.attention_efficiency.value;
      gpu.attention_efficiency = {std::min(1.0, fit.efficiency),
                                  provenance + ": cuDNN fused attention, " + fit.summary};
      // The Triton kernel's rate is the fused kernel's over a published ratio: it follows the fit.
      if (gpu.attention_triton_efficiency && before > 0) {
        const double ratio = before / gpu.attention_triton_efficiency->value;
        gpu.attention_triton_efficiency = {std::min(1.0, gpu.attention_efficiency.value / ratio),
                                           "derived: the fitted efficiency.attention / " + number(ratio) +
                                               ", the base profile's ratio (" +
                                               gpu.attention_triton_efficiency->source + ")"};
      }
    }
  }

  if (const nlohmann::json* launch = reader.optional("launch_overhead_us")) {
    const double median = sim::json_number(launch->value("median", nlohmann::json()),
                                           root.child("launch_overhead_us").child("median"));
    gpu.kernel_launch_overhead = {sim::SimTime::from_seconds(median * 1e-6),
                                  provenance + ": median empty-kernel launch"};
  }
  return gpu;
}

}  // namespace strata::calibration
