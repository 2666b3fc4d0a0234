#include "sim/bandwidth_sharing.hpp"

namespace strata::sim {

void SharingProblem::add_flow(std::span<const std::uint32_t> path, double rate_cap) {
  path_resources.insert(path_resources.end(), path.begin(), path.end());
  path_offsets.push_back(static_cast<std::uint32_t>(path_resources.size()));
  rate_caps.push_back(rate_cap);
}

void SharingProblem::clear_flows() {
  path_offsets.assign(1, 0);
  path_resources.clear();
  rate_caps.clear();
}

}  // namespace strata::sim
