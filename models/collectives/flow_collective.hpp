// Flow-fidelity collectives: each collective becomes flows on the cluster topology, so concurrent collectives
// and other traffic contend for the same links. Slower than analytic; for contention and topology questions.
//
// Decomposition (the algorithm is the one the analytic model picks for the same op and scope):
//  - ring (inside an NVLink domain) and ring-over-network (across nodes): R rings, R = 1 inside a domain and
//    R = the NICs the scope uses per node across nodes (NCCL runs one channel per NIC); ring r crosses
//    between nodes on rail r (PXN). Every ring edge carries size / R * bus_bandwidth_factor bytes as one
//    flow: the chunks of a pipelined ring stream continuously, so an edge's flow lasts as long as the
//    collective. Broadcast is a chain (no closing edge).
//  - NVLS all-reduce: each GPU sends its buffer up to the switch and receives the reduced buffer, two flows
//  of
//    `size`, each capped at the NVLS algorithm bandwidth (the switch's reduction rate).
//  - all-to-all: one flow of size / n from every GPU to every other (pairwise exchange). Beyond
//    kMaxPairFlows pairs, the pairs between two nodes travel as one bundle: a flow of one pair's bytes that
//    uses each resource as many times as the pairs crossing it (weights, sim/bandwidth_sharing.hpp), which is
//    exactly those pairs where they run at one rate (a symmetric exchange; a test checks both agree), and
//    n^2 / GPUs-per-node^2 flows instead of n^2 (a 4,096-GPU all-to-all: 262,144 instead of 16.8 million).
//    Pairs inside a node stay flows of their own.
//  - send/recv: GPU i sends `size` to GPU i+1 (mod n), as nccl-tests' sendrecv_perf does.
// The measured size ramp then stretches the flow time: time = (flows' completion time) / size_ramp(size),
// so an uncontended flow collective takes what the analytic model predicts.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "models/collectives/analytic_collective.hpp"
#include "models/topology/cluster_topology.hpp"
#include "sim/event_queue.hpp"

namespace strata::models {

class FlowCollectiveRunner {
 public:
  using Done = std::function<void(const CollectiveEstimate&)>;

  // All references must outlive the runner and every collective it starts.
  FlowCollectiveRunner(sim::EventQueue& queue, sim::FluidNetwork& network, const ClusterTopology& topology,
                       const SystemProfile& system);

  // Starts `op` now over `scope` (nodes 0..scope.nodes-1 of the topology, first gpus_per_node GPUs of each).
  // `on_done` runs when it completes. Throws sim::InputError when the scope does not fit the topology or the
  // decomposition would need more than kMaxFlows flows.
  void start(CollectiveOp op, sim::Bytes size, const CollectiveScope& scope, Done on_done);
  // The same over any communicator: `gpus` (global indices, GPU g on node g / GPUs per node) in any order;
  // rings run node by node in ascending order.
  void start(CollectiveOp op, sim::Bytes size, std::span<const int> gpus, Done on_done);
  // One send/recv of `size` bytes from one GPU to another over their path in the topology, stretched by the
  // measured ramp as the analytic send/recv (one NVLink, or one NIC across nodes).
  void start_point_to_point(int from_gpu, int to_gpu, sim::Bytes size, Done on_done);

  static constexpr std::size_t kMaxFlows = 1'000'000;
  // All-to-all pairs above which node pairs travel as bundles (a 256-GPU exchange still runs pair by pair).
  static constexpr std::size_t kMaxPairFlows = 65'536;
  // Bundles all-to-all node pairs above `pairs` pairs instead (kMaxPairFlows by default; tests compare both).
  void set_pair_flow_limit(std::size_t pairs) { pair_flow_limit_ = pairs; }

  struct PlannedFlow {
    std::vector<sim::ResourceId> path;
    double bytes;
    std::optional<sim::Bandwidth> cap;
    std::vector<double> weights = {};  // per path element; empty: 1 each
  };

 private:
  void run(std::vector<PlannedFlow> flows, CollectiveOp op, sim::Bytes size, int ranks,
           const CollectiveEstimate& analytic, Done on_done);

  sim::EventQueue& queue_;
  sim::FluidNetwork& network_;
  const ClusterTopology& topology_;
  const SystemProfile& system_;
  std::size_t pair_flow_limit_ = kMaxPairFlows;
};

// One collective alone on a fresh cluster of scope.nodes nodes: builds the network and topology, runs it.
CollectiveEstimate flow_collective(const SystemProfile& system, const TopologyOptions& topology,
                                   CollectiveOp op, sim::Bytes size, const CollectiveScope& scope);

}  // namespace strata::models
