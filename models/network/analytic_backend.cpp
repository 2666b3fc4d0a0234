#include "models/network/analytic_backend.hpp"

#include <algorithm>
#include <string>

#include "models/cost/offload_cost.hpp"
#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"

namespace strata::models {
namespace {

// Bytes per second of one GPU's share of its node's NICs when they run at `nic_rate`, at the efficiency the
// collective curves assume.
double nic_share(const SystemProfile& system, sim::Bandwidth nic_rate) {
  return nic_rate.bytes_per_s() * system.collectives.nic_efficiency.value * system.nics_per_node.value /
         system.gpus_per_node.value;
}

// Bytes per second of one GPU's port (analytic_backend.hpp); the NIC share follows its node's NIC rate and,
// with NICs down, the busiest working NIC's load (ClusterHardware::channels_per_working_nic).
double capacity(const ClusterHardware& hardware, int gpu, GpuPort port) {
  const SystemProfile& system = hardware.system();
  const int node = gpu / hardware.gpus_per_node();
  switch (port) {
    case GpuPort::kNvlinkOut:
    case GpuPort::kNvlinkIn: return system.collectives.ring_busbw.value.bytes_per_s();
    case GpuPort::kNicOut:
    case GpuPort::kNicIn:
      return nic_share(system, hardware.nic_bandwidth(node)) / hardware.channels_per_working_nic(node);
    case GpuPort::kHostLinkToDevice: return system.host_to_device.value.bytes_per_s();
    case GpuPort::kHostLinkToHost: return system.device_to_host.value.bytes_per_s();
  }
  return 0;
}

// Adds the port's use when `bytes` cross it during `seconds`.
void charge(std::vector<GpuPortUse>& uses, const ClusterHardware& hardware, int gpu, GpuPort port,
            double bytes, double seconds) {
  const double rate = capacity(hardware, gpu, port);
  if (!(bytes > 0) || !(seconds > 0) || !(rate > 0)) return;
  uses.push_back({gpu, port, std::min(1.0, bytes / (seconds * rate))});
}

// The time of a transfer that keeps the NIC share of each of `gpus` busy `nic_bytes` (the busiest GPU's
// bytes, CollectiveEstimate::nic_bytes): its time alone, or longer where a node's NICs run below the rate the
// curves assume (ClusterHardware::nic_bandwidth). A ring or tree moves at its slowest link's pace: the share
// it used of a healthy port, scaled by how much slower the slowest port is, above 1 stretches it.
sim::SimTime with_slow_nics(const ClusterHardware& hardware, sim::SimTime alone, double nic_bytes,
                            std::span<const int> gpus) {
  if (!hardware.has_nic_overrides() || !(nic_bytes > 0) || gpus.empty()) return alone;
  const SystemProfile& system = hardware.system();
  const double nominal = nic_share(system, system.nic_bandwidth.value);
  double slowest = nominal;
  for (int gpu : gpus) slowest = std::min(slowest, capacity(hardware, gpu, GpuPort::kNicOut));
  if (!(slowest > 0) || !(nominal > 0) || !(alone.seconds() > 0)) return alone;
  const double share = std::min(1.0, nic_bytes / (alone.seconds() * nominal));
  const double stretch = share * nominal / slowest;
  return stretch > 1.0 ? sim::SimTime::from_ps_rounded(static_cast<double>(alone.ps()) * stretch) : alone;
}

}  // namespace

std::string_view gpu_port_name(GpuPort port) {
  switch (port) {
    case GpuPort::kNvlinkOut: return "nvlink-out";
    case GpuPort::kNvlinkIn: return "nvlink-in";
    case GpuPort::kNicOut: return "nic-out";
    case GpuPort::kNicIn: return "nic-in";
    case GpuPort::kHostLinkToDevice: return "host-link-to-device";
    case GpuPort::kHostLinkToHost: return "host-link-to-host";
  }
  return "?";
}

CollectiveEstimate analytic_collective_over(const SystemProfile& system, CollectiveOp op, sim::Bytes bytes,
                                            std::span<const int> gpus) {
  return analytic_collective(system, op, bytes, scope_of_gpus(gpus, system.gpus_per_node.value));
}

CollectiveEstimate analytic_point_to_point(const SystemProfile& system, int from_gpu, int to_gpu,
                                           sim::Bytes bytes) {
  const int per_node = system.gpus_per_node.value;
  const bool same_node = from_gpu / per_node == to_gpu / per_node;
  return analytic_collective(system, CollectiveOp::kSendRecv, bytes, CollectiveScope{same_node ? 1 : 2, 1});
}

AnalyticTransfer analytic_collective_transfer(const ClusterHardware& hardware, CollectiveOp op,
                                              sim::Bytes bytes, std::span<const int> gpus,
                                              std::span<const int> carriers) {
  const CollectiveEstimate estimate = analytic_collective_over(hardware.system(), op, bytes, gpus);
  AnalyticTransfer transfer{with_slow_nics(hardware, estimate.time, estimate.nic_bytes, gpus), {}};
  const double seconds = transfer.time.seconds();
  for (int gpu : carriers) {
    charge(transfer.uses, hardware, gpu, GpuPort::kNvlinkOut, estimate.nvlink_bytes, seconds);
    charge(transfer.uses, hardware, gpu, GpuPort::kNvlinkIn, estimate.nvlink_bytes, seconds);
    charge(transfer.uses, hardware, gpu, GpuPort::kNicOut, estimate.nic_bytes, seconds);
    charge(transfer.uses, hardware, gpu, GpuPort::kNicIn, estimate.nic_bytes, seconds);
  }
  return transfer;
}

AnalyticTransfer analytic_point_to_point_transfer(const ClusterHardware& hardware, int from_gpu, int to_gpu,
                                                  sim::Bytes bytes) {
  const CollectiveEstimate estimate = analytic_point_to_point(hardware.system(), from_gpu, to_gpu, bytes);
  const int ends[] = {from_gpu, to_gpu};
  AnalyticTransfer transfer{with_slow_nics(hardware, estimate.time, estimate.nic_bytes, ends), {}};
  const double seconds = transfer.time.seconds();
  charge(transfer.uses, hardware, from_gpu, GpuPort::kNvlinkOut, estimate.nvlink_bytes, seconds);
  charge(transfer.uses, hardware, from_gpu, GpuPort::kNicOut, estimate.nic_bytes, seconds);
  charge(transfer.uses, hardware, to_gpu, GpuPort::kNvlinkIn, estimate.nvlink_bytes, seconds);
  charge(transfer.uses, hardware, to_gpu, GpuPort::kNicIn, estimate.nic_bytes, seconds);
  return transfer;
}

AnalyticTransfer analytic_tier_transfer(const ClusterHardware& hardware, int gpu, MemoryTier from,
                                        MemoryTier to, sim::Bytes bytes) {
  AnalyticTransfer transfer{tier_transfer_time(hardware.system(), hardware.gpu(gpu), from, to, bytes), {}};
  for (TierResource resource : tier_path(from, to)) {
    if (resource == TierResource::kHostToDevice) {
      charge(transfer.uses, hardware, gpu, GpuPort::kHostLinkToDevice, bytes.as_double(),
             transfer.time.seconds());
    }
    if (resource == TierResource::kDeviceToHost) {
      charge(transfer.uses, hardware, gpu, GpuPort::kHostLinkToHost, bytes.as_double(),
             transfer.time.seconds());
    }
  }
  return transfer;
}

AnalyticBackend::AnalyticBackend(sim::EventQueue& queue, const ClusterHardware& hardware)
    : hardware_(hardware), ports_(queue, std::make_unique<sim::MaxMinFairSolver>()) {}

std::uint32_t AnalyticBackend::port(int gpu, GpuPort kind) {
  STRATA_ASSERT(gpu >= 0, "GPU indices are not negative");
  if (static_cast<std::size_t>(gpu) >= gpu_ports_.size())
    gpu_ports_.resize(static_cast<std::size_t>(gpu) + 1, {});
  std::uint32_t& slot = gpu_ports_[static_cast<std::size_t>(gpu)][static_cast<std::size_t>(kind)];
  if (slot == 0)
    slot = ports_.add_port("gpu" + std::to_string(gpu) + "/" + std::string(gpu_port_name(kind))) + 1;
  return slot - 1;
}

void AnalyticBackend::start(const AnalyticTransfer& transfer, Done done) {
  std::vector<sim::PortUse> uses;
  uses.reserve(transfer.uses.size());
  for (const GpuPortUse& use : transfer.uses) uses.push_back({port(use.gpu, use.port), use.utilization});
  ports_.start(transfer.time, uses, std::move(done));
}

void AnalyticBackend::collective(const CollectiveCall& call, Done done) {
  start(analytic_collective_transfer(hardware_, call.op, call.bytes, call.gpus, call.carriers),
        std::move(done));
}

void AnalyticBackend::point_to_point(int from_gpu, int to_gpu, sim::Bytes bytes, Done done) {
  start(analytic_point_to_point_transfer(hardware_, from_gpu, to_gpu, bytes), std::move(done));
}

void AnalyticBackend::tier_transfer(int gpu, MemoryTier from, MemoryTier to, sim::Bytes bytes, Done done) {
  start(analytic_tier_transfer(hardware_, gpu, from, to, bytes), std::move(done));
}

}  // namespace strata::models
