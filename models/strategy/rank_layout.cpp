#include "models/strategy/rank_layout.hpp"

#include <algorithm>
#include <array>

namespace strata::models {
namespace {

// Every local index that agrees with `local` on all mixed-radix digits except those in `vary` (the radices
// are `sizes`, least significant first), ascending.
std::vector<int> varying(int local, const std::array<int, 3>& sizes, const std::array<bool, 3>& vary) {
  std::array<int, 3> digits{};
  int rest = local;
  for (std::size_t i = 0; i < 3; ++i) {
    digits[i] = rest % sizes[i];
    rest /= sizes[i];
  }
  std::vector<int> out{0};
  int stride = 1;
  for (std::size_t i = 0; i < 3; ++i) {
    std::vector<int> next;
    const int from = vary[i] ? 0 : digits[i];
    const int to = vary[i] ? sizes[i] : digits[i] + 1;
    for (int digit = from; digit < to; ++digit) {
      for (int base : out) next.push_back(base + digit * stride);
    }
    out = std::move(next);
    stride *= sizes[i];
  }
  std::sort(out.begin(), out.end());  // built with the innermost digit varying slowest
  return out;
}

}  // namespace

RankLayout::RankLayout(const ParallelStrategy& s)
    : tp_(s.tp),
      cp_(s.cp),
      dp_(s.dp),
      pp_(s.pp),
      ep_(s.ep),
      etp_(s.expert_tp),
      edp_(s.stage_ranks() / (s.ep * s.expert_tp)),
      shard_(s.zero_shard()),
      placement_(s.placement),
      degree_{s.degree(PlacementAxis::kTensor), s.degree(PlacementAxis::kContext),
              s.degree(PlacementAxis::kData), s.degree(PlacementAxis::kPipeline)} {}

int RankLayout::gpu(int stage, int local) const {
  if (placement_.is_default()) return stage * stage_ranks() + local;
  int gpu = 0;
  int stride = 1;
  for (const PlacementAxis axis : placement_.order) {
    const int index = axis == PlacementAxis::kTensor    ? local % tp_
                      : axis == PlacementAxis::kContext ? local / tp_ % cp_
                      : axis == PlacementAxis::kData    ? local / (tp_ * cp_)
                                                        : stage;
    gpu += index * stride;
    stride *= degree_[static_cast<std::size_t>(axis)];
  }
  return gpu;
}

std::vector<int> RankLayout::members(GroupKind kind, int local) const {
  const std::array<int, 3> dense{tp_, cp_, dp_};
  const std::array<int, 3> expert{etp_, ep_, edp_};
  switch (kind) {
    case GroupKind::kTensor: return varying(local, dense, {true, false, false});
    case GroupKind::kContext: return varying(local, dense, {false, true, false});
    case GroupKind::kData: return varying(local, dense, {false, true, true});
    case GroupKind::kExpertTensor: return varying(local, expert, {true, false, false});
    case GroupKind::kExpert: return varying(local, expert, {false, true, false});
    case GroupKind::kExpertData: return varying(local, expert, {false, false, true});
    case GroupKind::kDataShard:
    case GroupKind::kDataReplica: {
      const std::vector<int> data = varying(local, dense, {false, true, true});
      const auto place = static_cast<int>(std::find(data.begin(), data.end(), local) - data.begin());
      std::vector<int> out;
      for (int i = 0; i < static_cast<int>(data.size()); ++i) {
        const bool same =
            kind == GroupKind::kDataShard ? i / shard_ == place / shard_ : i % shard_ == place % shard_;
        if (same) out.push_back(data[static_cast<std::size_t>(i)]);
      }
      return out;
    }
    case GroupKind::kStage: {
      std::vector<int> all(static_cast<std::size_t>(stage_ranks()));
      for (int i = 0; i < stage_ranks(); ++i) all[static_cast<std::size_t>(i)] = i;
      return all;
    }
    case GroupKind::kPipelineMirror: break;
  }
  return {local};
}

}  // namespace strata::models
