// Which GPU each rank of a training strategy runs on: the parallel axes ordered from innermost (adjacent GPU
// numbers, so the same node) to outermost, as Megatron-Core's `order` argument of initialize_model_parallel
// (megatron/core/parallel_state.py) writes it. Megatron-Core's default is "tp-cp-ep-dp-pp": tensor-parallel
// ranks adjacent, then context, then data, pipeline stages outermost; `--use-tp-pp-dp-mapping` gives
// "tp-pp-dp". Expert groups fold over a stage's tp x cp x dp ranks (rank_layout.hpp), so "ep" is not an axis
// of its own here. GPU g sits on node g / GPUs per node.
//
// A scenario writes it as strategies[].placement ("tp-cp-dp-pp", "dp-tp-pp" for TP across nodes); axes of
// degree 1 may be left out, and are kept outermost.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "sim/name_table.hpp"

namespace strata::models {

enum class PlacementAxis { kTensor, kContext, kData, kPipeline };
inline constexpr sim::NameTable<PlacementAxis, 4> kPlacementAxisNames{{{
    {PlacementAxis::kTensor, "tp"},
    {PlacementAxis::kContext, "cp"},
    {PlacementAxis::kData, "dp"},
    {PlacementAxis::kPipeline, "pp"},
}}};

struct RankPlacement {
  // Innermost first; every axis once.
  std::array<PlacementAxis, 4> order{PlacementAxis::kTensor, PlacementAxis::kContext, PlacementAxis::kData,
                                     PlacementAxis::kPipeline};
  // The axes given, innermost first (the rest were left out and follow them); as many as were named.
  int named = 4;

  bool operator==(const RankPlacement& other) const { return order == other.order; }
  // Megatron-Core's default order.
  bool is_default() const { return *this == RankPlacement{}; }
  // "tp-cp-dp-pp": every axis, so it pastes back.
  std::string text() const;
};

// Reads "tp-dp-pp"-style text: words of kPlacementAxisNames joined by '-', each at most once. On failure,
// nullopt and `error` says why.
std::optional<RankPlacement> parse_rank_placement(std::string_view text, std::string& error);

}  // namespace strata::models
