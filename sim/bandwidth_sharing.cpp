#include "sim/bandwidth_sharing.hpp"

#include "sim/error.hpp"

namespace strata::sim {

void SharingProblem::add_flow(std::span<const std::uint32_t> path, double rate_cap) {
  path_resources.insert(path_resources.end(), path.begin(), path.end());
  path_weights.insert(path_weights.end(), path.size(), 1.0);
  path_offsets.push_back(static_cast<std::uint32_t>(path_resources.size()));
  rate_caps.push_back(rate_cap);
}

void SharingProblem::add_flow(std::span<const std::uint32_t> path, std::span<const double> weights,
                              double rate_cap) {
  STRATA_ASSERT(weights.size() == path.size(), "one weight per path element");
  for (double weight : weights) STRATA_ASSERT(weight > 0.0, "path weights are positive");
  path_resources.insert(path_resources.end(), path.begin(), path.end());
  path_weights.insert(path_weights.end(), weights.begin(), weights.end());
  path_offsets.push_back(static_cast<std::uint32_t>(path_resources.size()));
  rate_caps.push_back(rate_cap);
}

void SharingProblem::clear_flows() {
  path_offsets.assign(1, 0);
  path_resources.clear();
  path_weights.clear();
  rate_caps.clear();
}

}  // namespace strata::sim
