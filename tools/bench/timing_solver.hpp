// A BandwidthSharingSolver decorator that measures wall time spent solving, for benchmarks.
#pragma once

#include <chrono>
#include <memory>

#include "sim/bandwidth_sharing.hpp"

namespace strata::tools {

class TimingSolver final : public sim::BandwidthSharingSolver {
 public:
  explicit TimingSolver(std::unique_ptr<sim::BandwidthSharingSolver> inner, double& seconds,
                        std::uint64_t& calls)
      : inner_(std::move(inner)), seconds_(seconds), calls_(calls) {}
  void solve(const sim::SharingProblem& problem, std::span<double> rates) override {
    const auto start = std::chrono::steady_clock::now();
    inner_->solve(problem, rates);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++calls_;
  }
  std::string_view name() const override { return inner_->name(); }

 private:
  std::unique_ptr<sim::BandwidthSharingSolver> inner_;
  double& seconds_;
  std::uint64_t& calls_;
};

}  // namespace strata::tools
