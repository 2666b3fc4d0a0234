// One node type (a DGX/HGX box, or a GB200 NVL72 rack's NVLink domain): GPUs, NVLink/NVSwitch, host links,
// host memory, local NVMe and NICs, each number with its source. Read from
// calibration/profiles/systems/<name>.json (format: calibration/profiles/README.md).
// Bandwidths are per direction unless the name says otherwise.
#pragma once

#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/hardware/nccl_tuning.hpp"
#include "models/hardware/sourced.hpp"
#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::models {

// Calibrated NCCL behaviour inside and across nodes of this system (see models/collectives/).
struct CollectiveProfile {
  // Large-message ring bus bandwidth inside a node (ring all-reduce, all-gather, reduce-scatter).
  Sourced<sim::Bandwidth> ring_busbw;
  // Large-message NVLS (NVLink SHARP) all-reduce bus bandwidth by GPU count; empty without NVLS. NCCL uses
  // NVLS only for the GPU counts listed and only where it beats the ring.
  Sourced<std::map<int, sim::Bandwidth>> nvls_busbw_by_gpus;
  // Fraction of the large-message bus bandwidth reached at a message size (nccl-tests size), as points
  // (bytes, fraction) ascending in size; interpolated linearly in log2(size).
  Sourced<std::vector<std::pair<sim::Bytes, double>>> size_ramp;
  // Achievable fraction of a NIC's line rate.
  Sourced<double> nic_efficiency;
  // The NCCL cost-model constants this system's NCCL follows: calibration/profiles/nccl/<nccl>.json.
  Sourced<std::string> nccl;
  // NCCL's cap on the LL protocol's bus bandwidth with one node, two nodes, and more (llMaxBws: by GPU
  // generation inside a node, by host CPU vendor across nodes).
  Sourced<std::array<sim::Bandwidth, 3>> ll_max_busbw;
  // Host overhead of posting one network step (getNetOverhead, by host CPU vendor).
  Sourced<sim::SimTime> net_overhead;
  // CTAs, one SM each, of an NCCL kernel: a collective inside one node, one across nodes, a send/recv. A
  // compute kernel that starts beside such a kernel has that many SMs fewer (models/executor/sm_sharing.hpp).
  Sourced<std::array<int, 3>> nccl_channels;
};

struct SystemProfile {
  std::string name;          // file stem, e.g. "dgx-h100"
  std::string display_name;  // e.g. "NVIDIA DGX H100"
  std::string gpu;           // GPU profile name
  Sourced<int> gpus_per_node;
  Sourced<int> nvlink_domain_gpus;           // GPUs reachable over NVLink (8 in a DGX, 72 in an NVL72 rack)
  Sourced<sim::Bandwidth> nvlink_bandwidth;  // per GPU, per direction, line rate
  Sourced<bool> nvls;                        // NVLink SHARP (in-switch reduction) available
  Sourced<sim::Bandwidth> host_to_device;    // per GPU, pinned memory, measured where available
  Sourced<sim::Bandwidth> device_to_host;
  Sourced<sim::Bytes> host_memory_capacity;       // per node
  Sourced<sim::Bandwidth> host_memory_bandwidth;  // per node
  Sourced<sim::Bytes> nvme_capacity;              // per node
  Sourced<sim::Bandwidth> nvme_bandwidth;         // per node, sequential read
  Sourced<int> nics_per_node;                     // compute-fabric NICs (storage NICs excluded)
  Sourced<sim::Bandwidth> nic_bandwidth;          // per NIC, per direction, line rate
  CollectiveProfile collectives;
  NcclTuning nccl_tuning;  // the profile collectives.nccl names, attached by ProfileCatalog::system
};

}  // namespace strata::models
