// Memory tiers of a cluster as fluid-network resources, so offload traffic (ZeRO-Offload, ZeRO-Infinity)
// contends like any other flow.
//
// Resources (achievable rates, from the profiles):
//  - per GPU: HBM at memory_bandwidth * memory efficiency; its host link, one resource per direction
//    (host_to_device, device_to_host: PCIe or NVLink-C2C);
//  - per node: host DRAM at host_memory_bandwidth (reads and writes share it); local NVMe at nvme_bandwidth.
// Paths: memory_tier.hpp.
#pragma once

#include <vector>

#include "models/hardware/cluster_hardware.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"
#include "models/topology/memory_tier.hpp"
#include "sim/fluid_network.hpp"

namespace strata::models {

class MemoryTiers {
 public:
  MemoryTiers(sim::FluidNetwork& network, const SystemProfile& system, const GpuProfile& gpu, int nodes);
  // Each GPU's HBM from its own profile.
  MemoryTiers(sim::FluidNetwork& network, const ClusterHardware& hardware, int nodes);

  // Resources a transfer between tiers for `gpu` (global index) crosses. Throws sim::SimulationError for a
  // GPU out of range.
  std::vector<sim::ResourceId> transfer_path(int gpu, MemoryTier from, MemoryTier to) const;

 private:
  int gpus_per_node_;
  int gpu_count_;
  std::vector<sim::ResourceId> hbm_, host_to_device_, device_to_host_;  // per GPU
  std::vector<sim::ResourceId> host_memory_, nvme_;                     // per node
};

}  // namespace strata::models
