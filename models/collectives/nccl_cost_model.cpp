#include "models/collectives/nccl_cost_model.hpp"

#include <algorithm>
#include <limits>

namespace strata::models {
namespace {

// floor(log2(x)) for x >= 1 (NCCL's log2i).
int log2_floor(int x) {
  int levels = 0;
  while (x > 1) {
    x >>= 1;
    ++levels;
  }
  return levels;
}

double us(const sim::SimTime& time) { return time.microseconds(); }

bool runs(NcclAlgorithm algorithm, CollectiveOp op, const NcclScope& scope) {
  const bool reduce_or_gather = op == CollectiveOp::kAllGather || op == CollectiveOp::kReduceScatter;
  const int per_node = scope.ranks / scope.nodes;
  switch (algorithm) {
    case NcclAlgorithm::kRing: return true;
    case NcclAlgorithm::kTree: return op == CollectiveOp::kAllReduce && scope.nodes > 1;
    case NcclAlgorithm::kNvls:
      return op == CollectiveOp::kAllReduce && scope.nodes == 1 && scope.nvls_busbw > 0;
    case NcclAlgorithm::kNvlsTree:
      return op == CollectiveOp::kAllReduce && scope.nodes > 1 && per_node > 1 && scope.nvls_busbw > 0;
    case NcclAlgorithm::kPat: return reduce_or_gather && scope.nodes > 1 && per_node == 1;
  }
  return false;
}

// Microseconds; the formulas of nccl_cost_model.hpp.
double latency_us(const SystemProfile& system, NcclAlgorithm algorithm, NcclProtocol protocol,
                  CollectiveOp op, const NcclScope& scope) {
  const NcclTuning& tuning = system.nccl_tuning;
  const int n = scope.ranks;
  const int nodes = scope.nodes;
  const int per_node = n / nodes;
  const double base = us(*tuning.base_latency.value.at(algorithm, protocol));
  const double nvlink = us(*tuning.nvlink_latency.value.at(algorithm, protocol));
  const NcclAlgorithm network_row = per_node == 1 ? NcclAlgorithm::kTree : algorithm;
  const auto& network_cell = tuning.network_latency.value.at(network_row, protocol);
  const double network =
      us(network_cell ? *network_cell : *tuning.network_latency.value.at(algorithm, protocol));
  switch (algorithm) {
    case NcclAlgorithm::kRing: {
      const bool all_reduce = op == CollectiveOp::kAllReduce;
      const int steps = all_reduce ? 2 * (n - 1) : n - 1;
      const int network_steps = nodes == 1 ? 0 : (all_reduce ? 2 * (nodes - 1) : nodes - 1);
      double overhead = 0;
      if (nodes > 1) {
        overhead = us(system.collectives.net_overhead.value);
        if (protocol == NcclProtocol::kSimple) overhead *= tuning.simple_net_overhead_factor.value;
      }
      return base + (steps - network_steps) * std::max(nvlink, overhead) + network_steps * network;
    }
    case NcclAlgorithm::kTree: return base + 2.0 * ((per_node - 1) * nvlink + log2_floor(nodes) * network);
    case NcclAlgorithm::kNvls: return nvlink;
    case NcclAlgorithm::kNvlsTree: return base + nvlink + 2.0 * log2_floor(nodes) * network;
    case NcclAlgorithm::kPat:
      return base + log2_floor(nodes) * network / tuning.pat_level_latency_divisor.value +
             n * us(tuning.pat_rank_latency.value);
  }
  return base;
}

// Bytes per second.
double bandwidth(const SystemProfile& system, NcclAlgorithm algorithm, NcclProtocol protocol,
                 const NcclScope& scope) {
  double busbw = scope.ring_busbw;
  if (algorithm == NcclAlgorithm::kNvls) busbw = scope.nvls_busbw;
  if (algorithm == NcclAlgorithm::kNvlsTree) busbw = std::min(scope.nvls_busbw, scope.ring_busbw);
  busbw *= *system.nccl_tuning.bandwidth_factor.value.at(algorithm, protocol);
  if (protocol == NcclProtocol::kLl) {
    const auto& caps = system.collectives.ll_max_busbw.value;
    busbw = std::min(busbw, caps[static_cast<std::size_t>(std::min(scope.nodes, 3) - 1)].bytes_per_s());
  }
  return busbw;
}

// NCCL's medium-size correction of the tree all-reduce's bandwidth (ncclTopoGetAlgoTime).
double tree_correction(const NcclTuning& tuning, NcclAlgorithm algorithm, NcclProtocol protocol,
                       CollectiveOp op, double size_bytes) {
  if (algorithm != NcclAlgorithm::kTree || op != CollectiveOp::kAllReduce || size_bytes < 64) return 1.0;
  const int size_class = log2_floor(static_cast<int>(std::min(size_bytes / 64, 1e9)));
  const auto& factors = tuning.tree_correction_factor.value[static_cast<std::size_t>(protocol)];
  return static_cast<std::size_t>(size_class) < factors.size() ? factors[static_cast<std::size_t>(size_class)]
                                                               : 1.0;
}

// NCCL's "plateau effect of ring": the latency of an inter-node Simple ring all-reduce once each rank's share
// is large enough (ncclTopoGetAlgoTime).
double ring_plateau(const NcclTuning& tuning, NcclAlgorithm algorithm, NcclProtocol protocol, CollectiveOp op,
                    double size_bytes, const NcclScope& scope) {
  const bool applies = algorithm == NcclAlgorithm::kRing && protocol == NcclProtocol::kSimple &&
                       op == CollectiveOp::kAllReduce && scope.nodes > 1 &&
                       size_bytes / scope.ranks >= tuning.ring_plateau_min_bytes_per_rank.value.as_double();
  return applies ? tuning.ring_plateau_latency_factor.value : 1.0;
}

}  // namespace

std::optional<NcclChoice> nccl_choice(const SystemProfile& system, CollectiveOp op, double size_bytes,
                                      const NcclScope& scope) {
  if (op != CollectiveOp::kAllReduce && op != CollectiveOp::kAllGather && op != CollectiveOp::kReduceScatter)
    return std::nullopt;
  if (scope.ranks < 2 || scope.nodes < 1 || scope.ranks % scope.nodes != 0) return std::nullopt;
  const double bus_bytes = size_bytes * bus_bandwidth_factor(op, scope.ranks);
  std::optional<NcclChoice> best;
  double best_us = std::numeric_limits<double>::infinity();
  for (const auto& [algorithm, algorithm_name] : kNcclAlgorithmNames.entries) {
    if (!runs(algorithm, op, scope)) continue;
    for (const auto& [protocol, protocol_name] : kNcclProtocolNames.entries) {
      if (!system.nccl_tuning.bandwidth_factor.value.at(algorithm, protocol)) continue;
      const double rate = bandwidth(system, algorithm, protocol, scope) *
                          tree_correction(system.nccl_tuning, algorithm, protocol, op, size_bytes);
      if (!(rate > 0)) continue;
      const double latency = latency_us(system, algorithm, protocol, op, scope) *
                             ring_plateau(system.nccl_tuning, algorithm, protocol, op, size_bytes, scope);
      const double total = latency + bus_bytes / rate * 1e6;
      if (total < best_us) {  // ties keep the earlier pair in NCCL's table order
        best_us = total;
        best = NcclChoice{algorithm, protocol, sim::SimTime::from_seconds(latency * 1e-6),
                          sim::SimTime::from_seconds(total * 1e-6)};
      }
    }
  }
  return best;
}

std::string nccl_choice_label(const NcclChoice& choice) {
  return std::string(kNcclAlgorithmNames.name(choice.algorithm)) + "/" +
         std::string(kNcclProtocolNames.name(choice.protocol));
}

}  // namespace strata::models
