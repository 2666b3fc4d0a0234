#include "traces/gpu_retarget.hpp"

#include <cctype>

namespace strata::traces {
namespace {

// Calibrated rates, in their own units: only ratios between two GPUs are used.
double gemm_rate(const models::GpuProfile& gpu) {
  const auto efficiency = gpu.gemm_max_efficiency.find(models::Dtype::kBf16);
  return gpu.peak(models::Dtype::kBf16).flops_per_s() *
         (efficiency == gpu.gemm_max_efficiency.end() ? 1.0 : efficiency->second.value);
}
double attention_rate(const models::GpuProfile& gpu) {
  return gpu.peak(models::Dtype::kBf16).flops_per_s() * gpu.attention_efficiency.value;
}
double memory_rate(const models::GpuProfile& gpu) {
  return gpu.memory_bandwidth.value.bytes_per_s() * gpu.memory_efficiency.value;
}

std::string letters_and_digits(const std::string& text) {
  std::string out;
  for (char c : text)
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

GpuRetarget retarget_measured_kernels(models::ExecutionGraph& graph, const models::GpuProfile& recorded,
                                      const models::GpuProfile& target) {
  const double gemm = gemm_rate(recorded) / gemm_rate(target);
  const double attention = attention_rate(recorded) / attention_rate(target);
  const double memory = memory_rate(recorded) / memory_rate(target);
  GpuRetarget report;
  for (models::Task& task : graph.tasks) {
    if (task.type != models::TaskType::kCompute || task.compute.kind != models::ComputeKind::kMeasured)
      continue;
    const KernelClass kind = is_copy_name(task.name) ? KernelClass::kCopy : kernel_class(task.name);
    if (kind == KernelClass::kCommunication) {
      ++report.unchanged_communication;
      continue;
    }
    if (kind == KernelClass::kCopy && is_host_device_copy(task.name)) {
      ++report.unchanged_host_copies;
      continue;
    }
    const double ratio = kind == KernelClass::kGemm        ? gemm
                         : kind == KernelClass::kAttention ? attention
                                                           : memory;
    RetargetedClass& entry = report.by_class[kind];
    entry.time_ratio = ratio;
    ++entry.kernels;
    const double measured = task.compute.duration.seconds();
    task.compute.duration =
        sim::SimTime::from_ps_rounded(static_cast<double>(task.compute.duration.ps()) * ratio);
    entry.measured_s += measured;
    entry.retimed_s += task.compute.duration.seconds();
  }
  return report;
}

std::optional<std::string> gpu_profile_for_device(const std::string& device,
                                                  const std::vector<std::string>& names) {
  std::string key = letters_and_digits(device);
  if (key.rfind("nvidia", 0) == 0) key = key.substr(6);
  for (const std::string& name : names)
    if (letters_and_digits(name) == key) return name;
  return std::nullopt;
}

}  // namespace strata::traces
