// The hardware of every GPU of a cluster: its node type (system profile: GPUs per node, NVLink, NICs, host
// memory) and the GPU profile of each GPU, the same for all unless a GPU is given another (a cluster mixing
// GPU generations, or one slow GPU). The executor looks each rank's GPU up here (DESIGN.md, "Engine":
// hardware is per rank).
//
// Holds references: the profiles must outlive it.
#pragma once

#include <map>

#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"

namespace strata::models {

class ClusterHardware {
 public:
  ClusterHardware(const SystemProfile& system, const GpuProfile& gpu)
      : system_(&system), default_gpu_(&gpu) {}

  const SystemProfile& system() const { return *system_; }
  int gpus_per_node() const { return system_->gpus_per_node.value; }
  // The profile of GPU `gpu` (a global index, GPU g on node g / gpus_per_node).
  const GpuProfile& gpu(int gpu) const {
    if (overrides_.empty()) return *default_gpu_;
    const auto found = overrides_.find(gpu);
    return found == overrides_.end() ? *default_gpu_ : *found->second;
  }
  const GpuProfile& default_gpu() const { return *default_gpu_; }
  void set_gpu(int gpu, const GpuProfile& profile) { overrides_[gpu] = &profile; }

 private:
  const SystemProfile* system_;
  const GpuProfile* default_gpu_;
  std::map<int, const GpuProfile*> overrides_;
};

}  // namespace strata::models
