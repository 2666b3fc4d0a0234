// A cluster of identical nodes built into a FluidNetwork: every link becomes a resource with a capacity,
// and GPU-to-GPU traffic follows a deterministic path of resources.
//
// Resources (each one direction; capacities are achievable rates, i.e. line rate times protocol efficiency):
//  - per GPU, an NVLink up and down port at the system's ring bus bandwidth; NVSwitch itself is non-blocking.
//    GPUs in one NVLink domain (a DGX node, or a whole NVL72 rack across nodes) reach each other over
//    [up(src), down(dst)];
//  - per NIC, an up and down port at nic_bandwidth * nic_efficiency; GPU l of a node uses NIC
//    floor(l * nics / gpus_per_node);
//  - fat tree: NICs fill leaf switches in order (node by node), leaf_radix NIC ports per leaf. Each leaf has
//    one pooled uplink and one pooled downlink resource of (ports * NIC rate) / oversubscription: traffic is
//    split evenly across the equal-cost spine paths (a fluid model of ECMP), so no hash collisions.
//    With tiers = 3, pods of pod_leaves leaves add a pooled pod uplink/downlink at 1:1;
//  - rail-optimized: NIC k of every node in a group of leaf_radix nodes connects to rail switch k of that
//    group; traffic on one rail in one group never leaves its switch; anything else crosses the spine
//    through the pooled rail-switch uplinks (same oversubscription rule). Inter-node traffic uses PXN: it
//    first moves over NVLink to the source node's GPU on the destination GPU's rail.
#pragma once

#include <functional>
#include <string>
#include <vector>
#include "sim/name_table.hpp"

#include "models/hardware/system_profile.hpp"
#include "sim/fluid_network.hpp"

namespace strata::models {

enum class TopologyKind { kFatTree, kRailOptimized };
inline constexpr sim::NameTable<TopologyKind, 2> kTopologyKindNames{
    {{{TopologyKind::kFatTree, "fat-tree"}, {TopologyKind::kRailOptimized, "rail-optimized"}}}};

struct TopologyOptions {
  TopologyKind kind = TopologyKind::kFatTree;
  double oversubscription = 1.0;  // >= 1: leaf (or rail switch) downlink capacity / uplink capacity
  int leaf_radix = 32;            // fat tree: NIC ports per leaf; rail-optimized: nodes per rail group
  int tiers = 2;                  // fat tree: 2 (leaf, spine) or 3 (leaf, pod, spine)
  int pod_leaves = 8;             // fat tree with 3 tiers: leaves per pod
};

class ClusterTopology {
 public:
  // Adds every resource to `network`. Throws sim::InputError for bad options (oversubscription < 1, radix <
  // 1, tiers not 2 or 3) or a node type without NICs used for more than one NVLink domain.
  // `nic_bandwidth`, when given, is each NIC's line rate per node (a degraded node's below the system's;
  // ClusterHardware::nic_bandwidth); the switches keep ports sized by the system's rate. `working_nic`, when
  // given, is the NIC traffic for a node's NIC leaves through (itself, or another when it is down:
  // ClusterHardware::working_nic); a down NIC carries nothing.
  ClusterTopology(sim::FluidNetwork& network, const SystemProfile& system, int nodes,
                  const TopologyOptions& options,
                  const std::function<sim::Bandwidth(int node)>& nic_bandwidth = nullptr,
                  const std::function<int(int node, int nic)>& working_nic = nullptr);

  int nodes() const { return nodes_; }
  int gpus_per_node() const { return gpus_per_node_; }
  int gpu_count() const { return nodes_ * gpus_per_node_; }
  bool same_nvlink_domain(int gpu_a, int gpu_b) const;

  // Resources crossed by traffic from one GPU to another (empty for a GPU to itself).
  std::vector<sim::ResourceId> path(int from_gpu, int to_gpu) const;
  sim::ResourceId nvlink_up(int gpu) const { return nvlink_up_[static_cast<std::size_t>(gpu)]; }
  sim::ResourceId nvlink_down(int gpu) const { return nvlink_down_[static_cast<std::size_t>(gpu)]; }
  // Inter-domain path that leaves `from_gpu`'s node on NIC `rail` and enters `to_gpu`'s node on NIC `rail`,
  // with NVLink hops to and from a GPU attached to that rail where the endpoints are not (NCCL's PXN).
  std::vector<sim::ResourceId> rail_path(int from_gpu, int to_gpu, int rail) const;
  // NIC-to-NIC path between two nodes on one rail (what a ring's node-crossing edge uses: NCCL lays rings out
  // so that the GPU leaving a node is attached to that NIC, and the receiving NIC writes to its GPU over
  // PCIe).
  std::vector<sim::ResourceId> nic_path(int from_node, int to_node, int rail) const;
  int nic_of(int gpu) const;  // local NIC index used by a GPU (its rail's, or the working one)
  int gpu_on_rail(int node, int rail) const;  // the first GPU of `node` attached to NIC `rail`
  int nics_per_node() const { return nics_per_node_; }

 private:
  int node_of(int gpu) const { return gpu / gpus_per_node_; }
  int rail_of(int gpu) const;  // the NIC a GPU is attached to, working or not
  void append_fabric(std::vector<sim::ResourceId>& path, int from_node, int from_nic, int to_node,
                     int to_nic) const;
  std::size_t port(int node, int nic) const { return static_cast<std::size_t>(node * nics_per_node_ + nic); }
  int working(int node, int nic) const { return working_.empty() ? nic : working_[port(node, nic)]; }

  TopologyOptions options_;
  int nodes_;
  int gpus_per_node_;
  int nics_per_node_;
  int domain_nodes_;  // nodes per NVLink domain
  std::vector<sim::ResourceId> nvlink_up_, nvlink_down_;
  std::vector<sim::ResourceId> nic_up_, nic_down_;  // by port(node, nic)
  std::vector<int> working_;         // by port(node, nic): the NIC its traffic uses (empty: every NIC works)
  std::vector<int> switch_of_port_;  // leaf (fat tree) or rail switch (rail-optimized)
  std::vector<sim::ResourceId> switch_up_, switch_down_;  // pooled uplinks per switch
  std::vector<sim::ResourceId> pod_up_, pod_down_;        // 3-tier fat tree
};

}  // namespace strata::models
