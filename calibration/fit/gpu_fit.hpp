// Probe measurements (the JSON written by calibration/probes) -> a GPU profile, using the same quantities the
// models use (models/cost/compute_cost.hpp):
//  - efficiency.gemm_max[dtype] = the best efficiency a measured GEMM of that dtype implies once the base
//    profile's per-wave tile overhead is taken out (compute_cost.hpp), relative to the datasheet peak;
//  - efficiency.memory = best measured device copy or triad bandwidth (at >= 256 MiB) / datasheet bandwidth;
//  - kernel_launch_overhead = median time of an empty kernel launched back to back;
//  - efficiency.attention = the median over the measured cases of cuDNN fused attention's forward plus
//    backward rate relative to the bf16 peak (the model uses one efficiency for both passes).
// Every other value (peaks, capacity, SM count, tile) stays the base profile's, with its source.
// A measured value above the datasheet peak is an error (wrong base profile), never silently clamped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "models/hardware/gpu_profile.hpp"

namespace strata::calibration {

// `measurements_source` names the measurements (a file) for messages and provenance; `name` is the new
// profile's name (its file stem).
models::GpuProfile fit_gpu_profile(const models::GpuProfile& base, const nlohmann::json& measurements,
                                   const std::string& measurements_source, const std::string& name);

// "probe: <GPU> x<count>, driver <v>, CUDA <v>, cuBLAS <v>, NCCL <v>, <date>": the provenance prefix.
std::string probe_provenance(const nlohmann::json& measurements, const std::string& measurements_source);

}  // namespace strata::calibration
