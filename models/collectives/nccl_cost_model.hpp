// NCCL's own cost model: which algorithm and protocol NCCL picks for a collective and what it expects that
// to cost (NVIDIA/nccl src/graph/tuning.cc: ncclTopoTuneModel sets a latency and a bandwidth per function,
// algorithm and protocol; ncclTopoGetAlgoTime adds them; the tuner takes the fastest pair).
//
//   time(a, p) = latency(a, p, ranks, nodes) + bus bytes / (busbw(a) x bandwidth_factor(a, p))
//
// Latency, with n ranks on N nodes (NVLink domains), g = n / N per node, t_nv and t_net the NVLink and
// network step latencies of (a, p), o the host network overhead (x simple_net_overhead_factor for Simple),
// L(x) = floor(log2 x):
//   ring       base + (s - s_net) max(t_nv, o if N > 1) + s_net t_net,  s = 2(n-1) all-reduce, n-1 all-gather
//              and reduce-scatter; s_net = 2(N-1) and N-1 the steps that cross nodes
//   tree       base + 2 ((g-1) t_nv + L(N) t_net)                  all-reduce across nodes
//   nvls       t_nv                                               all-reduce inside one NVLink domain
//   nvls_tree  base + t_nv + 2 L(N) t_net                          all-reduce across NVLS nodes
//   pat        base + L(N) t_net / pat_level_latency_divisor + n pat_rank_latency
//                                                                 all-gather, reduce-scatter, 1 GPU per node
// With one GPU per node NCCL charges the tree's network latency for every algorithm (ppn == 1).
// Bandwidth: Strata's calibrated bus bandwidth of the scope (the ring's, or NVLS's where NVLS runs; NVLS-tree
// takes the slower of the node's NVLS and the network), times NCCL's protocol factor; LL is capped at the
// system's ll_max_busbw. Bus bytes use nccl-tests' factor for every algorithm: NCCL's tree converts with 1/2
// where the ring has n / 2(n-1), the same to within 1/n.
//
// NCCL's two corrections of that model (ncclTopoGetAlgoTime): the tree all-reduce's bandwidth times a factor
// by message size class (tree_correction_factor: medium sizes run below the model), and an inter-node Simple
// ring all-reduce's latency times ring_plateau_latency_factor once each rank's share reaches
// ring_plateau_min_bytes_per_rank.
//
// Left out, as NCCL's refinements that a calibrated bandwidth already holds or that no shipped system has:
// per-channel bandwidth caps, the per-hop network latency of the
// topology search (latencyInter, zero on InfiniBand), CollNet/SHARP, and the p2p-based operations
// (all-to-all, send/recv and broadcast are not in NCCL's tuning table).
#pragma once

#include <optional>
#include <string>

#include "models/collectives/collective_op.hpp"
#include "models/hardware/system_profile.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

// The scope as NCCL sees it, and the bus bandwidths Strata calibrated for it (bytes per second).
struct NcclScope {
  int ranks = 1;
  int nodes = 1;          // NVLink domains the ranks span (a whole NVL72 rack counts as one)
  double ring_busbw = 0;  // the ring's bus bandwidth over the scope (NVLink, or NICs across nodes)
  double nvls_busbw = 0;  // NVLS all-reduce bus bandwidth of one node's GPUs of the scope; 0 without NVLS
};

struct NcclChoice {
  NcclAlgorithm algorithm = NcclAlgorithm::kRing;
  NcclProtocol protocol = NcclProtocol::kSimple;
  sim::SimTime latency;
  sim::SimTime time;  // latency + bus bytes / bandwidth
};

// NCCL's choice for `op` on `size_bytes` (nccl-tests size); std::nullopt for the operations NCCL's tuner
// does not model (all-to-all, send/recv, broadcast) and for a scope of one rank.
std::optional<NcclChoice> nccl_choice(const SystemProfile& system, CollectiveOp op, double size_bytes,
                                      const NcclScope& scope);

// "<algorithm>/<protocol>", e.g. "ring/ll128": how tables and traces name a choice.
std::string nccl_choice_label(const NcclChoice& choice);

}  // namespace strata::models
