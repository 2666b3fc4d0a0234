#include "traces/gpu_retarget.hpp"

#include <cctype>

#include "models/cost/compute_cost.hpp"

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

// The GEMM model's time for the kernel's product on `target` over that on `recorded`; none (counted) when a
// profile does not calibrate the product's precision.
std::optional<double> shape_ratio(const models::ComputeSpec& kernel, const models::GpuProfile& recorded,
                                  const models::GpuProfile& target, GpuRetarget& report) {
  const auto calibrated = [&](const models::GpuProfile& gpu) {
    return gpu.peak_flops.count(kernel.dtype) > 0 && gpu.gemm_max_efficiency.count(kernel.dtype) > 0;
  };
  if (!calibrated(recorded) || !calibrated(target)) {
    ++report.shapes_without_calibration[std::string(models::dtype_name(kernel.dtype))];
    return std::nullopt;
  }
  return models::gemm_time(target, kernel.gemm, kernel.dtype).total.seconds() /
         models::gemm_time(recorded, kernel.gemm, kernel.dtype).total.seconds();
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
    const double flat = kind == KernelClass::kGemm        ? gemm
                        : kind == KernelClass::kAttention ? attention
                                                          : memory;
    RetargetedClass& entry = report.by_class[kind];
    entry.time_ratio = flat;
    ++entry.kernels;
    const std::optional<double> by_shape = kind == KernelClass::kGemm && task.compute.gemm.m > 0
                                               ? shape_ratio(task.compute, recorded, target, report)
                                               : std::nullopt;
    const double ratio = by_shape.value_or(flat);
    const double measured = task.compute.duration.seconds();
    task.compute.duration =
        sim::SimTime::from_ps_rounded(static_cast<double>(task.compute.duration.ps()) * ratio);
    entry.measured_s += measured;
    entry.retimed_s += task.compute.duration.seconds();
    if (by_shape) {
      ++entry.from_shapes;
      entry.shapes_measured_s += measured;
      entry.shapes_retimed_s += task.compute.duration.seconds();
    }
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
