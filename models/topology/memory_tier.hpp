// The memory tiers a GPU's data can live in: its HBM, its node's host DRAM, its node's local NVMe
// (ZeRO-Offload and ZeRO-Infinity place optimizer states and parameters in the latter two), and the
// resources a transfer between two tiers crosses.
//
// Paths (a resource listed twice carries the bytes twice):
//  - HBM -> HBM (device copy): HBM twice (read and write);
//  - HBM <-> host: HBM, the GPU's host link in that direction (PCIe or NVLink-C2C), host DRAM;
//  - host <-> NVMe: host DRAM and NVMe;
//  - HBM <-> NVMe: through a host bounce buffer (no GPUDirect Storage), so host DRAM twice (written, then
//  read);
//  - host -> host: host DRAM twice; NVMe -> NVMe: NVMe, host DRAM twice, NVMe.
// HBM and the host links belong to one GPU; host DRAM and NVMe to its node, shared by the node's GPUs.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace strata::models {

enum class MemoryTier { kHbm, kHostMemory, kNvme };

std::string_view memory_tier_name(MemoryTier tier);  // "hbm", "host", "nvme"
std::optional<MemoryTier> memory_tier_from_name(std::string_view name);

enum class TierResource { kHbm, kHostToDevice, kDeviceToHost, kHostMemory, kNvme };
bool is_node_resource(TierResource resource);  // host DRAM and NVMe: shared by the node's GPUs

// The resources a transfer from `from` to `to` crosses, in order, as listed above.
std::vector<TierResource> tier_path(MemoryTier from, MemoryTier to);

}  // namespace strata::models
