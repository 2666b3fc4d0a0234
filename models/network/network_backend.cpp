#include "models/network/network_backend.hpp"

#include "models/network/analytic_backend.hpp"
#include "models/network/flow_backend.hpp"

namespace strata::models {

std::string_view network_fidelity_name(NetworkFidelity fidelity) {
  switch (fidelity) {
    case NetworkFidelity::kAnalytic: return "analytic";
    case NetworkFidelity::kFlow: return "flow";
  }
  return "analytic";
}

std::optional<NetworkFidelity> network_fidelity_from_name(std::string_view name) {
  for (NetworkFidelity fidelity : {NetworkFidelity::kAnalytic, NetworkFidelity::kFlow}) {
    if (network_fidelity_name(fidelity) == name) return fidelity;
  }
  return std::nullopt;
}

std::unique_ptr<NetworkBackend> make_network_backend(NetworkFidelity fidelity, sim::EventQueue& queue,
                                                     const ClusterHardware& hardware, int gpus,
                                                     const TopologyOptions& topology) {
  if (fidelity == NetworkFidelity::kFlow)
    return std::make_unique<FlowBackend>(queue, hardware, gpus, topology);
  return std::make_unique<AnalyticBackend>(queue, hardware);
}

}  // namespace strata::models
