#include "models/collectives/flow_collective.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"

namespace strata::models {
namespace {

struct PlannedFlow {
  std::vector<sim::ResourceId> path;
  double bytes;
  std::optional<sim::Bandwidth> cap;
};

// GPUs of the scope in ring order for ring r: node by node; inside a node rotated so that the ring leaves
// the node from the GPU attached to NIC r (rings cross nodes on different rails, as NCCL's channels do).
std::vector<int> ring_order(const ClusterTopology& topology, const CollectiveScope& scope, int r) {
  const int exit_local = topology.nics_per_node() > 0
                             ? topology.gpu_on_rail(0, r % topology.nics_per_node()) % scope.gpus_per_node
                             : scope.gpus_per_node - 1;
  std::vector<int> order;
  for (int node = 0; node < scope.nodes; ++node) {
    for (int i = 1; i <= scope.gpus_per_node; ++i) {
      order.push_back(node * topology.gpus_per_node() + (exit_local + i) % scope.gpus_per_node);
    }
  }
  return order;
}

// A ring edge: NVLink inside a domain; across domains NIC to NIC on the sending GPU's rail.
std::vector<sim::ResourceId> edge_path(const ClusterTopology& topology, int from, int to) {
  if (topology.same_nvlink_domain(from, to)) return topology.path(from, to);
  const int gpus = topology.gpus_per_node();
  return topology.nic_path(from / gpus, to / gpus, topology.nic_of(from));
}

std::vector<PlannedFlow> plan(const ClusterTopology& topology, const SystemProfile& system, CollectiveOp op,
                              sim::Bytes size, const CollectiveScope& scope, const CollectiveEstimate& analytic) {
  const int n = scope.ranks();
  const double bytes = size.as_double();
  std::vector<PlannedFlow> flows;
  const auto check_count = [](double count) {
    if (count > static_cast<double>(FlowCollectiveRunner::kMaxFlows)) {
      throw sim::InputError("flow-fidelity collective would need " + std::to_string(static_cast<long long>(count)) +
                            " flows (limit " + std::to_string(FlowCollectiveRunner::kMaxFlows) +
                            "); use the analytic fidelity for this scope");
    }
  };
  switch (analytic.algorithm) {
    case CollectiveAlgorithm::kNone:
      break;
    case CollectiveAlgorithm::kNvls: {
      const double algbw = analytic.peak_busbw.bytes_per_s() / bus_bandwidth_factor(op, n);
      const auto cap = sim::Bandwidth::from_bytes_per_s(algbw);
      for (int gpu : ring_order(topology, scope, 0)) {
        flows.push_back({{topology.nvlink_up(gpu)}, bytes, cap});
        flows.push_back({{topology.nvlink_down(gpu)}, bytes, cap});
      }
      break;
    }
    case CollectiveAlgorithm::kRing:
    case CollectiveAlgorithm::kNetwork: {
      const int rings = analytic.algorithm == CollectiveAlgorithm::kRing ? 1 : network_channels(system, scope);
      check_count(static_cast<double>(rings) * n);
      const bool chain = op == CollectiveOp::kBroadcast;
      const double per_edge = bytes / rings * bus_bandwidth_factor(op, n);
      for (int r = 0; r < rings; ++r) {
        const std::vector<int> order = ring_order(topology, scope, r);
        for (int i = 0; i < n - (chain ? 1 : 0); ++i) {
          flows.push_back({edge_path(topology, order[static_cast<std::size_t>(i)],
                                     order[static_cast<std::size_t>((i + 1) % n)]),
                           per_edge, std::nullopt});
        }
      }
      break;
    }
    case CollectiveAlgorithm::kPairwise: {
      check_count(static_cast<double>(n) * (n - 1));
      const std::vector<int> order = ring_order(topology, scope, 0);
      for (int from : order) {
        for (int to : order) {
          if (from != to) flows.push_back({topology.path(from, to), bytes / n, std::nullopt});
        }
      }
      break;
    }
    case CollectiveAlgorithm::kPointToPoint: {
      const std::vector<int> order = ring_order(topology, scope, 0);
      if (n == 1) break;
      for (int i = 0; i < n; ++i) {
        flows.push_back({topology.path(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>((i + 1) % n)]),
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

void FlowCollectiveRunner::start(CollectiveOp op, sim::Bytes size, const CollectiveScope& scope, Done on_done) {
  if (scope.nodes > topology_.nodes() || scope.gpus_per_node > topology_.gpus_per_node()) {
    throw sim::InputError("collective scope " + std::to_string(scope.nodes) + " x " + std::to_string(scope.gpus_per_node) +
                          " does not fit the cluster of " + std::to_string(topology_.nodes()) + " x " +
                          std::to_string(topology_.gpus_per_node()) + " GPUs");
  }
  CollectiveEstimate analytic = analytic_collective(system_, op, size, scope);
  const std::vector<PlannedFlow> flows = plan(topology_, system_, op, size, scope, analytic);
  const sim::SimTime started = queue_.now();
  const int ranks = std::max(scope.ranks(), 2);
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
    const double seconds = flow_seconds / analytic.ramp;
    estimate.time = sim::SimTime::from_seconds(seconds);
    estimate.algbw = sim::Bandwidth::from_bytes_per_s(size.as_double() / seconds);
    estimate.busbw = sim::Bandwidth::from_bytes_per_s(estimate.algbw.bytes_per_s() * bus_bandwidth_factor(op, ranks));
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
    network_.start_flow(flow.path, sim::Bytes::from_count(static_cast<std::int64_t>(std::ceil(flow.bytes))),
                        [remaining, shared_finish](sim::FlowId) {
                          if (--*remaining == 0) (*shared_finish)();
                        },
                        flow.cap);
  }
}

CollectiveEstimate flow_collective(const SystemProfile& system, const TopologyOptions& options, CollectiveOp op,
                                   sim::Bytes size, const CollectiveScope& scope) {
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
