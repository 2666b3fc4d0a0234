// Memory in use per rank, from the execution graph's memory tasks (allocate > 0, free < 0, by category), with
// each rank's peak and what it held at that peak. Live: a running simulation can read what a rank holds now
// (an inference scheduler admits requests by the KV cache it sees).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace strata::models {

class MemoryLedger {
 public:
  explicit MemoryLedger(int ranks)
      : in_use_(static_cast<std::size_t>(ranks), 0.0),
        peak_(static_cast<std::size_t>(ranks), 0.0),
        by_category_(static_cast<std::size_t>(ranks)),
        peak_breakdown_(static_cast<std::size_t>(ranks)) {}

  void add_rank();
  // Applies an allocation (bytes > 0) or a free (bytes < 0) of `category` on `rank`.
  void apply(int rank, double bytes, const std::string& category);

  double in_use(int rank) const { return in_use_[static_cast<std::size_t>(rank)]; }
  double in_use(int rank, const std::string& category) const;
  double peak(int rank) const { return peak_[static_cast<std::size_t>(rank)]; }
  const std::vector<double>& peaks() const { return peak_; }
  // Per rank: bytes by category at its peak.
  const std::vector<std::map<std::string, double>>& peak_breakdowns() const { return peak_breakdown_; }

 private:
  std::vector<double> in_use_;
  std::vector<double> peak_;
  std::vector<std::map<std::string, double>> by_category_;
  std::vector<std::map<std::string, double>> peak_breakdown_;
};

}  // namespace strata::models
