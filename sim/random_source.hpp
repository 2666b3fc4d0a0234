// A seedable source of random numbers for the simulation (request arrivals, kernel-time jitter, routing
// imbalance). Same seed, same sequence, on every platform: the generator is std::mt19937_64, whose output the
// C++ standard fixes, and the distributions are written here (the standard library's are not portable).
// Not global: whatever needs randomness owns a RandomSource (or is handed one) seeded from its input.
#pragma once

#include <cstdint>
#include <random>

namespace strata::sim {

class RandomSource {
 public:
  explicit RandomSource(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next_u64() { return engine_(); }
  // Uniform in [0, 1), 53 random bits.
  double uniform();
  // Uniform integer in [low, high] (low <= high), without modulo bias.
  std::int64_t uniform_int(std::int64_t low, std::int64_t high);
  // Exponential with the given rate (> 0): the gap between Poisson arrivals.
  double exponential(double rate);
  // Normal by the Box-Muller transform (one value per two uniforms).
  double normal(double mean, double stddev);
  // exp(normal(mu, sigma)).
  double lognormal(double mu, double sigma);

 private:
  std::mt19937_64 engine_;
};

}  // namespace strata::sim
