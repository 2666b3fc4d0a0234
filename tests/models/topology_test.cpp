// Topology sensitivity on the flow fidelity, derived by hand.
#include <catch2/catch.hpp>
#include <memory>

#include "models/collectives/flow_collective.hpp"
#include "models/topology/cluster_topology.hpp"
#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"
#include "synthetic_system.hpp"

using namespace strata::models;
using strata::sim::Bytes;

namespace {

// Rate of one of four flows that each cross the core: 4 nodes of 1 GPU and 1 NIC (25 GB/s), two leaves of two
// NIC ports. Node i sends to node (i + 2) mod 4, so every flow leaves its leaf. Leaf uplinks carry 2 flows
// each and have 2 * 25 / oversubscription GB/s: at 1:1 each flow gets its NIC's 25 GB/s; at 2:1, 12.5.
double crossing_rate(double oversubscription) {
  strata::sim::EventQueue queue;
  strata::sim::FluidNetwork network(queue, std::make_unique<strata::sim::MaxMinFairSolver>());
  const SystemProfile system = synthetic_system(1, 1);
  TopologyOptions options;
  options.oversubscription = oversubscription;
  options.leaf_radix = 2;
  const ClusterTopology topology(network, system, 4, options);
  std::vector<strata::sim::FlowId> flows;
  for (int node = 0; node < 4; ++node) {
    flows.push_back(network.start_flow(topology.path(node, (node + 2) % 4), Bytes::from_gib(1), {}));
  }
  return network.rate(flows.front()).gb_per_s();
}

double flow_time(const SystemProfile& system, TopologyOptions options, CollectiveOp op,
                 const CollectiveScope& scope) {
  return flow_collective(system, options, op, Bytes::from_gib(1), scope).time.seconds();
}

}  // namespace

TEST_CASE("a 2:1 oversubscribed fat tree halves traffic crossing the core under full load", "[topology]") {
  CHECK(crossing_rate(1.0) == Approx(25.0));
  CHECK(crossing_rate(2.0) == Approx(12.5));
}

TEST_CASE("two concurrent collectives on the same links each get half", "[topology]") {
  // Ring all-reduce on 4 GPUs (no NVLS at 4): alone, 2^30 * 1.5 / 100e9 s. Two at once share every NVLink
  // port, so each takes twice as long.
  const SystemProfile system = synthetic_system();
  strata::sim::EventQueue queue;
  strata::sim::FluidNetwork network(queue, std::make_unique<strata::sim::MaxMinFairSolver>());
  const ClusterTopology topology(network, system, 1, TopologyOptions{});
  FlowCollectiveRunner runner(queue, network, topology, system);
  std::vector<double> times;
  for (int i = 0; i < 2; ++i) {
    runner.start(CollectiveOp::kAllReduce, Bytes::from_gib(1), {1, 4},
                 [&](const CollectiveEstimate& estimate) { times.push_back(estimate.time.seconds()); });
  }
  queue.run();
  const double alone = 1073741824.0 * 1.5 / 100e9;
  REQUIRE(times.size() == 2);
  CHECK(times[0] == Approx(2 * alone));
  CHECK(times[1] == Approx(2 * alone));
  CHECK(flow_time(system, {}, CollectiveOp::kAllReduce, {1, 4}) == Approx(alone));
}

TEST_CASE("flow and analytic fidelity agree when nothing contends", "[topology]") {
  const SystemProfile system = synthetic_system();
  for (CollectiveOp op : kAllCollectiveOps) {
    for (const CollectiveScope scope :
         {CollectiveScope{1, 8}, CollectiveScope{1, 4}, CollectiveScope{4, 8}}) {
      INFO(collective_op_name(op) << " on " << scope.nodes << " x " << scope.gpus_per_node);
      const double analytic = analytic_collective(system, op, Bytes::from_gib(1), scope).time.seconds();
      CHECK(flow_time(system, {}, op, scope) == Approx(analytic).epsilon(0.01));
    }
  }
}

TEST_CASE("across nodes with one NIC per GPU, the network hop relieves NVLink", "[topology]") {
  // 8 NICs of 25 GB/s per node: NICs allow 200 GB/s; each GPU sends over NVLink in 7 of 8 channels, so NVLink
  // allows 100 * 8/7 = 114.29 GB/s busbw. Both fidelities agree on it.
  const SystemProfile system = synthetic_system(8, 8);
  const auto scope = CollectiveScope{2, 8};
  const CollectiveEstimate analytic =
      analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), scope);
  CHECK(analytic.busbw.gb_per_s() == Approx(100.0 * 8 / 7));
  CHECK(flow_time(system, {}, CollectiveOp::kAllReduce, scope) ==
        Approx(analytic.time.seconds()).epsilon(0.01));
  // One GPU per node: no NVLink hop at all; the single NIC (25 GB/s) limits.
  const SystemProfile single = synthetic_system(1, 1);
  CHECK(analytic_collective(single, CollectiveOp::kAllReduce, Bytes::from_gib(1), {4, 1}).busbw.gb_per_s() ==
        Approx(25.0));
  CHECK(
      flow_time(single, {}, CollectiveOp::kAllReduce, {4, 1}) ==
      Approx(analytic_collective(single, CollectiveOp::kAllReduce, Bytes::from_gib(1), {4, 1}).time.seconds())
          .epsilon(0.01));
}

TEST_CASE("a communicator of every other GPU spreads its rings over its own NICs", "[topology]") {
  // TP across nodes (placement "dp-tp"): a ring of the even GPUs of 2 nodes of 8 GPUs and 8 NICs. Its four
  // rings leave each node from four different GPUs, so it takes what the first four GPUs of each node take,
  // not twice that (two rings through one NIC), and the odd GPUs' ring beside it uses the other four NICs.
  const SystemProfile system = synthetic_system(8, 8);
  const auto time_of = [&](std::vector<std::vector<int>> groups) {
    strata::sim::EventQueue queue;
    strata::sim::FluidNetwork network(queue, std::make_unique<strata::sim::MaxMinFairSolver>());
    const ClusterTopology topology(network, system, 2, TopologyOptions{});
    FlowCollectiveRunner runner(queue, network, topology, system);
    double longest = 0;
    for (const std::vector<int>& gpus : groups) {
      runner.start(CollectiveOp::kAllGather, Bytes::from_gib(1), gpus,
                   [&](const CollectiveEstimate& e) { longest = std::max(longest, e.time.seconds()); });
    }
    queue.run();
    return longest;
  };
  const double first_four = time_of({{0, 1, 2, 3, 8, 9, 10, 11}});
  CHECK(time_of({{0, 2, 4, 6, 8, 10, 12, 14}}) == Approx(first_four).epsilon(0.01));
  CHECK(time_of({{0, 2, 4, 6, 8, 10, 12, 14}, {1, 3, 5, 7, 9, 11, 13, 15}}) ==
        Approx(first_four).epsilon(0.01));
}

TEST_CASE("a GPU whose NIC is down reaches the next working NIC over NVLink", "[topology]") {
  const SystemProfile system = synthetic_system(8, 8);
  strata::sim::EventQueue queue;
  strata::sim::FluidNetwork network(queue, std::make_unique<strata::sim::MaxMinFairSolver>());
  // NIC 3 of node 1 is down; its traffic leaves through NIC 4.
  const ClusterTopology topology(network, system, 2, TopologyOptions{}, nullptr,
                                 [](int node, int nic) { return node == 1 && nic == 3 ? 4 : nic; });
  CHECK(topology.nic_of(3) == 3);
  CHECK(topology.nic_of(8 + 3) == 4);
  const auto names = [&](const std::vector<strata::sim::ResourceId>& path) {
    std::vector<std::string> out;
    for (const strata::sim::ResourceId r : path) out.push_back(network.resource_name(r));
    return out;
  };
  // GPU 11 sends through GPU 12's NVLink port and node 1's NIC 4 (both NICs on one leaf); GPU 3 receives it
  // on its own NIC.
  CHECK(names(topology.path(11, 3)) ==
        std::vector<std::string>{"gpu11/nvlink-up", "gpu12/nvlink-down", "node1/nic4-up", "node0/nic3-down"});
  // A ring edge into node 1 on rail 3 lands on NIC 4 there.
  CHECK(names(topology.nic_path(0, 1, 3)).back() == "node1/nic4-down");
}

TEST_CASE("all-to-all node-pair bundles give what the pairs give, at a fraction of the flows", "[topology]") {
  const SystemProfile system = synthetic_system(8, 4);
  // The all-to-all's time over 8 nodes, pair by pair (limit above its 4,032 pairs) or bundled (limit 0),
  // optionally beside a larger all-to-all over nodes 0 and 1 that contends for their NICs.
  const auto time_of = [&](TopologyOptions options, std::size_t pair_limit, bool neighbour) {
    strata::sim::EventQueue queue;
    strata::sim::FluidNetwork network(queue, std::make_unique<strata::sim::MaxMinFairSolver>());
    const ClusterTopology topology(network, system, 8, options);
    FlowCollectiveRunner runner(queue, network, topology, system);
    runner.set_pair_flow_limit(pair_limit);
    double seconds = 0;
    runner.start(CollectiveOp::kAllToAll, Bytes::from_gib(1), {8, 8},
                 [&](const CollectiveEstimate& e) { seconds = e.time.seconds(); });
    if (neighbour) runner.start(CollectiveOp::kAllToAll, Bytes::from_gib(8), {2, 8}, nullptr);
    queue.run();
    return seconds;
  };
  TopologyOptions oversubscribed;
  oversubscribed.oversubscription = 2;
  oversubscribed.leaf_radix = 8;
  TopologyOptions rails;
  rails.kind = TopologyKind::kRailOptimized;
  rails.leaf_radix = 4;
  rails.oversubscription = 2;
  for (const TopologyOptions& options : {TopologyOptions{}, oversubscribed, rails}) {
    INFO(kTopologyKindNames.name(options.kind) << " " << options.oversubscription << ":1");
    CHECK(time_of(options, 0, false) == Approx(time_of(options, 1'000'000, false)).epsilon(1e-6));
    // Beside other traffic the bundle moves at its slowest pair's pace, as the exchange does: it ends when
    // its last pair does.
    CHECK(time_of(options, 0, true) == Approx(time_of(options, 1'000'000, true)).epsilon(0.02));
  }
  // The neighbour does contend on the non-blocking tree (its nodes' NICs): 0.075 s alone, 0.086 s beside it.
  CHECK(time_of({}, 0, true) > 1.1 * time_of({}, 0, false));
  // 1,024 GPUs: 1,047,552 pairs were over the flow limit; as bundles, 16,256 node pairs and 7,168 pairs
  // inside nodes.
  const SystemProfile big = synthetic_system(8, 8);
  CHECK(flow_time(big, {}, CollectiveOp::kAllToAll, {128, 8}) ==
        Approx(analytic_collective(big, CollectiveOp::kAllToAll, Bytes::from_gib(1), {128, 8}).time.seconds())
            .epsilon(0.01));
}

TEST_CASE("rail-optimized keeps cross-node all-to-all off an oversubscribed core", "[topology]") {
  // 8 nodes x 8 GPUs, 4 NICs each = 32 NIC ports. Fat tree, 8 ports per leaf: 4 leaves of 2 nodes, so 6/7 of
  // the off-node traffic crosses the 2:1 core. Rail-optimized with 8-node groups: every rail is one switch
  // and PXN keeps each transfer on its rail, so the core is never crossed and the 2:1 ratio does not matter.
  const SystemProfile system = synthetic_system();
  const CollectiveScope scope{8, 8};
  TopologyOptions fat_tree;
  fat_tree.leaf_radix = 8;
  fat_tree.oversubscription = 2.0;
  TopologyOptions rails = fat_tree;
  rails.kind = TopologyKind::kRailOptimized;
  TopologyOptions rails_full = rails;
  rails_full.oversubscription = 1.0;
  const double on_fat_tree = flow_time(system, fat_tree, CollectiveOp::kAllToAll, scope);
  const double on_rails = flow_time(system, rails, CollectiveOp::kAllToAll, scope);
  CHECK(on_rails < on_fat_tree * 0.8);
  CHECK(on_rails == Approx(flow_time(system, rails_full, CollectiveOp::kAllToAll, scope)));
}

TEST_CASE("NVLS beats the ring for all-reduce where the switch reduces", "[topology]") {
  // At 8 GPUs NVLS runs at 150 GB/s busbw against the ring's 100: 2/3 of the time, at both fidelities.
  SystemProfile system = synthetic_system();
  const double with_nvls = flow_time(system, {}, CollectiveOp::kAllReduce, {1, 8});
  system.collectives.nvls_busbw_by_gpus.value.clear();
  const double ring_only = flow_time(system, {}, CollectiveOp::kAllReduce, {1, 8});
  CHECK(with_nvls / ring_only == Approx(100.0 / 150.0));
}

TEST_CASE("three-tier fat trees and bad options", "[topology]") {
  strata::sim::EventQueue queue;
  strata::sim::FluidNetwork network(queue, std::make_unique<strata::sim::MaxMinFairSolver>());
  const SystemProfile system = synthetic_system(1, 1);
  TopologyOptions options;
  options.tiers = 3;
  options.leaf_radix = 2;
  options.pod_leaves = 2;
  const ClusterTopology topology(network, system, 8, options);
  // Node 0 -> node 1: same leaf (2 resources); -> node 2: other leaf, same pod (4); -> node 4: other pod (6).
  CHECK(topology.path(0, 1).size() == 2);
  CHECK(topology.path(0, 2).size() == 4);
  CHECK(topology.path(0, 4).size() == 6);
  options.oversubscription = 0.5;
  CHECK_THROWS_AS(ClusterTopology(network, system, 2, options), strata::sim::InputError);
  options.oversubscription = 1.0;
  options.tiers = 4;
  CHECK_THROWS_AS(ClusterTopology(network, system, 2, options), strata::sim::InputError);
}
