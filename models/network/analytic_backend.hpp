// The analytic network (network_backend.hpp): every transfer takes the time the calibrated curves give it
// alone (models/collectives/analytic_collective.hpp, models/cost/offload_cost.hpp), unless transfers running
// at the same time need more of one GPU port than it has.
//
// Ports, per GPU and direction, with the capacities the curves themselves use:
//  - NVLink out / in: the system's ring bus bandwidth (collectives.ring_busbw);
//  - NIC out / in: the GPU's share of its node's NICs, nic_bandwidth x nic_efficiency x NICs / GPUs per node
//    (nic_bandwidth per node: ClusterHardware);
//  - host link to device / to host: host_to_device / device_to_host (PCIe or NVLink-C2C).
// A transfer keeps a port busy in proportion to the bytes it moves through it: utilization = bytes on the
// port / (time alone x capacity), at most 1 (CollectiveEstimate::nvlink_bytes and nic_bytes give the bytes of
// the busiest GPU of a collective; a latency-bound small message uses little of its port). Concurrent
// transfers share ports by sim/port_sharing.hpp: while the utilizations on each port sum to at most 1 nothing
// changes; beyond, the transfers crossing it slow down together. So a ZeRO-3 all-gather and reduce-scatter on
// separate streams cannot both use a GPU's NICs fully at once, and two NIC-bound collectives side by side
// take about twice as long, while a TP all-reduce over NVLink beside a NIC-bound data-parallel reduction does
// not slow it.
//
// Ports are charged on the GPUs of the transfer's simulated members (CollectiveCall::carriers; a sender and a
// receiver): with symmetric ranks simulated once, each stands for peers doing the same on their own ports.
// Node-wide resources (host DRAM, NVMe) are not ports here: offload_cost.hpp already shares them among the
// node's GPUs. Topology and oversubscription do not act in this back end (the flow back end models them).
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "models/collectives/analytic_collective.hpp"
#include "models/network/network_backend.hpp"
#include "sim/port_sharing.hpp"

namespace strata::models {

// Times alone (no contention), as the analytic back end starts them: a collective over the communicator
// `gpus`, a send/recv between two GPUs (one NVLink or one NIC, at the ramp of its size).
CollectiveEstimate analytic_collective_over(const SystemProfile& system, CollectiveOp op, sim::Bytes bytes,
                                            std::span<const int> gpus);
CollectiveEstimate analytic_point_to_point(const SystemProfile& system, int from_gpu, int to_gpu,
                                           sim::Bytes bytes);

// A GPU's ports, per direction (capacities above).
enum class GpuPort { kNvlinkOut, kNvlinkIn, kNicOut, kNicIn, kHostLinkToDevice, kHostLinkToHost };
inline constexpr int kGpuPortKinds = 6;
std::string_view gpu_port_name(GpuPort port);  // "nvlink-out", "nvlink-in", "nic-out", "nic-in", ...

struct GpuPortUse {
  int gpu = 0;
  GpuPort port = GpuPort::kNvlinkOut;
  double utilization = 1.0;  // (0, 1]
};

// A transfer as the analytic back end runs it: its time alone and the ports it keeps busy.
struct AnalyticTransfer {
  sim::SimTime time;
  std::vector<GpuPortUse> uses;
};
// A collective charged on the GPUs of `carriers`, a send/recv on the sender's out ports and the receiver's in
// ports, a tier transfer on the GPU's host link. A node whose NICs run below the system's rate
// (ClusterHardware::nic_bandwidth) has smaller NIC ports, and a collective or send/recv through it lasts at
// least as long as its NIC bytes take there (a ring moves at its slowest link's pace).
AnalyticTransfer analytic_collective_transfer(const ClusterHardware& hardware, CollectiveOp op,
                                              sim::Bytes bytes, std::span<const int> gpus,
                                              std::span<const int> carriers);
AnalyticTransfer analytic_point_to_point_transfer(const ClusterHardware& hardware, int from_gpu, int to_gpu,
                                                  sim::Bytes bytes);
AnalyticTransfer analytic_tier_transfer(const ClusterHardware& hardware, int gpu, MemoryTier from,
                                        MemoryTier to, sim::Bytes bytes);

class AnalyticBackend final : public NetworkBackend {
 public:
  AnalyticBackend(sim::EventQueue& queue, const ClusterHardware& hardware);

  NetworkFidelity fidelity() const override { return NetworkFidelity::kAnalytic; }
  void collective(const CollectiveCall& call, Done done) override;
  void point_to_point(int from_gpu, int to_gpu, sim::Bytes bytes, Done done) override;
  void tier_transfer(int gpu, MemoryTier from, MemoryTier to, sim::Bytes bytes, Done done) override;

  const sim::PortSharing& ports() const { return ports_; }

 private:
  void start(const AnalyticTransfer& transfer, Done done);
  // The port's index in ports_, created on first use.
  std::uint32_t port(int gpu, GpuPort kind);

  const ClusterHardware& hardware_;
  sim::PortSharing ports_;
  std::vector<std::array<std::uint32_t, kGpuPortKinds>> gpu_ports_;  // 0: not created yet (else index + 1)
};

}  // namespace strata::models
