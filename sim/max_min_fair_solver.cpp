#include "sim/max_min_fair_solver.hpp"

#include <algorithm>
#include <cmath>

#include "sim/error.hpp"

namespace strata::sim {
namespace {

// A resource whose remaining capacity is within this fraction of its capacity counts as saturated; this
// absorbs rounding in the repeated subtraction of the fill level.
constexpr double kRelativeTolerance = 1e-12;

}  // namespace

void MaxMinFairSolver::index_flows_by_resource(const SharingProblem& problem) {
  const std::size_t resources = problem.resource_count();
  resource_offsets_.assign(resources + 1, 0);
  for (std::uint32_t r : problem.path_resources) ++resource_offsets_[r + 1];
  for (std::size_t r = 0; r < resources; ++r) resource_offsets_[r + 1] += resource_offsets_[r];
  resource_flows_.resize(problem.path_resources.size());
  std::vector<std::uint32_t>& cursor = unfrozen_count_;  // reused as a fill cursor, reset below
  cursor.assign(resource_offsets_.begin(), resource_offsets_.end() - 1);
  for (std::uint32_t f = 0; f < problem.flow_count(); ++f) {
    for (std::uint32_t i = problem.path_offsets[f]; i < problem.path_offsets[f + 1]; ++i) {
      resource_flows_[cursor[problem.path_resources[i]]++] = f;
    }
  }
  for (std::size_t r = 0; r < resources; ++r)
    unfrozen_count_[r] = resource_offsets_[r + 1] - resource_offsets_[r];
  unfrozen_weight_.assign(resources, 0.0);
  for (std::size_t i = 0; i < problem.path_resources.size(); ++i) {
    unfrozen_weight_[problem.path_resources[i]] +=
        problem.path_weights.empty() ? 1.0 : problem.path_weights[i];
  }
}

void MaxMinFairSolver::freeze_flow(const SharingProblem& problem, std::uint32_t flow, double level,
                                   std::span<double> rates) {
  frozen_[flow] = 1;
  rates[flow] = level;
  for (std::uint32_t i = problem.path_offsets[flow]; i < problem.path_offsets[flow + 1]; ++i) {
    const std::uint32_t r = problem.path_resources[i];
    --unfrozen_count_[r];
    unfrozen_weight_[r] =
        unfrozen_count_[r] == 0
            ? 0.0
            : unfrozen_weight_[r] - (problem.path_weights.empty() ? 1.0 : problem.path_weights[i]);
  }
}

void MaxMinFairSolver::solve(const SharingProblem& problem, std::span<double> rates) {
  const std::size_t flows = problem.flow_count();
  STRATA_ASSERT(rates.size() == flows, "one rate per flow");
  STRATA_ASSERT(problem.path_offsets.size() == flows + 1, "path offsets match flows");
  STRATA_ASSERT(problem.path_weights.empty() || problem.path_weights.size() == problem.path_resources.size(),
                "one weight per path element");
  if (flows == 0) return;

  index_flows_by_resource(problem);
  remaining_.assign(problem.capacities.begin(), problem.capacities.end());
  frozen_.assign(flows, 0);
  active_.clear();
  for (std::uint32_t r = 0; r < problem.resource_count(); ++r) {
    if (unfrozen_count_[r] > 0) active_.push_back(r);
  }
  capped_by_cap_.clear();
  std::size_t unfrozen = flows;
  for (std::uint32_t f = 0; f < flows; ++f) {
    const bool empty_path = problem.path_offsets[f] == problem.path_offsets[f + 1];
    if (problem.rate_caps[f] != SharingProblem::kUncapped) {
      capped_by_cap_.push_back(f);
    } else if (empty_path) {
      throw SimulationError("flow with an empty path and no rate cap would have unbounded rate");
    }
  }
  std::stable_sort(capped_by_cap_.begin(), capped_by_cap_.end(), [&](std::uint32_t a, std::uint32_t b) {
    return problem.rate_caps[a] < problem.rate_caps[b];
  });
  std::size_t next_capped = 0;

  double level = 0.0;  // the common rate of every unfrozen flow
  while (unfrozen > 0) {
    while (next_capped < capped_by_cap_.size() && frozen_[capped_by_cap_[next_capped]]) ++next_capped;
    // The next event of the fill: a resource saturating or a capped flow reaching its cap.
    double increment = SharingProblem::kUncapped;
    for (std::uint32_t r : active_) increment = std::min(increment, remaining_[r] / unfrozen_weight_[r]);
    if (next_capped < capped_by_cap_.size()) {
      increment = std::min(increment, problem.rate_caps[capped_by_cap_[next_capped]] - level);
    }
    STRATA_ASSERT(increment != SharingProblem::kUncapped,
                  "every unfrozen flow is limited by a resource or a cap");
    increment = std::max(increment, 0.0);
    level += increment;
    for (std::uint32_t r : active_) remaining_[r] -= increment * unfrozen_weight_[r];

    // Freeze the flows whose cap is reached, then those crossing a saturated resource.
    while (next_capped < capped_by_cap_.size()) {
      const std::uint32_t f = capped_by_cap_[next_capped];
      if (!frozen_[f]) {
        const double cap = problem.rate_caps[f];
        if (cap - level > kRelativeTolerance * cap) break;
        freeze_flow(problem, f, cap, rates);
        --unfrozen;
      }
      ++next_capped;
    }
    for (std::uint32_t r : active_) {
      if (unfrozen_count_[r] == 0 || remaining_[r] > kRelativeTolerance * problem.capacities[r]) continue;
      remaining_[r] = 0.0;
      for (std::uint32_t i = resource_offsets_[r]; i < resource_offsets_[r + 1]; ++i) {
        const std::uint32_t f = resource_flows_[i];
        if (frozen_[f]) continue;
        freeze_flow(problem, f, level, rates);
        --unfrozen;
      }
    }
    std::erase_if(active_, [&](std::uint32_t r) { return unfrozen_count_[r] == 0; });
  }
}

}  // namespace strata::sim
