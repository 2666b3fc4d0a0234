#include "sim/units.hpp"

#include <cmath>
#include <cstdio>

#include "sim/error.hpp"

namespace strata::sim {
namespace {

std::string format_scaled(double value, const char* const* units, int unit_count, double step) {
  int index = 0;
  while (index + 1 < unit_count && std::fabs(value) >= step) {
    value /= step;
    ++index;
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.4g %s", value, units[index]);
  return text;
}

}  // namespace

Bytes Bytes::from_count(std::int64_t bytes) {
  if (bytes < 0) throw SimulationError("negative byte count " + std::to_string(bytes));
  return Bytes(bytes);
}

Bytes Bytes::from_count_scaled(std::int64_t value, std::int64_t scale) {
  std::int64_t result = 0;
  if (__builtin_mul_overflow(value, scale, &result)) throw OverflowError("byte count overflow");
  return from_count(result);
}

Bytes operator+(Bytes a, Bytes b) {
  std::int64_t result = 0;
  if (__builtin_add_overflow(a.count_, b.count_, &result)) throw OverflowError("byte count overflow");
  return Bytes(result);
}

std::string Bytes::to_string() const {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  return format_scaled(as_double(), units, 6, 1024.0);
}

Bandwidth Bandwidth::from_bytes_per_s(double bytes_per_s) {
  if (!std::isfinite(bytes_per_s) || bytes_per_s < 0.0) {
    throw SimulationError("bandwidth must be finite and non-negative, got " + std::to_string(bytes_per_s) +
                          " B/s");
  }
  return Bandwidth(bytes_per_s);
}

std::string Bandwidth::to_string() const {
  static const char* const units[] = {"B/s", "KB/s", "MB/s", "GB/s", "TB/s"};
  return format_scaled(bytes_per_s_, units, 5, 1000.0);
}

Flops Flops::from_count(double flops) {
  if (!std::isfinite(flops) || flops < 0.0)
    throw SimulationError("FLOP count must be finite and non-negative");
  return Flops(flops);
}

FlopRate FlopRate::from_flops_per_s(double flops_per_s) {
  if (!std::isfinite(flops_per_s) || flops_per_s < 0.0) {
    throw SimulationError("FLOP rate must be finite and non-negative, got " + std::to_string(flops_per_s));
  }
  return FlopRate(flops_per_s);
}

std::string FlopRate::to_string() const {
  static const char* const units[] = {"FLOP/s", "KFLOP/s", "MFLOP/s", "GFLOP/s", "TFLOP/s", "PFLOP/s"};
  return format_scaled(flops_per_s_, units, 6, 1000.0);
}

SimTime transfer_time(Bytes size, Bandwidth rate) {
  if (size.count() == 0) return SimTime::zero();
  if (rate.bytes_per_s() <= 0.0)
    throw SimulationError("transfer of " + size.to_string() + " at zero bandwidth");
  return SimTime::from_ps_rounded(std::ceil(size.as_double() / rate.bytes_per_s() * 1e12));
}

}  // namespace strata::sim
