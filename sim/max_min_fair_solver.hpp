// Max-min fair bandwidth sharing by progressive filling (Bertsekas & Gallager, "Data Networks", 2nd ed.,
// section 6.5.2): all unfrozen flows grow at the same rate; when a resource saturates, the flows crossing it
// freeze at the current level; a flow also freezes when it reaches its own cap. The result is the unique
// max-min fair allocation: no flow can get more without taking from a flow that has no more. With path
// weights a resource fills at the sum of its unfrozen flows' weights per unit of level (weighted progressive
// filling); with unit weights this is the sum of their counts, computed the same way.
//
// Cost per solve: O(L * (R_active + P)) where L is the number of distinct fill levels, R_active the resources
// crossed by at least one flow and P the total path length. Work buffers are kept between solves.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/bandwidth_sharing.hpp"

namespace strata::sim {

class MaxMinFairSolver final : public BandwidthSharingSolver {
 public:
  void solve(const SharingProblem& problem, std::span<double> rates) override;
  std::string_view name() const override { return "max-min"; }

 private:
  void index_flows_by_resource(const SharingProblem& problem);
  void freeze_flow(const SharingProblem& problem, std::uint32_t flow, double level, std::span<double> rates);

  std::vector<double> remaining_;              // per resource: capacity not yet given to frozen flows
  std::vector<std::uint32_t> unfrozen_count_;  // per resource: unfrozen flows crossing it (with multiplicity)
  std::vector<double> unfrozen_weight_;        // per resource: their summed weights
  std::vector<std::uint32_t> active_;          // resources with unfrozen_count_ > 0
  std::vector<std::uint32_t>
      resource_offsets_;  // flows crossing resource r: resource_flows_[offsets[r]..offsets[r+1])
  std::vector<std::uint32_t> resource_flows_;
  std::vector<std::uint32_t> capped_by_cap_;  // capped flows, ascending cap
  std::vector<char> frozen_;
};

}  // namespace strata::sim
