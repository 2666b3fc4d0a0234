#include "models/hardware/gpu_profile.hpp"

#include "sim/error.hpp"

namespace strata::models {
namespace {

template <class T>
const T& lookup(const std::map<Dtype, Sourced<T>>& table, Dtype dtype, const std::string& profile,
                const char* what) {
  const auto found = table.find(dtype);
  if (found == table.end()) {
    std::string known;
    for (const auto& [available, unused] : table)
      known += (known.empty() ? "" : ", ") + std::string(dtype_name(available));
    throw sim::InputError("GPU profile " + profile, "",
                          "no " + std::string(what) + " for " + std::string(dtype_name(dtype)) +
                              " (profile has: " + known + ")");
  }
  return found->second.value;
}

}  // namespace

sim::FlopRate GpuProfile::peak(Dtype dtype) const {
  return lookup(peak_flops, dtype, name, "peak FLOP rate");
}

double GpuProfile::gemm_efficiency(Dtype dtype) const {
  return lookup(gemm_max_efficiency, dtype, name, "GEMM efficiency");
}

sim::Bandwidth GpuProfile::achievable_memory_bandwidth() const {
  return sim::Bandwidth::from_bytes_per_s(memory_bandwidth.value.bytes_per_s() * memory_efficiency.value);
}

}  // namespace strata::models
