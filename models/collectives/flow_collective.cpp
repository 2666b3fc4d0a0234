#include "models/collectives/flow_collective.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <span>

#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"

namespace strata::models {
namespace {

using PlannedFlow = FlowCollectiveRunner::PlannedFlow;

// Per ring, the index in `members` (one node's GPUs of the communicator, ascending) of the GPU the ring
// leaves the node from. NCCL runs a channel per NIC, each through the GPU nearest it: ring r leaves from the
// GPU on rail r when that GPU is a member; the other rings leave from the members whose NICs the fewest rings
// use so far (the first such member), so a communicator holding part of a node (every other GPU, when TP
// spans nodes) spreads its rings over its members' NICs instead of doubling up on one. Without NICs: the last
// member.
std::vector<int> ring_exits(const ClusterTopology& topology, const std::vector<int>& members, int rings) {
  const int k = static_cast<int>(members.size());
  std::vector<int> exits(static_cast<std::size_t>(rings), k - 1);
  const int nics = topology.nics_per_node();
  if (nics <= 0) return exits;
  std::vector<int> nic_use(static_cast<std::size_t>(nics), 0);
  const auto nic = [&](int i) {
    return static_cast<std::size_t>(topology.nic_of(members[static_cast<std::size_t>(i)]));
  };
  std::vector<bool> placed(static_cast<std::size_t>(rings), false);
  for (int r = 0; r < rings; ++r) {
    const int rail_local = topology.gpu_on_rail(0, r % nics);
    for (int i = 0; i < k; ++i) {
      if (members[static_cast<std::size_t>(i)] % topology.gpus_per_node() != rail_local) continue;
      exits[static_cast<std::size_t>(r)] = i;
      placed[static_cast<std::size_t>(r)] = true;
      ++nic_use[nic(i)];
    }
  }
  for (int r = 0; r < rings; ++r) {
    if (placed[static_cast<std::size_t>(r)]) continue;
    int best = 0;
    for (int i = 1; i < k; ++i) {
      if (nic_use[nic(i)] < nic_use[nic(best)]) best = i;
    }
    exits[static_cast<std::size_t>(r)] = best;
    ++nic_use[nic(best)];
  }
  return exits;
}

// The communicator's GPUs in ring order for ring r: node by node (ascending); inside a node rotated so that
// the ring leaves the node from its exit (ring_exits, per node).
std::vector<int> ring_order(const std::vector<std::vector<int>>& by_node,
                            const std::vector<std::vector<int>>& exits, int r) {
  std::vector<int> order;
  for (std::size_t node = 0; node < by_node.size(); ++node) {
    const std::vector<int>& members = by_node[node];
    const int k = static_cast<int>(members.size());
    const int exit = exits[node][static_cast<std::size_t>(r)];
    for (int i = 1; i <= k; ++i) order.push_back(members[static_cast<std::size_t>((exit + i) % k)]);
  }
  return order;
}

// Every node's ring exits for `rings` rings.
std::vector<std::vector<int>> exits_by_node(const ClusterTopology& topology,
                                            const std::vector<std::vector<int>>& by_node, int rings) {
  std::vector<std::vector<int>> out;
  for (const std::vector<int>& members : by_node) out.push_back(ring_exits(topology, members, rings));
  return out;
}

// The GPUs grouped by node, ascending within each.
std::vector<std::vector<int>> by_node(const ClusterTopology& topology, std::span<const int> gpus) {
  std::map<int, std::vector<int>> nodes;
  for (int gpu : gpus) nodes[gpu / topology.gpus_per_node()].push_back(gpu);
  std::vector<std::vector<int>> out;
  for (auto& [node, members] : nodes) {
    std::sort(members.begin(), members.end());
    out.push_back(std::move(members));
  }
  return out;
}

// A ring edge: NVLink inside a domain; across domains NIC to NIC on the sending GPU's rail.
std::vector<sim::ResourceId> edge_path(const ClusterTopology& topology, int from, int to) {
  if (topology.same_nvlink_domain(from, to)) return topology.path(from, to);
  const int gpus = topology.gpus_per_node();
  return topology.nic_path(from / gpus, to / gpus, topology.nic_of(from));
}

// Every pair from a node's members to another's as one bundle (flow_collective.hpp): a flow of `pair_bytes`
// whose weight on each resource is the number of pairs whose path crosses it.
PlannedFlow node_pair_bundle(const ClusterTopology& topology, const std::vector<int>& from,
                             const std::vector<int>& to, double pair_bytes,
                             std::vector<std::pair<std::uint32_t, sim::ResourceId>>& uses) {
  uses.clear();
  for (int a : from) {
    for (int b : to) {
      for (const sim::ResourceId resource : topology.path(a, b)) uses.emplace_back(resource.index, resource);
    }
  }
  std::sort(uses.begin(), uses.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  PlannedFlow bundle{{}, pair_bytes, std::nullopt, {}};
  for (std::size_t i = 0; i < uses.size();) {
    std::size_t j = i;
    while (j < uses.size() && uses[j].first == uses[i].first) ++j;
    bundle.path.push_back(uses[i].second);
    bundle.weights.push_back(static_cast<double>(j - i));
    i = j;
  }
  return bundle;
}

std::vector<PlannedFlow> plan(const ClusterTopology& topology, const SystemProfile& system, CollectiveOp op,
                              sim::Bytes size, std::span<const int> gpus, const CollectiveScope& scope,
                              const CollectiveEstimate& analytic, std::size_t pair_flow_limit) {
  const int n = static_cast<int>(gpus.size());
  const std::vector<std::vector<int>> nodes = by_node(topology, gpus);
  const double bytes = size.as_double();
  const std::vector<std::vector<int>> one_ring = exits_by_node(topology, nodes, 1);
  std::vector<PlannedFlow> flows;
  const auto check_count = [](double count) {
    if (count > static_cast<double>(FlowCollectiveRunner::kMaxFlows)) {
      throw sim::InputError("flow-fidelity collective would need " +
                            std::to_string(static_cast<long long>(count)) + " flows (limit " +
                            std::to_string(FlowCollectiveRunner::kMaxFlows) +
                            "); use the analytic fidelity for this scope");
    }
  };
  switch (analytic.algorithm) {
    case CollectiveAlgorithm::kNone: break;
    case CollectiveAlgorithm::kNvls: {
      const double algbw = analytic.peak_busbw.bytes_per_s() / bus_bandwidth_factor(op, n);
      const auto cap = sim::Bandwidth::from_bytes_per_s(algbw);
      for (int gpu : ring_order(nodes, one_ring, 0)) {
        flows.push_back({{topology.nvlink_up(gpu)}, bytes, cap});
        flows.push_back({{topology.nvlink_down(gpu)}, bytes, cap});
      }
      break;
    }
    case CollectiveAlgorithm::kRing:
    case CollectiveAlgorithm::kNetwork: {
      const int rings =
          analytic.algorithm == CollectiveAlgorithm::kRing ? 1 : network_channels(system, scope);
      check_count(static_cast<double>(rings) * n);
      const bool chain = op == CollectiveOp::kBroadcast;
      const double per_edge = bytes / rings * bus_bandwidth_factor(op, n);
      const std::vector<std::vector<int>> exits = exits_by_node(topology, nodes, rings);
      for (int r = 0; r < rings; ++r) {
        const std::vector<int> order = ring_order(nodes, exits, r);
        for (int i = 0; i < n - (chain ? 1 : 0); ++i) {
          flows.push_back({edge_path(topology, order[static_cast<std::size_t>(i)],
                                     order[static_cast<std::size_t>((i + 1) % n)]),
                           per_edge, std::nullopt});
        }
      }
      break;
    }
    case CollectiveAlgorithm::kPairwise: {
      const double pairs = static_cast<double>(n) * (n - 1);
      if (pairs > static_cast<double>(pair_flow_limit) && nodes.size() > 1) {
        double inside = 0;
        for (const std::vector<int>& members : nodes)
          inside += static_cast<double>(members.size()) * static_cast<double>(members.size() - 1);
        const auto node_count = static_cast<double>(nodes.size());
        check_count(inside + node_count * (node_count - 1));
        std::vector<std::pair<std::uint32_t, sim::ResourceId>> uses;
        for (const std::vector<int>& from : nodes) {
          for (const std::vector<int>& to : nodes) {
            if (&from != &to) {
              flows.push_back(node_pair_bundle(topology, from, to, bytes / n, uses));
              continue;
            }
            for (int a : from) {
              for (int b : to) {
                if (a != b) flows.push_back({topology.path(a, b), bytes / n, std::nullopt});
              }
            }
          }
        }
        break;
      }
      check_count(pairs);
      const std::vector<int> order = ring_order(nodes, one_ring, 0);
      for (int from : order) {
        for (int to : order) {
          if (from != to) flows.push_back({topology.path(from, to), bytes / n, std::nullopt});
        }
      }
      break;
    }
    case CollectiveAlgorithm::kPointToPoint: {
      const std::vector<int> order = ring_order(nodes, one_ring, 0);
      if (n == 1) break;
      for (int i = 0; i < n; ++i) {
        flows.push_back(
            {topology.path(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>((i + 1) % n)]),
             bytes, std::nullopt});
      }
      break;
    }
  }
  return flows;
}

}  // namespace

FlowCollectiveRunner::FlowCollectiveRunner(sim::EventQueue& queue, sim::FluidNetwork& network,
                                           const ClusterTopology& topology, const SystemProfile& system)
    : queue_(queue), network_(network), topology_(topology), system_(system) {}

void FlowCollectiveRunner::start(CollectiveOp op, sim::Bytes size, const CollectiveScope& scope,
                                 Done on_done) {
  if (scope.nodes > topology_.nodes() || scope.gpus_per_node > topology_.gpus_per_node()) {
    throw sim::InputError("collective scope " + std::to_string(scope.nodes) + " x " +
                          std::to_string(scope.gpus_per_node) + " does not fit the cluster of " +
                          std::to_string(topology_.nodes()) + " x " +
                          std::to_string(topology_.gpus_per_node()) + " GPUs");
  }
  std::vector<int> gpus;
  for (int node = 0; node < scope.nodes; ++node) {
    for (int local = 0; local < scope.gpus_per_node; ++local)
      gpus.push_back(node * topology_.gpus_per_node() + local);
  }
  start(op, size, gpus, std::move(on_done));
}

void FlowCollectiveRunner::start(CollectiveOp op, sim::Bytes size, std::span<const int> gpus, Done on_done) {
  for (int gpu : gpus) {
    if (gpu < 0 || gpu >= topology_.gpu_count()) {
      throw sim::InputError("collective member GPU " + std::to_string(gpu) + " is outside the cluster of " +
                            std::to_string(topology_.gpu_count()) + " GPUs");
    }
  }
  const CollectiveScope scope = scope_of_gpus(gpus, topology_.gpus_per_node());
  const CollectiveEstimate analytic = analytic_collective(system_, op, size, scope);
  run(plan(topology_, system_, op, size, gpus, scope, analytic, pair_flow_limit_), op, size,
      std::max(scope.ranks(), 2), analytic, std::move(on_done));
}

void FlowCollectiveRunner::start_point_to_point(int from_gpu, int to_gpu, sim::Bytes size, Done on_done) {
  for (int gpu : {from_gpu, to_gpu}) {
    if (gpu < 0 || gpu >= topology_.gpu_count()) {
      throw sim::InputError("send/recv GPU " + std::to_string(gpu) + " is outside the cluster of " +
                            std::to_string(topology_.gpu_count()) + " GPUs");
    }
  }
  const int per_node = topology_.gpus_per_node();
  const bool same_node = from_gpu / per_node == to_gpu / per_node;
  const CollectiveEstimate analytic =
      analytic_collective(system_, CollectiveOp::kSendRecv, size, CollectiveScope{same_node ? 1 : 2, 1});
  std::vector<PlannedFlow> flows;
  if (from_gpu != to_gpu && analytic.algorithm != CollectiveAlgorithm::kNone) {
    flows.push_back({topology_.path(from_gpu, to_gpu), size.as_double(), std::nullopt});
  }
  run(std::move(flows), CollectiveOp::kSendRecv, size, 2, analytic, std::move(on_done));
}

void FlowCollectiveRunner::run(std::vector<PlannedFlow> flows, CollectiveOp op, sim::Bytes size, int ranks,
                               const CollectiveEstimate& analytic, Done on_done) {
  const sim::SimTime started = queue_.now();
  // Shared by the flows' callbacks: counts what is still running.
  auto remaining = std::make_shared<std::size_t>(flows.size());
  auto finish = [this, op, size, ranks, started, analytic, on_done = std::move(on_done)]() mutable {
    CollectiveEstimate estimate = analytic;
    if (size.count() == 0 || analytic.algorithm == CollectiveAlgorithm::kNone) {
      estimate.time = sim::SimTime::zero();
      if (on_done) on_done(estimate);
      return;
    }
    const double flow_seconds = (queue_.now() - started).seconds();
    double seconds = flow_seconds / analytic.ramp;
    if (analytic.latency_bound) {
      // NCCL's latency at this scale outlasts the ramp: keep it, and stretch its bandwidth part as the flows
      // were stretched by contention (uncontended, the analytic time).
      const double stretch = seconds / analytic.ramp_time.seconds();
      const double latency = analytic.nccl->latency.seconds();
      seconds = std::max(seconds, latency + (analytic.nccl->time.seconds() - latency) * stretch);
    }
    estimate.time = sim::SimTime::from_seconds(seconds);
    estimate.algbw = sim::Bandwidth::from_bytes_per_s(size.as_double() / seconds);
    estimate.busbw =
        sim::Bandwidth::from_bytes_per_s(estimate.algbw.bytes_per_s() * bus_bandwidth_factor(op, ranks));
    estimate.peak_busbw = sim::Bandwidth::from_bytes_per_s(estimate.busbw.bytes_per_s() / analytic.ramp);
    queue_.schedule_at(started + estimate.time, [estimate, on_done] {
      if (on_done) on_done(estimate);
    });
  };
  if (flows.empty()) {
    queue_.schedule_in(sim::SimTime::zero(), finish);
    return;
  }
  auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
  for (const PlannedFlow& flow : flows) {
    network_.start_flow(
        flow.path, flow.weights, sim::Bytes::from_count(static_cast<std::int64_t>(std::ceil(flow.bytes))),
        [remaining, shared_finish](sim::FlowId) {
          if (--*remaining == 0) (*shared_finish)();
        },
        flow.cap);
  }
}

CollectiveEstimate flow_collective(const SystemProfile& system, const TopologyOptions& options,
                                   CollectiveOp op, sim::Bytes size, const CollectiveScope& scope) {
  sim::EventQueue queue;
  sim::FluidNetwork network(queue, std::make_unique<sim::MaxMinFairSolver>());
  const ClusterTopology topology(network, system, scope.nodes, options);
  FlowCollectiveRunner runner(queue, network, topology, system);
  CollectiveEstimate result;
  runner.start(op, size, scope, [&](const CollectiveEstimate& estimate) { result = estimate; });
  queue.run();
  return result;
}

}  // namespace strata::models
