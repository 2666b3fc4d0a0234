#include "models/strategy/rank_placement.hpp"

#include <algorithm>

namespace strata::models {

std::string RankPlacement::text() const {
  std::string out;
  for (const PlacementAxis axis : order)
    out += (out.empty() ? "" : "-") + std::string(kPlacementAxisNames.name(axis));
  return out;
}

std::optional<RankPlacement> parse_rank_placement(std::string_view text, std::string& error) {
  RankPlacement placement;
  std::array<bool, 4> named{};
  int count = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('-', start), text.size());
    const std::string_view word = text.substr(start, end - start);
    const std::optional<PlacementAxis> axis = kPlacementAxisNames.value(word);
    if (!axis) {
      error = word == "ep"
                  ? "\"ep\" is not an axis of its own: expert groups fold over the tp x cp x dp ranks "
                    "of a stage and sit where those do"
                  : "expected axes " + kPlacementAxisNames.choices() +
                        " joined by '-', innermost first (e.g. \"tp-cp-dp-pp\"), found \"" +
                        std::string(word) + "\"";
      return std::nullopt;
    }
    const auto index = static_cast<std::size_t>(*axis);
    if (named[index]) {
      error = "\"" + std::string(word) + "\" appears twice";
      return std::nullopt;
    }
    named[index] = true;
    placement.order[static_cast<std::size_t>(count++)] = *axis;
    start = end + 1;
  }
  placement.named = count;
  for (const PlacementAxis axis : RankPlacement{}.order) {
    if (!named[static_cast<std::size_t>(axis)]) placement.order[static_cast<std::size_t>(count++)] = axis;
  }
  return placement;
}

}  // namespace strata::models
