#include "models/strategy/rank_groups.hpp"

#include <algorithm>

#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {

RankGroupBuilder::RankGroupBuilder(const TransformerConfig& model, const ParallelStrategy& strategy,
                                   ExecutionGraph& graph, int locals, bool collapsed)
    : m_(model), s_(strategy), graph_(graph), layout_(strategy), locals_(locals), collapsed_(collapsed) {}

RankGroups RankGroupBuilder::groups_of(int rank) {
  RankGroups g;
  if (s_.tp > 1) g.layer.tp = group(GroupKind::kTensor, rank);
  if (s_.cp > 1) g.layer.cp = group(GroupKind::kContext, rank);
  if (s_.ep > 1) g.layer.ep = group(GroupKind::kExpert, rank);
  if (s_.expert_tp > 1) g.layer.expert_tp = group(GroupKind::kExpertTensor, rank);
  if (s_.dp * s_.cp > 1) g.data.dp = group(GroupKind::kData, rank);
  if (s_.hybrid_shard()) {
    if (s_.zero_shard() > 1) g.data.dp_shard = group(GroupKind::kDataShard, rank);
    g.data.dp_replica = group(GroupKind::kDataReplica, rank);
  }
  if (m_.moe.experts > 0 && s_.expert_dp() > 1) g.data.edp = group(GroupKind::kExpertData, rank);
  if (s_.fssdp) g.data.fssdp = group(GroupKind::kStage, rank);
  if (s_.schedule->model_copies() == 2) g.mirror = mirror_group(rank);
  return g;
}

int RankGroupBuilder::group(GroupKind kind, int rank) {
  const int stage = stage_of(rank);
  const std::vector<int> members = layout_.members(kind, local_of(rank));
  CommGroup g{group_kind_name(kind), {}, {}};
  if (collapsed_) {
    g.ranks.push_back(rank);
    for (int member : members) g.gpus.push_back(layout_.gpu(stage, member));
  } else {
    for (int member : members) g.ranks.push_back(stage * locals_ + member);
  }
  return add({static_cast<int>(kind), stage, members.front()}, std::move(g));
}

int RankGroupBuilder::mirror_group(int rank) {
  const int stage = stage_of(rank);
  const int mirror = s_.schedule->mirror_stage(s_, stage);
  const int low = std::min(stage, mirror);
  const int high = std::max(stage, mirror);
  CommGroup g{group_kind_name(GroupKind::kPipelineMirror),
              {low * locals_ + local_of(rank), high * locals_ + local_of(rank)},
              {}};
  if (collapsed_) g.gpus = {layout_.gpu(low, 0), layout_.gpu(high, 0)};
  return add({static_cast<int>(GroupKind::kPipelineMirror), low, local_of(rank)}, std::move(g));
}

int RankGroupBuilder::add(const std::tuple<int, int, int>& key, CommGroup group) {
  if (const auto found = ids_.find(key); found != ids_.end()) return found->second;
  graph_.groups.push_back(std::move(group));
  const int id = static_cast<int>(graph_.groups.size()) - 1;
  ids_.emplace(key, id);
  return id;
}

}  // namespace strata::models
