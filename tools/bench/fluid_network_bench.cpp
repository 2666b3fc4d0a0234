// fluid: flow-level network under churn. A two-level tree: 32 racks of 31 hosts, one link per host
// (50 GB/s) and one uplink per rack (400 GB/s, so about 3.9:1 oversubscribed), 1,024 resources in all.
// Keeps --concurrent flows (default 10,000) active between random host pairs; each departure starts a new
// flow, until --departures flows (default 20,000) have finished. Sizes uniform in 1..100 MB.
//
// Reports flow events (arrivals + departures) per second of wall time, bandwidth solves, and the mean
// solver time per recompute (measured around the solver alone).
// Usage: fluid_network_bench [--concurrent N] [--departures M]
#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "bench_args.hpp"
#include "sim/event_queue.hpp"
#include "sim/fluid_network.hpp"
#include "sim/max_min_fair_solver.hpp"
#include "sim/unit_parse.hpp"
#include "timing_solver.hpp"

namespace {

using strata::sim::ResourceId;

constexpr int kRacks = 32;
constexpr int kHostsPerRack = 31;

struct Churn {
  strata::sim::EventQueue queue;
  double solver_seconds = 0.0;
  std::uint64_t solver_calls = 0;
  strata::sim::FluidNetwork network{
      queue, std::make_unique<strata::tools::TimingSolver>(std::make_unique<strata::sim::MaxMinFairSolver>(),
                                                           solver_seconds, solver_calls)};
  std::vector<ResourceId> host_links;
  std::vector<ResourceId> rack_uplinks;
  std::mt19937_64 rng{20261122};
  std::int64_t arrivals = 0;
  std::int64_t departures = 0;
  std::int64_t departures_wanted = 0;

  void build() {
    for (int rack = 0; rack < kRacks; ++rack) {
      rack_uplinks.push_back(network.add_resource("rack" + std::to_string(rack) + "-up",
                                                  strata::sim::parse_bandwidth("400GB/s")));
      for (int host = 0; host < kHostsPerRack; ++host) {
        host_links.push_back(
            network.add_resource("rack" + std::to_string(rack) + "-host" + std::to_string(host),
                                 strata::sim::parse_bandwidth("50GB/s")));
      }
    }
  }

  void start_random_flow() {
    std::uniform_int_distribution<int> pick_host(0, kRacks * kHostsPerRack - 1);
    std::uniform_int_distribution<std::int64_t> pick_size(1'000'000, 100'000'000);
    const int source = pick_host(rng);
    int destination = pick_host(rng);
    while (destination == source) destination = pick_host(rng);
    std::vector<ResourceId> path{host_links[static_cast<std::size_t>(source)]};
    const int source_rack = source / kHostsPerRack;
    const int destination_rack = destination / kHostsPerRack;
    if (source_rack != destination_rack) {
      path.push_back(rack_uplinks[static_cast<std::size_t>(source_rack)]);
      path.push_back(rack_uplinks[static_cast<std::size_t>(destination_rack)]);
    }
    path.push_back(host_links[static_cast<std::size_t>(destination)]);
    ++arrivals;
    network.start_flow(path, strata::sim::Bytes::from_count(pick_size(rng)), [this](strata::sim::FlowId) {
      ++departures;
      if (departures < departures_wanted) start_random_flow();
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  using strata::tools::integer_argument;
  using strata::tools::print_figure;
  Churn churn;
  const std::int64_t concurrent = integer_argument(argc, argv, "--concurrent", 10'000);
  churn.departures_wanted = integer_argument(argc, argv, "--departures", 20'000);
  churn.build();

  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < concurrent; ++i) churn.start_random_flow();
  while (churn.departures < churn.departures_wanted && churn.queue.step()) {
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const double flow_events = static_cast<double>(churn.arrivals + churn.departures);
  print_figure("fluid.resources", static_cast<double>(churn.network.resource_count()), "resources");
  print_figure("fluid.concurrent_flows", static_cast<double>(concurrent), "flows");
  print_figure("fluid.flow_events", flow_events, "events");
  print_figure("fluid.flow_events_per_s", flow_events / seconds, "events/s");
  print_figure("fluid.solves", static_cast<double>(churn.solver_calls), "solves");
  print_figure("fluid.solver_us_per_recompute",
               churn.solver_seconds * 1e6 / static_cast<double>(churn.solver_calls), "us");
  print_figure("fluid.simulated_time", churn.queue.now().seconds(), "s");
  print_figure("fluid.wall_time", seconds, "s");
  return 0;
}
