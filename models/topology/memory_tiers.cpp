#include "models/topology/memory_tiers.hpp"

#include <string>

#include "sim/error.hpp"

namespace strata::models {

std::string_view memory_tier_name(MemoryTier tier) {
  switch (tier) {
    case MemoryTier::kHbm: return "hbm";
    case MemoryTier::kHostMemory: return "host";
    case MemoryTier::kNvme: return "nvme";
  }
  return "hbm";
}

std::optional<MemoryTier> memory_tier_from_name(std::string_view name) {
  for (MemoryTier tier : {MemoryTier::kHbm, MemoryTier::kHostMemory, MemoryTier::kNvme}) {
    if (memory_tier_name(tier) == name) return tier;
  }
  return std::nullopt;
}

MemoryTiers::MemoryTiers(sim::FluidNetwork& network, const SystemProfile& system, const GpuProfile& gpu,
                         int nodes)
    : MemoryTiers(network, ClusterHardware(system, gpu), nodes) {}

MemoryTiers::MemoryTiers(sim::FluidNetwork& network, const ClusterHardware& hardware, int nodes)
    : gpus_per_node_(hardware.gpus_per_node()), gpu_count_(nodes * hardware.gpus_per_node()) {
  const SystemProfile& system = hardware.system();
  if (nodes < 1) throw sim::InputError("a cluster needs at least one node, got " + std::to_string(nodes));
  for (int g = 0; g < gpu_count_; ++g) {
    const std::string name = "gpu" + std::to_string(g);
    hbm_.push_back(network.add_resource(name + "/hbm", hardware.gpu(g).achievable_memory_bandwidth()));
    host_to_device_.push_back(network.add_resource(name + "/host-to-device", system.host_to_device.value));
    device_to_host_.push_back(network.add_resource(name + "/device-to-host", system.device_to_host.value));
  }
  for (int node = 0; node < nodes; ++node) {
    const std::string name = "node" + std::to_string(node);
    host_memory_.push_back(network.add_resource(name + "/host-memory", system.host_memory_bandwidth.value));
    nvme_.push_back(network.add_resource(name + "/nvme", system.nvme_bandwidth.value));
  }
}

bool is_node_resource(TierResource resource) {
  return resource == TierResource::kHostMemory || resource == TierResource::kNvme;
}

std::vector<TierResource> tier_path(MemoryTier from, MemoryTier to) {
  using Tier = MemoryTier;
  using R = TierResource;
  if (from == Tier::kHbm && to == Tier::kHbm) return {R::kHbm, R::kHbm};
  if (from == Tier::kHbm && to == Tier::kHostMemory) return {R::kHbm, R::kDeviceToHost, R::kHostMemory};
  if (from == Tier::kHostMemory && to == Tier::kHbm) return {R::kHostMemory, R::kHostToDevice, R::kHbm};
  if (from == Tier::kHostMemory && to == Tier::kHostMemory) return {R::kHostMemory, R::kHostMemory};
  if (from == Tier::kHostMemory && to == Tier::kNvme) return {R::kHostMemory, R::kNvme};
  if (from == Tier::kNvme && to == Tier::kHostMemory) return {R::kNvme, R::kHostMemory};
  if (from == Tier::kHbm && to == Tier::kNvme)
    return {R::kHbm, R::kDeviceToHost, R::kHostMemory, R::kHostMemory, R::kNvme};
  if (from == Tier::kNvme && to == Tier::kHbm)
    return {R::kNvme, R::kHostMemory, R::kHostMemory, R::kHostToDevice, R::kHbm};
  return {R::kNvme, R::kHostMemory, R::kHostMemory, R::kNvme};  // NVMe to NVMe through host memory
}

std::vector<sim::ResourceId> MemoryTiers::transfer_path(int gpu, MemoryTier from, MemoryTier to) const {
  if (gpu < 0 || gpu >= gpu_count_) throw sim::SimulationError("GPU index out of range in a memory transfer");
  const auto g = static_cast<std::size_t>(gpu);
  const auto node = static_cast<std::size_t>(gpu / gpus_per_node_);
  std::vector<sim::ResourceId> path;
  for (TierResource resource : tier_path(from, to)) {
    switch (resource) {
      case TierResource::kHbm: path.push_back(hbm_[g]); break;
      case TierResource::kHostToDevice: path.push_back(host_to_device_[g]); break;
      case TierResource::kDeviceToHost: path.push_back(device_to_host_[g]); break;
      case TierResource::kHostMemory: path.push_back(host_memory_[node]); break;
      case TierResource::kNvme: path.push_back(nvme_[node]); break;
    }
  }
  return path;
}

}  // namespace strata::models
