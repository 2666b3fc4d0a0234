// What-if for an imported trace: the GPU kernels it measured on one GPU, re-timed for another (`strata trace
// info --system` on a system whose GPU differs from the trace's). Each class takes a flat ratio of the two
// GPUs' calibrated rates (calibration/profiles/gpus):
//  - gemm: bf16 dense tensor-core peak x gemm_max_efficiency (bf16 stands for the tensor-core GEMMs that
//    dominate training); but a GEMM kernel whose product the import knows (its operator's recorded shapes,
//    traces/kineto/gemm_launches.hpp) takes the GEMM model's ratio for that shape and precision instead,
//    models::gemm_time on the target over the same on the recorded GPU (tile and wave quantization, memory
//    traffic and launch overhead: a small GEMM gains less than the peak ratio), where both profiles
//    calibrate that precision (otherwise the flat ratio, counted by precision);
//  - attention: bf16 peak x attention_efficiency;
//  - memory_bound, other, and device-to-device copies and memsets: memory_bandwidth x memory_efficiency;
//  - copies between host and device, and NCCL kernels kept at their measured time: unchanged (the host link
//    and the network are the system's, not the GPU's);
//  - host work (ComputeKind::kMeasuredHost): unchanged.
// Classes by kernel name (traces/kineto/kernel_classes.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "traces/kineto/kernel_classes.hpp"

namespace strata::traces {

struct RetargetedClass {
  std::int64_t kernels = 0;
  double time_ratio = 1.0;  // the class's flat ratio: new duration / measured duration
  double measured_s = 0;    // summed over the class's kernels
  double retimed_s = 0;
  // GEMM kernels re-costed from their shapes (part of the above).
  std::int64_t from_shapes = 0;
  double shapes_measured_s = 0;
  double shapes_retimed_s = 0;
};

struct GpuRetarget {
  std::map<KernelClass, RetargetedClass> by_class;
  std::int64_t unchanged_host_copies = 0;
  std::int64_t unchanged_communication = 0;
  // GEMM kernels with shapes that took the flat ratio, by precision: a profile does not calibrate it.
  std::map<std::string, std::int64_t> shapes_without_calibration;
};

// Re-times every measured GPU kernel of `graph` recorded on `recorded` for `target`.
GpuRetarget retarget_measured_kernels(models::ExecutionGraph& graph, const models::GpuProfile& recorded,
                                      const models::GpuProfile& target);

// The GPU profile (of `names`) a CUDA device name stands for: "NVIDIA A100-SXM4-80GB" -> "a100-sxm4-80gb",
// matched on letters and digits alone; std::nullopt when none matches.
std::optional<std::string> gpu_profile_for_device(const std::string& device,
                                                  const std::vector<std::string>& names);

}  // namespace strata::traces
