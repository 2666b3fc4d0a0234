// A GPU model: peaks from datasheets and achieved-efficiency parameters from measurements, each with its
// source. Read from calibration/profiles/gpus/<name>.json (format: calibration/profiles/README.md).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "models/hardware/dtype.hpp"
#include "models/hardware/sourced.hpp"
#include "sim/name_table.hpp"
#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::models {

struct GemmTile {
  int m = 0;
  int n = 0;
};

// A GPU's architecture generation (datasheet). Validation residuals are grouped by it, so a prediction on an
// H200 borrows the error band of the Hopper cases (scenarios/runner/error_band.hpp).
enum class GpuArchitecture { kVolta, kAmpere, kHopper, kBlackwell };
inline constexpr sim::NameTable<GpuArchitecture, 4> kGpuArchitectureNames{{{
    {GpuArchitecture::kVolta, "volta"},
    {GpuArchitecture::kAmpere, "ampere"},
    {GpuArchitecture::kHopper, "hopper"},
    {GpuArchitecture::kBlackwell, "blackwell"},
}}};

struct GpuProfile {
  std::string name;          // file stem, e.g. "h100-sxm5-80gb"
  std::string display_name;  // e.g. "NVIDIA H100 SXM5 80GB"
  Sourced<GpuArchitecture> architecture;
  Sourced<int> sm_count;
  Sourced<sim::Bytes> memory_capacity;
  Sourced<sim::Bandwidth> memory_bandwidth;              // datasheet peak
  std::map<Dtype, Sourced<sim::FlopRate>> peak_flops;    // dense tensor-core (or CUDA-core fp32) peaks
  std::map<Dtype, Sourced<double>> gemm_max_efficiency;  // best achieved GEMM rate / peak, in (0, 1]
  Sourced<GemmTile> gemm_tile;                           // output tile of one thread block
  // Fixed time each wave of output tiles pays on top of its multiply-adds (operand pipeline fill, writing the
  // output tile): what makes small-K and small GEMMs slower than their FLOPs (compute_cost.hpp).
  Sourced<sim::SimTime> gemm_tile_overhead;
  Sourced<double> attention_efficiency;  // fused attention rate / bf16 peak, in (0, 1]
  // The Triton FlashAttention kernel's rate / bf16 peak (compute_cost.hpp, FusedAttentionKernel::kTriton);
  // absent where no source gives it.
  std::optional<Sourced<double>> attention_triton_efficiency;
  Sourced<double> memory_efficiency;             // STREAM-like rate / memory_bandwidth, in (0, 1]
  Sourced<sim::SimTime> kernel_launch_overhead;  // fixed cost per kernel

  // Throws sim::InputError naming the profile when the dtype has no peak or no GEMM efficiency.
  sim::FlopRate peak(Dtype dtype) const;
  double gemm_efficiency(Dtype dtype) const;
  // Achievable streaming bandwidth of device memory: memory_bandwidth * memory_efficiency.
  sim::Bandwidth achievable_memory_bandwidth() const;
};

}  // namespace strata::models
