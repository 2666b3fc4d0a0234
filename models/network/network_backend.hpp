// The network as the executor sees it (DESIGN.md, "Engine"): something that carries a collective, a
// point-to-point transfer or a transfer between memory tiers and says when each ends. The executor decides
// when a transfer may start (its stream, its dependencies, the rendezvous of its members); the back end
// decides how long it takes given everything else it is carrying.
//
// Two back ends, chosen per run (NetworkFidelity):
//  - analytic (analytic_backend.hpp): calibrated time curves for each transfer alone, stretched only where
//    concurrent transfers need more of a GPU's NVLink, NIC share or host link than it has; fast, for search;
//  - flow (flow_backend.hpp): each transfer as flows on the cluster topology (links, switches with
//    oversubscription, rails, memory tiers) shared by max-min fairness; for contention and topology
//    questions.
// Where nothing contends, both give the same times (tests/models/network_backend_test.cpp).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "models/collectives/collective_op.hpp"
#include "models/hardware/cluster_hardware.hpp"
#include "models/topology/cluster_topology.hpp"
#include "models/topology/memory_tier.hpp"
#include "sim/event_queue.hpp"
#include "sim/units.hpp"

namespace strata::models {

enum class NetworkFidelity { kAnalytic, kFlow };
std::string_view network_fidelity_name(NetworkFidelity fidelity);  // "analytic", "flow"
std::optional<NetworkFidelity> network_fidelity_from_name(std::string_view name);

// One collective call. `gpus` is the whole communicator, which sets its cost (size, nodes spanned, NCCL's
// algorithm); `carriers` are the members whose GPUs the simulation instantiates (all of `gpus`, or one GPU
// standing for symmetric peers), whose ports carry its traffic.
struct CollectiveCall {
  CollectiveOp op = CollectiveOp::kAllReduce;
  sim::Bytes bytes;
  std::span<const int> gpus;
  std::span<const int> carriers;
};

class NetworkBackend {
 public:
  using Done = std::function<void()>;

  virtual ~NetworkBackend() = default;
  virtual NetworkFidelity fidelity() const = 0;

  // Each starts the transfer now and calls `done` (once) when it ends.
  virtual void collective(const CollectiveCall& call, Done done) = 0;
  virtual void point_to_point(int from_gpu, int to_gpu, sim::Bytes bytes, Done done) = 0;
  virtual void tier_transfer(int gpu, MemoryTier from, MemoryTier to, sim::Bytes bytes, Done done) = 0;
};

// The back end of `fidelity` on `queue` for a cluster of `gpus` GPUs. `topology` shapes the flow back end's
// inter-node network; the analytic one has none and must be given the default options.
std::unique_ptr<NetworkBackend> make_network_backend(NetworkFidelity fidelity, sim::EventQueue& queue,
                                                     const ClusterHardware& hardware, int gpus,
                                                     const TopologyOptions& topology = {});

}  // namespace strata::models
