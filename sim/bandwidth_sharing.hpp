// Bandwidth sharing as pure math: given resource capacities and flows (each a path over resources and an
// optional rate cap), decide every flow's rate. No clock, no events: testable on its own.
//
// Every implementation must return a feasible allocation: for each resource, the sum of the rates of the
// flows crossing it, each times its weight on that resource (counted once per occurrence in a path), is at
// most its capacity, and each rate is at most its flow's cap. A weight is what one unit of the flow's rate
// uses of the resource: 1 for bytes over a link; a fraction where a flow's rate is progress and it uses only
// part of the resource at full speed (sim/port_sharing.hpp). Implementations are interchangeable behind
// BandwidthSharingSolver.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

namespace strata::sim {

// The problem in compressed-row form; all rates and capacities in bytes per second.
struct SharingProblem {
  static constexpr double kUncapped = std::numeric_limits<double>::infinity();

  std::vector<double> capacities;  // per resource, > 0
  std::vector<std::uint32_t> path_offsets{
      0};  // flow f crosses path_resources[path_offsets[f] .. path_offsets[f+1])
  std::vector<std::uint32_t> path_resources;
  std::vector<double> path_weights;  // parallel to path_resources, > 0 (1 unless given)
  std::vector<double> rate_caps;     // per flow, > 0 or kUncapped

  std::size_t flow_count() const { return rate_caps.size(); }
  std::size_t resource_count() const { return capacities.size(); }
  void add_flow(std::span<const std::uint32_t> path, double rate_cap = kUncapped);
  // `weights` has one entry per path element.
  void add_flow(std::span<const std::uint32_t> path, std::span<const double> weights, double rate_cap);
  void clear_flows();
};

class BandwidthSharingSolver {
 public:
  virtual ~BandwidthSharingSolver() = default;
  // Writes one rate per flow into `rates` (size flow_count()). A flow with an empty path gets its cap; a flow
  // with an empty path and no cap is a SimulationError (its rate would be unbounded).
  virtual void solve(const SharingProblem& problem, std::span<double> rates) = 0;
  virtual std::string_view name() const = 0;
};

}  // namespace strata::sim
