// Analytic (calibrated-curve) collective times: fast, for search. No network simulation: the time of one
// collective running alone.
//
// Model, with every parameter from the system profile's "collectives" section:
//   busbw(size) = peak_busbw(op, algorithm, scope) * size_ramp(size)
//   time        = size * bus_bandwidth_factor(op, ranks) / busbw(size)
// Peak bus bandwidth:
//   - inside one NVLink domain: the ring busbw; for all-reduce NCCL's choice between ring and NVLS, i.e. the
//     larger of ring_busbw and nvls_busbw_by_gpus[gpus] where NVLS lists that GPU count;
//   - across nodes (NCCL rings through every node, one channel per NIC): the slower of the node's NICs,
//     channels * nic_bandwidth * nic_efficiency, and NVLink, ring_busbw / share, where share is the part of
//     the bus bytes the busiest GPU still sends over NVLink: each channel leaves a node over the network
//     instead of one NVLink hop, so with one NIC per GPU share = (G-1)/G (flow_collective.hpp does the same
//     with flows);
//   - all-to-all across nodes: NCCL cannot pool NICs for all-to-all (record nic_cx7_ndr_achievable), so each
//     GPU's off-node share (nodes-1)/nodes of its data goes through its own share of the NICs;
//   - send/recv: one NVLink (at the ring's effective rate) inside a domain, one NIC across.
// The size ramp (measured NCCL efficiency by message size) is applied to every op and scope alike; it was
// measured for all-reduce inside one node, so its use elsewhere is an approximation stated in the report.
// A send/recv of b bytes takes the ramp at G x b (G = GPUs per node): an all-reduce over the node's G GPUs
// moves S / G per ring step, and its bus bandwidth is that step's throughput.
// Scale: the ramp was measured on one node, so it knows nothing of the latency that grows with ranks and
// nodes. For all-reduce, all-gather and reduce-scatter the time is the larger of the ramp's and NCCL's own
// model for the scope (nccl_cost_model.hpp: NCCL's algorithm and protocol choice, its latency per ring step
// and tree level, on the calibrated bandwidth). Inside one node the measured curve is the slower of the two
// at every size on the shipped systems (NCCL's model is optimistic at medium sizes, which its own tree
// correction factors admit); at scale NCCL's latency binds: a ring of 1,536 ranks costs 1,535 steps.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "models/collectives/collective_op.hpp"
#include "models/collectives/nccl_cost_model.hpp"
#include "models/hardware/system_profile.hpp"
#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::models {

// Which GPUs take part: `gpus_per_node` GPUs on each of `nodes` nodes.
struct CollectiveScope {
  int nodes = 1;
  int gpus_per_node = 1;
  int ranks() const { return nodes * gpus_per_node; }
};

enum class CollectiveAlgorithm { kNone, kRing, kNvls, kNetwork, kPairwise, kPointToPoint };
std::string_view collective_algorithm_name(CollectiveAlgorithm algorithm);

struct CollectiveEstimate {
  sim::SimTime time;
  sim::Bandwidth algbw;
  sim::Bandwidth busbw;
  sim::Bandwidth peak_busbw;  // before the size ramp
  double ramp = 1.0;          // size_ramp(size)
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::kNone;
  // Bytes the busiest GPU of the scope sends (and receives) over its NVLink port and over its share of the
  // node's NICs, per direction, for the algorithm above: what the analytic network charges against those
  // ports when collectives run side by side (models/network/analytic_backend.hpp). Derivations in
  // analytic_collective.cpp, port_bytes().
  double nvlink_bytes = 0;
  double nic_bytes = 0;
  // NCCL's algorithm, protocol, latency and modelled time for this size and scope (empty for operations its
  // tuner does not model); `latency_bound` when that time, not the measured ramp, set `time`.
  std::optional<NcclChoice> nccl;
  bool latency_bound = false;
  // The time the measured size ramp alone gives (equal to `time` unless latency_bound).
  sim::SimTime ramp_time;
};

// Throws sim::InputError when the scope does not fit the system (more GPUs per node than it has, a
// multi-node scope on a node type without NICs) or the size is zero for a reduction that needs data.
CollectiveEstimate analytic_collective(const SystemProfile& system, CollectiveOp op, sim::Bytes size,
                                       const CollectiveScope& scope);

// Channels (rings) a collective across nodes uses: one per NIC the scope's GPUs of a node drive (a node's
// NICs are shared evenly by its GPUs), at least one. The flow fidelity lays out the same number of rings.
int network_channels(const SystemProfile& system, const CollectiveScope& scope);

// The GPUs of `gpus` seen as a scope: the nodes they span (GPU g on node g / gpus_per_node) and the most GPUs
// on any one of them.
CollectiveScope scope_of_gpus(std::span<const int> gpus, int gpus_per_node);

// size_ramp(size): the profile's points interpolated linearly in log2(size); below the first point the time
// stays that of the first point (latency-bound), above the last the last fraction holds.
double size_ramp_fraction(const CollectiveProfile& collectives, sim::Bytes size);

}  // namespace strata::models
