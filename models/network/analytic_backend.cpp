#include "models/network/analytic_backend.hpp"

#include <algorithm>
#include <string>

#include "models/cost/offload_cost.hpp"
#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"

namespace strata::models {
namespace {

const char* port_name(int kind) {
  static constexpr const char* kNames[] = {"nvlink-out", "nvlink-in", "nic-out", "nic-in", "host-link-to-device",
                                           "host-link-to-host"};
  return kNames[kind];
}

}  // namespace

CollectiveEstimate analytic_collective_over(const SystemProfile& system, CollectiveOp op, sim::Bytes bytes,
                                            std::span<const int> gpus) {
  return analytic_collective(system, op, bytes, scope_of_gpus(gpus, system.gpus_per_node.value));
}

CollectiveEstimate analytic_point_to_point(const SystemProfile& system, int from_gpu, int to_gpu, sim::Bytes bytes) {
  const int per_node = system.gpus_per_node.value;
  const bool same_node = from_gpu / per_node == to_gpu / per_node;
  return analytic_collective(system, CollectiveOp::kSendRecv, bytes, CollectiveScope{same_node ? 1 : 2, 1});
}

AnalyticBackend::AnalyticBackend(sim::EventQueue& queue, const ClusterHardware& hardware)
    : hardware_(hardware), ports_(queue, std::make_unique<sim::MaxMinFairSolver>()) {}

std::uint32_t AnalyticBackend::port(int gpu, Port kind) {
  STRATA_ASSERT(gpu >= 0, "GPU indices are not negative");
  if (static_cast<std::size_t>(gpu) >= gpu_ports_.size()) gpu_ports_.resize(static_cast<std::size_t>(gpu) + 1, {});
  std::uint32_t& slot = gpu_ports_[static_cast<std::size_t>(gpu)][kind];
  if (slot == 0) slot = ports_.add_port("gpu" + std::to_string(gpu) + "/" + port_name(kind)) + 1;
  return slot - 1;
}

double AnalyticBackend::capacity(Port kind) const {
  const SystemProfile& system = hardware_.system();
  switch (kind) {
    case kNvlinkOut:
    case kNvlinkIn:
      return system.collectives.ring_busbw.value.bytes_per_s();
    case kNicOut:
    case kNicIn:
      return system.nic_bandwidth.value.bytes_per_s() * system.collectives.nic_efficiency.value *
             system.nics_per_node.value / system.gpus_per_node.value;
    case kHostToDevice:
      return system.host_to_device.value.bytes_per_s();
    case kDeviceToHost:
      return system.device_to_host.value.bytes_per_s();
    case kPortsPerGpu:
      break;
  }
  return 0;
}

void AnalyticBackend::charge(std::vector<sim::PortUse>& uses, int gpu, Port kind, double bytes, double seconds) {
  const double rate = capacity(kind);
  if (!(bytes > 0) || !(seconds > 0) || !(rate > 0)) return;
  uses.push_back({port(gpu, kind), std::min(1.0, bytes / (seconds * rate))});
}

void AnalyticBackend::collective(const CollectiveCall& call, Done done) {
  const CollectiveEstimate estimate = analytic_collective_over(hardware_.system(), call.op, call.bytes, call.gpus);
  const double seconds = estimate.time.seconds();
  std::vector<sim::PortUse> uses;
  for (int gpu : call.carriers) {
    charge(uses, gpu, kNvlinkOut, estimate.nvlink_bytes, seconds);
    charge(uses, gpu, kNvlinkIn, estimate.nvlink_bytes, seconds);
    charge(uses, gpu, kNicOut, estimate.nic_bytes, seconds);
    charge(uses, gpu, kNicIn, estimate.nic_bytes, seconds);
  }
  ports_.start(estimate.time, uses, std::move(done));
}

void AnalyticBackend::point_to_point(int from_gpu, int to_gpu, sim::Bytes bytes, Done done) {
  const CollectiveEstimate estimate = analytic_point_to_point(hardware_.system(), from_gpu, to_gpu, bytes);
  const double seconds = estimate.time.seconds();
  std::vector<sim::PortUse> uses;
  charge(uses, from_gpu, kNvlinkOut, estimate.nvlink_bytes, seconds);
  charge(uses, from_gpu, kNicOut, estimate.nic_bytes, seconds);
  charge(uses, to_gpu, kNvlinkIn, estimate.nvlink_bytes, seconds);
  charge(uses, to_gpu, kNicIn, estimate.nic_bytes, seconds);
  ports_.start(estimate.time, uses, std::move(done));
}

void AnalyticBackend::tier_transfer(int gpu, MemoryTier from, MemoryTier to, sim::Bytes bytes, Done done) {
  const sim::SimTime time = tier_transfer_time(hardware_.system(), hardware_.gpu(gpu), from, to, bytes);
  std::vector<sim::PortUse> uses;
  for (TierResource resource : tier_path(from, to)) {
    if (resource == TierResource::kHostToDevice) charge(uses, gpu, kHostToDevice, bytes.as_double(), time.seconds());
    if (resource == TierResource::kDeviceToHost) charge(uses, gpu, kDeviceToHost, bytes.as_double(), time.seconds());
  }
  ports_.start(time, uses, std::move(done));
}

}  // namespace strata::models
