#include "models/topology/memory_tiers.hpp"

#include <string>

#include "sim/error.hpp"

namespace strata::models {

MemoryTiers::MemoryTiers(sim::FluidNetwork& network, const SystemProfile& system, const GpuProfile& gpu, int nodes)
    : gpus_per_node_(system.gpus_per_node.value), gpu_count_(nodes * system.gpus_per_node.value) {
  if (nodes < 1) throw sim::InputError("a cluster needs at least one node, got " + std::to_string(nodes));
  for (int g = 0; g < gpu_count_; ++g) {
    const std::string name = "gpu" + std::to_string(g);
    hbm_.push_back(network.add_resource(name + "/hbm", gpu.achievable_memory_bandwidth()));
    host_to_device_.push_back(network.add_resource(name + "/host-to-device", system.host_to_device.value));
    device_to_host_.push_back(network.add_resource(name + "/device-to-host", system.device_to_host.value));
  }
  for (int node = 0; node < nodes; ++node) {
    const std::string name = "node" + std::to_string(node);
    host_memory_.push_back(network.add_resource(name + "/host-memory", system.host_memory_bandwidth.value));
    nvme_.push_back(network.add_resource(name + "/nvme", system.nvme_bandwidth.value));
  }
}

std::vector<sim::ResourceId> MemoryTiers::transfer_path(int gpu, MemoryTier from, MemoryTier to) const {
  if (gpu < 0 || gpu >= gpu_count_) throw sim::SimulationError("GPU index out of range in a memory transfer");
  const auto g = static_cast<std::size_t>(gpu);
  const sim::ResourceId host = host_memory_[static_cast<std::size_t>(gpu / gpus_per_node_)];
  const sim::ResourceId nvme = nvme_[static_cast<std::size_t>(gpu / gpus_per_node_)];
  using Tier = MemoryTier;
  if (from == Tier::kHbm && to == Tier::kHbm) return {hbm_[g], hbm_[g]};
  if (from == Tier::kHbm && to == Tier::kHostMemory) return {hbm_[g], device_to_host_[g], host};
  if (from == Tier::kHostMemory && to == Tier::kHbm) return {host, host_to_device_[g], hbm_[g]};
  if (from == Tier::kHostMemory && to == Tier::kHostMemory) return {host, host};
  if (from == Tier::kHostMemory && to == Tier::kNvme) return {host, nvme};
  if (from == Tier::kNvme && to == Tier::kHostMemory) return {nvme, host};
  if (from == Tier::kHbm && to == Tier::kNvme) return {hbm_[g], device_to_host_[g], host, host, nvme};
  if (from == Tier::kNvme && to == Tier::kHbm) return {nvme, host, host, host_to_device_[g], hbm_[g]};
  return {nvme, host, host, nvme};  // NVMe to NVMe through host memory
}

}  // namespace strata::models
