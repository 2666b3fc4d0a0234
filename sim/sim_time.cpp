#include "sim/sim_time.hpp"

#include <cmath>
#include <cstdio>

#include "sim/error.hpp"

namespace strata::sim {
namespace {

std::int64_t checked_multiply(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result))
    throw OverflowError(std::string("simulated time overflow: ") + what);
  return result;
}

}  // namespace

SimTime SimTime::from_ns(std::int64_t ns) { return SimTime(checked_multiply(ns, 1'000, "nanoseconds")); }
SimTime SimTime::from_us(std::int64_t us) { return SimTime(checked_multiply(us, 1'000'000, "microseconds")); }
SimTime SimTime::from_ms(std::int64_t ms) {
  return SimTime(checked_multiply(ms, 1'000'000'000, "milliseconds"));
}

SimTime SimTime::from_seconds(double seconds) { return from_ps_rounded(seconds * 1e12); }

SimTime SimTime::from_ps_rounded(double ps) {
  const double rounded = std::nearbyint(ps);
  // 2^63 is exactly representable as a double; anything at or beyond it does not fit in int64.
  constexpr double limit = 9223372036854775808.0;
  if (!std::isfinite(rounded) || rounded >= limit || rounded < -limit) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.4g", ps * 1e-12);
    throw OverflowError(std::string("simulated time overflow: ") + seconds + " s is outside +-106 days");
  }
  return SimTime(static_cast<std::int64_t>(rounded));
}

SimTime operator+(SimTime a, SimTime b) {
  std::int64_t result = 0;
  if (__builtin_add_overflow(a.ps_, b.ps_, &result))
    throw OverflowError("simulated time overflow in addition");
  return SimTime(result);
}

SimTime operator-(SimTime a, SimTime b) {
  std::int64_t result = 0;
  if (__builtin_sub_overflow(a.ps_, b.ps_, &result))
    throw OverflowError("simulated time overflow in subtraction");
  return SimTime(result);
}

SimTime operator*(SimTime a, std::int64_t factor) {
  return SimTime(checked_multiply(a.ps_, factor, "in multiplication"));
}

std::string SimTime::to_string() const {
  struct Scale {
    std::int64_t ps;
    const char* unit;
  };
  static constexpr Scale scales[] = {
      {1'000'000'000'000, "s"}, {1'000'000'000, "ms"}, {1'000'000, "us"}, {1'000, "ns"}};
  const std::int64_t magnitude = ps_ < 0 ? -(ps_ + 1) : ps_;  // avoids negating INT64_MIN
  for (const Scale& scale : scales) {
    if (magnitude >= scale.ps) {
      char text[64];
      std::snprintf(text, sizeof text, "%.6g %s", static_cast<double>(ps_) / static_cast<double>(scale.ps),
                    scale.unit);
      return text;
    }
  }
  return ps_ == 0 ? "0 s" : std::to_string(ps_) + " ps";
}

}  // namespace strata::sim
