// The communicators of a lowered training step: for each simulated rank, the groups its layers and its
// data-parallel side use (rank_layout.hpp says which ranks form them), added to the graph once each.
//
// Simulated ranks are stage x locals + local, with `locals` every tp x cp x dp rank of a stage or, when
// symmetric ranks are collapsed, one standing for them; then a group lists the simulated members and `gpus`
// keeps the whole communicator.
#pragma once

#include <map>
#include <tuple>

#include "models/graph/execution_graph.hpp"
#include "models/strategy/data_parallel_lowering.hpp"
#include "models/strategy/layer_lowering.hpp"
#include "models/strategy/parallel_strategy.hpp"
#include "models/strategy/rank_layout.hpp"

namespace strata::models {

// The communicator groups one simulated rank belongs to (ExecutionGraph::groups indices, -1: none).
struct RankGroups {
  LayerGroups layer;
  DataParallelGroups data;
  int mirror = -1;  // the rank and the one holding the other copy of its stages (two-copy schedules)
};

class RankGroupBuilder {
 public:
  RankGroupBuilder(const TransformerConfig& model, const ParallelStrategy& strategy, ExecutionGraph& graph,
                   int locals, bool collapsed);

  // The groups of simulated rank `rank`, adding to the graph those not added yet.
  RankGroups groups_of(int rank);

 private:
  int stage_of(int rank) const { return rank / locals_; }
  int local_of(int rank) const { return rank % locals_; }
  // The `kind` group of the rank's stage that holds it.
  int group(GroupKind kind, int rank);
  // The pair of ranks at the same place of the rank's stage and its mirror (PipelineScheduleKind::
  // mirror_stage), which hold the two copies of each other's stages.
  int mirror_group(int rank);
  // `group`'s index, adding it under `key` the first time.
  int add(const std::tuple<int, int, int>& key, CommGroup group);

  const TransformerConfig& m_;
  const ParallelStrategy& s_;
  ExecutionGraph& graph_;
  RankLayout layout_;
  int locals_;
  bool collapsed_;
  std::map<std::tuple<int, int, int>, int> ids_;  // (kind, stage, first member) -> group
};

}  // namespace strata::models
