// The flow network (network_backend.hpp): every transfer becomes flows on the cluster's topology, sharing
// links by max-min fairness (sim/fluid_network.hpp). Collectives and send/recv decompose as
// models/collectives/flow_collective.hpp says (rings per NIC channel, NVLS, pairwise all-to-all, PXN on
// rail-optimized networks); a transfer between memory tiers is one flow over the GPU's HBM, host link, the
// node's host DRAM and NVMe (models/topology/memory_tiers.hpp). Fat-tree tiers, oversubscription and rails
// act here.
//
// Every GPU a transfer names must be in the cluster of `gpus` GPUs it was built for. Symmetric ranks are not
// collapsed here: a graph that simulates one rank for many still moves each collective's whole communicator,
// but its peers' concurrent traffic is missing, so flow runs lower every rank.
#pragma once

#include <memory>

#include "models/collectives/flow_collective.hpp"
#include "models/network/network_backend.hpp"
#include "models/topology/memory_tiers.hpp"
#include "sim/fluid_network.hpp"

namespace strata::models {

class FlowBackend final : public NetworkBackend {
 public:
  FlowBackend(sim::EventQueue& queue, const ClusterHardware& hardware, int gpus,
              const TopologyOptions& topology);

  NetworkFidelity fidelity() const override { return NetworkFidelity::kFlow; }
  void collective(const CollectiveCall& call, Done done) override;
  void point_to_point(int from_gpu, int to_gpu, sim::Bytes bytes, Done done) override;
  void tier_transfer(int gpu, MemoryTier from, MemoryTier to, sim::Bytes bytes, Done done) override;

  const sim::FluidNetwork& network() const { return network_; }

 private:
  sim::EventQueue& queue_;
  sim::FluidNetwork network_;
  ClusterTopology topology_;
  MemoryTiers tiers_;
  FlowCollectiveRunner runner_;
};

}  // namespace strata::models
