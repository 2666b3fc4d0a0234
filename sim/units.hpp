// Physical quantities with their unit in the type. Values are created from explicit units
// (Bytes::from_gib(80), Bandwidth::from_gb_per_s(900)) or parsed from strings at the edge (unit_parse.hpp).
//
// Conventions: decimal prefixes are powers of 1000 (GB = 1e9 bytes, Gb/s = 1e9 bits/s), binary prefixes
// powers of 1024 (GiB = 2^30 bytes), as in datasheets and in nccl-tests (which reports GB/s = 1e9 B/s).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "sim/sim_time.hpp"

namespace strata::sim {

// A whole number of bytes (int64, non-negative by construction through the factories).
class Bytes {
 public:
  constexpr Bytes() = default;
  static Bytes from_count(std::int64_t bytes);  // throws SimulationError if negative
  static Bytes from_kib(std::int64_t kib) { return from_count_scaled(kib, std::int64_t{1} << 10); }
  static Bytes from_mib(std::int64_t mib) { return from_count_scaled(mib, std::int64_t{1} << 20); }
  static Bytes from_gib(std::int64_t gib) { return from_count_scaled(gib, std::int64_t{1} << 30); }

  constexpr std::int64_t count() const { return count_; }
  double as_double() const { return static_cast<double>(count_); }

  friend constexpr auto operator<=>(Bytes, Bytes) = default;
  friend Bytes operator+(Bytes a, Bytes b);  // checked
  std::string to_string() const;             // e.g. "1.5 GiB"

 private:
  static Bytes from_count_scaled(std::int64_t value, std::int64_t scale);
  constexpr explicit Bytes(std::int64_t count) : count_(count) {}
  std::int64_t count_ = 0;
};

// A data rate in bytes per second (finite, non-negative).
class Bandwidth {
 public:
  constexpr Bandwidth() = default;
  static Bandwidth from_bytes_per_s(double bytes_per_s);  // throws SimulationError if negative or not finite
  static Bandwidth from_gb_per_s(double gigabytes_per_s) { return from_bytes_per_s(gigabytes_per_s * 1e9); }
  static Bandwidth from_gbit_per_s(double gigabits_per_s) {
    return from_bytes_per_s(gigabits_per_s * 1e9 / 8.0);
  }

  constexpr double bytes_per_s() const { return bytes_per_s_; }
  double gb_per_s() const { return bytes_per_s_ * 1e-9; }

  friend constexpr auto operator<=>(Bandwidth, Bandwidth) = default;
  std::string to_string() const;  // e.g. "50 GB/s"

 private:
  constexpr explicit Bandwidth(double bytes_per_s) : bytes_per_s_(bytes_per_s) {}
  double bytes_per_s_ = 0.0;
};

// A count of floating-point operations (double: a training step can exceed 2^63).
class Flops {
 public:
  constexpr Flops() = default;
  static Flops from_count(double flops);  // throws SimulationError if negative or not finite
  constexpr double count() const { return count_; }
  friend constexpr auto operator<=>(Flops, Flops) = default;

 private:
  constexpr explicit Flops(double count) : count_(count) {}
  double count_ = 0.0;
};

// A compute rate in floating-point operations per second (finite, non-negative).
class FlopRate {
 public:
  constexpr FlopRate() = default;
  static FlopRate from_flops_per_s(double flops_per_s);  // throws SimulationError if negative or not finite
  static FlopRate from_tflops_per_s(double tflops_per_s) { return from_flops_per_s(tflops_per_s * 1e12); }
  constexpr double flops_per_s() const { return flops_per_s_; }
  double tflops_per_s() const { return flops_per_s_ * 1e-12; }
  friend constexpr auto operator<=>(FlopRate, FlopRate) = default;
  std::string to_string() const;  // e.g. "989 TFLOP/s"

 private:
  constexpr explicit FlopRate(double flops_per_s) : flops_per_s_(flops_per_s) {}
  double flops_per_s_ = 0.0;
};

// Time to move `size` at `rate`, rounded up to the next picosecond so that a transfer scheduled to end at
// this time has really moved every byte. Throws SimulationError for a zero rate with a non-zero size.
SimTime transfer_time(Bytes size, Bandwidth rate);

}  // namespace strata::sim
