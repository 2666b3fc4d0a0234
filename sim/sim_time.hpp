// Simulated time: a signed 64-bit count of picoseconds (range about +-106 days).
//
// One type serves as both time point and duration. Arithmetic is checked: a result outside the int64
// range throws OverflowError instead of wrapping. Conversions from floating-point seconds round to the
// nearest picosecond and reject NaN, infinities and out-of-range values.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace strata::sim {

class SimTime {
 public:
  constexpr SimTime() = default;

  static constexpr SimTime from_ps(std::int64_t ps) { return SimTime(ps); }
  static SimTime from_ns(std::int64_t ns);
  static SimTime from_us(std::int64_t us);
  static SimTime from_ms(std::int64_t ms);
  // Rounds to the nearest picosecond. Throws OverflowError for NaN, +-inf or |s| beyond the range.
  static SimTime from_seconds(double seconds);
  // Rounds a (possibly fractional) picosecond count to the nearest picosecond, checked like from_seconds.
  static SimTime from_ps_rounded(double ps);
  static constexpr SimTime zero() { return SimTime(0); }
  static constexpr SimTime max() { return SimTime(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ps() const { return ps_; }
  double seconds() const { return static_cast<double>(ps_) * 1e-12; }
  double microseconds() const { return static_cast<double>(ps_) * 1e-6; }

  friend constexpr auto operator<=>(SimTime, SimTime) = default;

  friend SimTime operator+(SimTime a, SimTime b);
  friend SimTime operator-(SimTime a, SimTime b);
  SimTime& operator+=(SimTime other) { return *this = *this + other; }
  SimTime& operator-=(SimTime other) { return *this = *this - other; }
  // Scales a duration by a whole factor (checked).
  friend SimTime operator*(SimTime a, std::int64_t factor);

  // Human-readable, e.g. "1.5 us", "2 ms", "0 s". For logs and messages, not for parsing back.
  std::string to_string() const;

 private:
  constexpr explicit SimTime(std::int64_t ps) : ps_(ps) {}
  std::int64_t ps_ = 0;
};

}  // namespace strata::sim
