#include "models/executor/memory_ledger.hpp"

namespace strata::models {

void MemoryLedger::add_rank() {
  in_use_.push_back(0.0);
  peak_.push_back(0.0);
  by_category_.emplace_back();
  peak_breakdown_.emplace_back();
}

void MemoryLedger::apply(int rank, double bytes, const std::string& category) {
  const auto r = static_cast<std::size_t>(rank);
  in_use_[r] += bytes;
  by_category_[r][category] += bytes;
  if (in_use_[r] > peak_[r]) {
    peak_[r] = in_use_[r];
    peak_breakdown_[r] = by_category_[r];
  }
}

double MemoryLedger::in_use(int rank, const std::string& category) const {
  const auto& held = by_category_[static_cast<std::size_t>(rank)];
  const auto found = held.find(category);
  return found == held.end() ? 0.0 : found->second;
}

}  // namespace strata::models
