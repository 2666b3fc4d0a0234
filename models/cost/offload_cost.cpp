#include "models/cost/offload_cost.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

#include "sim/error.hpp"

namespace strata::models {
namespace {

const char* resource_name(TierResource resource) {
  switch (resource) {
    case TierResource::kHbm: return "HBM";
    case TierResource::kHostToDevice: return "host-to-device";
    case TierResource::kDeviceToHost: return "device-to-host";
    case TierResource::kHostMemory: return "host memory";
    case TierResource::kNvme: return "NVMe";
  }
  return "?";
}

double capacity_of(const SystemProfile& system, const GpuProfile& gpu, TierResource resource) {
  switch (resource) {
    case TierResource::kHbm: return gpu.achievable_memory_bandwidth().bytes_per_s();
    case TierResource::kHostToDevice: return system.host_to_device.value.bytes_per_s();
    case TierResource::kDeviceToHost: return system.device_to_host.value.bytes_per_s();
    case TierResource::kHostMemory: return system.host_memory_bandwidth.value.bytes_per_s();
    case TierResource::kNvme: return system.nvme_bandwidth.value.bytes_per_s();
  }
  return 0;
}

}  // namespace

sim::SimTime tier_transfer_time(const SystemProfile& system, const GpuProfile& gpu, MemoryTier from,
                                MemoryTier to, sim::Bytes bytes) {
  std::map<TierResource, int> crossings;
  for (TierResource resource : tier_path(from, to)) ++crossings[resource];
  double rate = std::numeric_limits<double>::infinity();
  for (const auto& [resource, times] : crossings) {
    const int sharers = is_node_resource(resource) ? system.gpus_per_node.value : 1;
    const double capacity = capacity_of(system, gpu, resource);
    if (!(capacity > 0)) {
      throw sim::SimulationError("offload needs a " + std::string(resource_name(resource)) +
                                 " bandwidth; system profile \"" + system.name + "\" gives none");
    }
    rate = std::min(rate, capacity / (times * sharers));
  }
  return sim::SimTime::from_seconds(bytes.as_double() / rate);
}

sim::SimTime host_memory_bound_time(const SystemProfile& system, sim::Bytes bytes) {
  if (!(system.host_memory_bandwidth.value.bytes_per_s() > 0)) {
    throw sim::SimulationError("a host optimizer step needs the host memory bandwidth; system profile \"" +
                               system.name + "\" gives none");
  }
  const double share = system.host_memory_bandwidth.value.bytes_per_s() / system.gpus_per_node.value;
  return sim::SimTime::from_seconds(bytes.as_double() / share);
}

}  // namespace strata::models
