// Where each rank of a parallel strategy sits, and which ranks form each communicator (Megatron-Core,
// megatron/core/parallel_state.py, with MoE parallel folding). A rank is (stage, local), numbered
// stage x (tp cp dp) + local in the lowered graph, with
//   local = tp_index + tp (cp_index + cp dp_index)                  for attention and dense layers
//   local = etp_index + etp (ep_index + ep edp_index)              for the routed experts
// so the expert groups reuse the same tp x cp x dp ranks of a stage (EP 32 with TP 2 and DP 16 is valid).
// Its GPU follows the strategy's placement (rank_placement.hpp): the (tp, cp, dp, pp) indices as digits,
// innermost axis least significant. Megatron-Core's default order "tp-cp-ep-dp-pp" makes the GPU equal to the
// rank number: tensor-parallel ranks adjacent (inside a node), then context, data, and pipeline outermost.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "models/strategy/parallel_strategy.hpp"
#include "sim/name_table.hpp"

namespace strata::models {

enum class GroupKind {
  kTensor,        // tp ranks
  kContext,       // cp ranks
  kData,          // dp x cp ranks: they reduce the dense gradients (Megatron's DP group with CP)
  kExpert,        // ep ranks: the all-to-all dispatch and combine
  kExpertTensor,  // expert_tp ranks
  kExpertData,    // the stage's ranks over ep x expert_tp: they reduce the expert gradients
  // Hybrid sharding (dp_shard < dp x cp): the data group splits into shard groups of dp_shard consecutive
  // members, over which ZeRO shards and gathers, and replica groups (the members at the same place in every
  // shard group), over which the shards' gradients are all-reduced.
  kDataShard,
  kDataReplica,
  // Every rank of the stage: FSSDP shards the routed experts over them.
  kStage,
  // A rank and the rank holding the other copy of its stages (two-copy pipeline schedules, across stages:
  // not a group of one stage's ranks, RankLayout::members does not form it).
  kPipelineMirror,
};
inline constexpr sim::NameTable<GroupKind, 10> kGroupKindNames{{{
    {GroupKind::kTensor, "tp"},
    {GroupKind::kContext, "cp"},
    {GroupKind::kData, "dp"},
    {GroupKind::kExpert, "ep"},
    {GroupKind::kExpertTensor, "etp"},
    {GroupKind::kExpertData, "edp"},
    {GroupKind::kDataShard, "dp-shard"},
    {GroupKind::kDataReplica, "dp-replica"},
    {GroupKind::kStage, "stage"},
    {GroupKind::kPipelineMirror, "pp-mirror"},
}}};
inline std::string group_kind_name(GroupKind kind) { return std::string(kGroupKindNames.name(kind)); }

class RankLayout {
 public:
  explicit RankLayout(const ParallelStrategy& strategy);

  int stage_ranks() const { return tp_ * cp_ * dp_; }
  // The GPU of rank (stage, local) under the placement.
  int gpu(int stage, int local) const;
  // The local indices (0 <= local < stage_ranks()) of the `kind` group that `local` belongs to, ascending.
  std::vector<int> members(GroupKind kind, int local) const;

 private:
  int tp_, cp_, dp_, pp_, ep_, etp_, edp_, shard_;
  RankPlacement placement_;
  std::array<int, 4> degree_;  // by PlacementAxis: ParallelStrategy::degree
};

}  // namespace strata::models
