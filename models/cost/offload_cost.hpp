// Time of offload traffic and of the optimizer step on the host (ZeRO-Offload, Ren et al., "ZeRO-Offload:
// Democratizing Billion-Scale Model Training", USENIX ATC 2021; ZeRO-Infinity, Rajbhandari et al., SC21),
// for the analytic executor.
//
// Every GPU of a node offloads at once in a data-parallel step, so a node-wide resource (host DRAM, NVMe) is
// shared equally by the node's GPUs; a GPU's own resources (HBM, its host link) are not shared:
//   rate(resource) = achievable rate / (times the path crosses it x (GPUs per node if node-wide else 1))
//   transfer time  = bytes / min over the path (models/topology/memory_tier.hpp) of rate(resource)
// The host link rates are the system profile's measured pinned-memory host_to_device / device_to_host.
// No fixed latency is charged: offload moves the rank's whole gradient or weight shard, megabytes or more.
//
// The optimizer step on the host (DeepSpeed's CPU Adam) is taken as bound by host DRAM: it reads and writes
// `bytes` over the node's host memory bandwidth, shared by the node's GPUs' processes.
#pragma once

#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"
#include "models/topology/memory_tier.hpp"
#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::models {

sim::SimTime tier_transfer_time(const SystemProfile& system, const GpuProfile& gpu, MemoryTier from,
                                MemoryTier to, sim::Bytes bytes);

sim::SimTime host_memory_bound_time(const SystemProfile& system, sim::Bytes bytes);

}  // namespace strata::models
