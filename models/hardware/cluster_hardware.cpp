#include "models/hardware/cluster_hardware.hpp"

#include <algorithm>

namespace strata::models {

int ClusterHardware::working_nic(int node, int nic) const {
  const std::vector<int>& down = nics_down(node);
  if (down.empty()) return nic;
  const int nics = system_->nics_per_node.value;
  for (int step = 0; step < nics; ++step) {
    const int candidate = (nic + step) % nics;
    if (!std::binary_search(down.begin(), down.end(), candidate)) return candidate;
  }
  return nic;  // every NIC down: refused where overrides are read (scenarios/cluster_fields.cpp)
}

void ClusterHardware::set_nics_down(int node, std::vector<int> nics) {
  nics_down_[node] = {std::move(nics), 1};
  const int count = system_->nics_per_node.value;
  std::vector<int> channels(static_cast<std::size_t>(std::max(count, 1)), 0);
  for (int nic = 0; nic < count; ++nic) ++channels[static_cast<std::size_t>(working_nic(node, nic))];
  nics_down_[node].busiest_channels = *std::max_element(channels.begin(), channels.end());
}

}  // namespace strata::models
