// NCCL's own cost-model constants, as NCCL's tuner uses them to choose an algorithm and a protocol for each
// collective (NVIDIA/nccl src/graph/tuning.cc, ncclTopoTuneModel). Read from
// calibration/profiles/nccl/<name>.json (format: calibration/profiles/README.md); a system profile names the
// one it uses (collectives.nccl). How they combine: models/collectives/nccl_cost_model.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "models/hardware/sourced.hpp"
#include "sim/name_table.hpp"
#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::models {

// NCCL's algorithms that Strata models (CollNet needs a SHARP-capable network that no shipped system
// profile has).
enum class NcclAlgorithm { kRing, kTree, kNvls, kNvlsTree, kPat };
inline constexpr std::size_t kNcclAlgorithmCount = 5;
inline constexpr sim::NameTable<NcclAlgorithm, kNcclAlgorithmCount> kNcclAlgorithmNames{{{
    {NcclAlgorithm::kRing, "ring"},
    {NcclAlgorithm::kTree, "tree"},
    {NcclAlgorithm::kNvls, "nvls"},
    {NcclAlgorithm::kNvlsTree, "nvls_tree"},
    {NcclAlgorithm::kPat, "pat"},
}}};

enum class NcclProtocol { kLl, kLl128, kSimple };
inline constexpr std::size_t kNcclProtocolCount = 3;
inline constexpr sim::NameTable<NcclProtocol, kNcclProtocolCount> kNcclProtocolNames{{{
    {NcclProtocol::kLl, "ll"},
    {NcclProtocol::kLl128, "ll128"},
    {NcclProtocol::kSimple, "simple"},
}}};

// One value per (algorithm, protocol); empty where NCCL never runs that pair (NVLS and PAT are Simple only).
template <class T>
class NcclTable {
 public:
  const std::optional<T>& at(NcclAlgorithm algorithm, NcclProtocol protocol) const {
    return cells_[static_cast<std::size_t>(algorithm)][static_cast<std::size_t>(protocol)];
  }
  std::optional<T>& at(NcclAlgorithm algorithm, NcclProtocol protocol) {
    return cells_[static_cast<std::size_t>(algorithm)][static_cast<std::size_t>(protocol)];
  }

 private:
  std::array<std::array<std::optional<T>, kNcclProtocolCount>, kNcclAlgorithmCount> cells_{};
};

struct NcclTuning {
  std::string name;  // file stem, e.g. "nccl-2.30"
  // Fixed cost of one collective (baseLatencies).
  Sourced<NcclTable<sim::SimTime>> base_latency;
  // Cost of one step over NVLink inside a node, and over the network between nodes (hwLatencies).
  Sourced<NcclTable<sim::SimTime>> nvlink_latency;
  Sourced<NcclTable<sim::SimTime>> network_latency;
  // The protocol's share of the algorithm's bus bandwidth (LL sends 8 bytes of flags per 8 of data, LL128
  // 8 per 128, and the tree's refinements).
  Sourced<NcclTable<double>> bandwidth_factor;
  // Simple's per-step host network overhead as a multiple of the system's (getNetOverhead, x3 for Simple).
  Sourced<double> simple_net_overhead_factor;
  // PAT: a fixed cost per rank, and a network step latency divided by this factor per tree level.
  Sourced<sim::SimTime> pat_rank_latency;
  Sourced<double> pat_level_latency_divisor;
  // The tree all-reduce's bandwidth at medium sizes, per protocol: entry i for messages of 64 B x 2^i to
  // 64 B x 2^(i+1) (i < kTreeCorrectionSizes); larger and smaller messages keep the modelled bandwidth.
  static constexpr std::size_t kTreeCorrectionSizes = 23;
  Sourced<std::array<std::array<double, kTreeCorrectionSizes>, kNcclProtocolCount>> tree_correction_factor;
  // An inter-node ring all-reduce with Simple has its latency multiplied by this factor once each rank's
  // share of the message reaches ring_plateau_min_bytes_per_rank.
  Sourced<double> ring_plateau_latency_factor;
  Sourced<sim::Bytes> ring_plateau_min_bytes_per_rank;
};

}  // namespace strata::models
