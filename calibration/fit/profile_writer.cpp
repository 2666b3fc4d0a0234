#include "calibration/fit/profile_writer.hpp"

#include <cstdio>
#include <string>

#include "models/hardware/profile_reader.hpp"

namespace strata::calibration {
namespace {

// 17 significant digits: a double written this way reads back exactly.
std::string with_unit(double value, const char* unit) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g%s", value, unit);
  return text;
}

template <class T, class Convert>
nlohmann::json sourced(const models::Sourced<T>& value, Convert convert) {
  return {{"value", convert(value.value)}, {"source", value.source}};
}

}  // namespace

nlohmann::json gpu_profile_json(const models::GpuProfile& gpu) {
  const auto bytes = [](const sim::Bytes& v) { return nlohmann::json(v.count()); };
  const auto bandwidth = [](const sim::Bandwidth& v) {
    return nlohmann::json(with_unit(v.bytes_per_s(), "B/s"));
  };
  const auto flop_rate = [](const sim::FlopRate& v) {
    return nlohmann::json(with_unit(v.flops_per_s(), "FLOP/s"));
  };
  const auto duration = [](const sim::SimTime& v) { return nlohmann::json(std::to_string(v.ps()) + "ps"); };
  const auto plain = [](const auto& v) { return nlohmann::json(v); };
  nlohmann::json peaks = nlohmann::json::object();
  for (const auto& [dtype, peak] : gpu.peak_flops)
    peaks[std::string(models::dtype_name(dtype))] = sourced(peak, flop_rate);
  nlohmann::json gemm = nlohmann::json::object();
  for (const auto& [dtype, value] : gpu.gemm_max_efficiency)
    gemm[std::string(models::dtype_name(dtype))] = sourced(value, plain);
  nlohmann::json result = {
      {"strata_profile", models::kProfileFormatVersion},
      {"kind", "gpu"},
      {"name", gpu.name},
      {"display_name", gpu.display_name},
      {"architecture", sourced(gpu.architecture,
                               [](models::GpuArchitecture v) {
                                 return nlohmann::json(std::string(models::kGpuArchitectureNames.name(v)));
                               })},
      {"sm_count", sourced(gpu.sm_count, plain)},
      {"memory",
       {{"capacity", sourced(gpu.memory_capacity, bytes)},
        {"bandwidth", sourced(gpu.memory_bandwidth, bandwidth)}}},
      {"peak_flops", peaks},
      {"efficiency",
       {{"gemm_max", gemm},
        {"gemm_tile",
         {{"value", {gpu.gemm_tile.value.m, gpu.gemm_tile.value.n}}, {"source", gpu.gemm_tile.source}}},
        {"gemm_tile_overhead", sourced(gpu.gemm_tile_overhead, duration)},
        {"attention", sourced(gpu.attention_efficiency, plain)},
        {"memory", sourced(gpu.memory_efficiency, plain)}}},
      {"kernel_launch_overhead", sourced(gpu.kernel_launch_overhead, duration)}};
  if (gpu.attention_triton_efficiency) {
    result["efficiency"]["attention_triton"] = sourced(*gpu.attention_triton_efficiency, plain);
  }
  return result;
}

}  // namespace strata::calibration
