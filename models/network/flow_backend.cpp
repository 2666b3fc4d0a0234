#include "models/network/flow_backend.hpp"

#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"

namespace strata::models {
namespace {

int nodes_for(const ClusterHardware& hardware, int gpus) {
  const int per_node = hardware.gpus_per_node();
  return std::max(1, (gpus + per_node - 1) / per_node);
}

}  // namespace

FlowBackend::FlowBackend(sim::EventQueue& queue, const ClusterHardware& hardware, int gpus,
                         const TopologyOptions& topology)
    : queue_(queue),
      network_(queue, std::make_unique<sim::MaxMinFairSolver>()),
      topology_(
          network_, hardware.system(), nodes_for(hardware, gpus), topology,
          [&hardware](int node) { return hardware.nic_bandwidth(node); },
          [&hardware](int node, int nic) { return hardware.working_nic(node, nic); }),
      tiers_(network_, hardware, nodes_for(hardware, gpus)),
      runner_(queue, network_, topology_, hardware.system()) {}

void FlowBackend::collective(const CollectiveCall& call, Done done) {
  runner_.start(call.op, call.bytes, call.gpus,
                [done = std::move(done)](const CollectiveEstimate&) { done(); });
}

void FlowBackend::point_to_point(int from_gpu, int to_gpu, sim::Bytes bytes, Done done) {
  runner_.start_point_to_point(from_gpu, to_gpu, bytes,
                               [done = std::move(done)](const CollectiveEstimate&) { done(); });
}

void FlowBackend::tier_transfer(int gpu, MemoryTier from, MemoryTier to, sim::Bytes bytes, Done done) {
  if (bytes.count() == 0) {
    queue_.schedule_in(sim::SimTime::zero(), std::move(done));
    return;
  }
  network_.start_flow(tiers_.transfer_path(gpu, from, to), bytes,
                      [done = std::move(done)](sim::FlowId) { done(); });
}

}  // namespace strata::models
