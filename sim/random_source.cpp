#include "sim/random_source.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "sim/error.hpp"

namespace strata::sim {

double RandomSource::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

std::int64_t RandomSource::uniform_int(std::int64_t low, std::int64_t high) {
  if (low > high) throw SimulationError("uniform_int needs low <= high");
  const std::uint64_t span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span == std::numeric_limits<std::uint64_t>::max()) return static_cast<std::int64_t>(engine_());
  const std::uint64_t range = span + 1;
  // Reject the top partial block of 2^64 so that every value is equally likely.
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t draw = engine_();
  while (draw >= limit) draw = engine_();
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + draw % range);
}

double RandomSource::exponential(double rate) {
  if (!(rate > 0.0)) throw SimulationError("an exponential distribution needs a positive rate");
  // 1 - u is in (0, 1], so the logarithm is finite.
  return -std::log(1.0 - uniform()) / rate;
}

double RandomSource::normal(double mean, double stddev) {
  if (!(stddev >= 0.0)) throw SimulationError("a normal distribution needs a non-negative deviation");
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double RandomSource::lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

}  // namespace strata::sim
