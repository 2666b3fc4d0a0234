#include "sim/unit_parse.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "sim/error.hpp"

namespace strata::sim {
namespace {

struct UnitScale {
  std::string_view suffix;
  double scale;
};

constexpr double kKi = 1024.0;
constexpr std::array<UnitScale, 11> kByteUnits{{
    {"B", 1.0},
    {"KB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"TB", 1e12},
    {"PB", 1e15},
    {"KiB", kKi},
    {"MiB", kKi* kKi},
    {"GiB", kKi* kKi* kKi},
    {"TiB", kKi* kKi* kKi* kKi},
    {"PiB", kKi* kKi* kKi* kKi* kKi},
}};
// Bit rates: the scale converts the number to bytes per second.
constexpr std::array<UnitScale, 5> kBitUnits{{
    {"b", 1.0 / 8},
    {"Kb", 1e3 / 8},
    {"Mb", 1e6 / 8},
    {"Gb", 1e9 / 8},
    {"Tb", 1e12 / 8},
}};
constexpr std::array<UnitScale, 6> kDurationUnits{{
    {"ps", 1.0},
    {"ns", 1e3},
    {"us", 1e6},
    {"\u00b5s", 1e6},
    {"ms", 1e9},
    {"s", 1e12},
}};

constexpr std::array<UnitScale, 6> kFlopRateUnits{{
    {"FLOP/s", 1.0},
    {"KFLOP/s", 1e3},
    {"MFLOP/s", 1e6},
    {"GFLOP/s", 1e9},
    {"TFLOP/s", 1e12},
    {"PFLOP/s", 1e15},
}};

constexpr std::string_view kFlopRateExpected =
    "expected a non-negative number followed by FLOP/s, KFLOP/s, MFLOP/s, GFLOP/s, TFLOP/s or PFLOP/s "
    "(e.g. \"989TFLOP/s\")";
constexpr std::string_view kBytesExpected =
    "expected a non-negative number followed by B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB or PiB "
    "(e.g. \"80GiB\", \"1.5GB\", \"4096\")";
constexpr std::string_view kBandwidthExpected =
    "expected a non-negative number followed by a byte unit per second (B/s, KB/s, MB/s, GB/s, TB/s, KiB/s, "
    "MiB/s, GiB/s, TiB/s) or a bit unit per second (b/s, Kb/s, Mb/s, Gb/s, Tb/s) (e.g. \"400Gb/s\", "
    "\"50GB/s\")";
constexpr std::string_view kDurationExpected =
    "expected a non-negative number followed by ps, ns, us, ms or s (e.g. \"2us\", \"1.5ms\")";

[[noreturn]] void fail(std::string_view what, std::string_view text, std::string_view expected) {
  throw InputError("invalid " + std::string(what) + " \"" + std::string(text) +
                   "\": " + std::string(expected));
}

struct NumberAndUnit {
  double number = 0.0;
  std::string_view unit;
};

// Splits "1.5 GiB" into 1.5 and "GiB". Returns false when there is no plain non-negative decimal number
// first.
bool split_number(std::string_view text, NumberAndUnit& out) {
  if (text.empty()) return false;
  const char first = text.front();
  if (!(first >= '0' && first <= '9') && first != '.') return false;  // rejects sign, inf, nan, spaces
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [next, error] = std::from_chars(begin, end, out.number, std::chars_format::general);
  if (error != std::errc() || !std::isfinite(out.number)) return false;
  while (next != end && *next == ' ') ++next;
  out.unit = std::string_view(next, static_cast<std::size_t>(end - next));
  return true;
}

template <std::size_t N>
const UnitScale* find_unit(const std::array<UnitScale, N>& units, std::string_view suffix) {
  for (const UnitScale& unit : units) {
    if (unit.suffix == suffix) return &unit;
  }
  return nullptr;
}

}  // namespace

Bytes parse_bytes(std::string_view text) {
  NumberAndUnit parsed;
  if (!split_number(text, parsed)) fail("byte size", text, kBytesExpected);
  double scale = 1.0;
  if (!parsed.unit.empty()) {
    const UnitScale* unit = find_unit(kByteUnits, parsed.unit);
    if (unit == nullptr) fail("byte size", text, kBytesExpected);
    scale = unit->scale;
  }
  const double bytes = parsed.number * scale;
  if (bytes >= 9223372036854775808.0) fail("byte size", text, "the value does not fit in 8 EiB");
  // Decimal fractions ("15.36TB") are not exact in binary floating point: accept a value within rounding
  // (relative 1e-12) of a whole number, reject a real fraction of a byte ("1.5B").
  const double whole = std::nearbyint(bytes);
  if (std::fabs(bytes - whole) > bytes * 1e-12)
    fail("byte size", text, "the value is not a whole number of bytes");
  return Bytes::from_count(static_cast<std::int64_t>(whole));
}

Bandwidth parse_bandwidth(std::string_view text) {
  NumberAndUnit parsed;
  if (!split_number(text, parsed)) fail("bandwidth", text, kBandwidthExpected);
  constexpr std::string_view per_second = "/s";
  if (parsed.unit.size() <= per_second.size() || !parsed.unit.ends_with(per_second)) {
    fail("bandwidth", text, kBandwidthExpected);
  }
  const std::string_view amount = parsed.unit.substr(0, parsed.unit.size() - per_second.size());
  const UnitScale* unit = find_unit(kByteUnits, amount);
  if (unit == nullptr) unit = find_unit(kBitUnits, amount);
  if (unit == nullptr) fail("bandwidth", text, kBandwidthExpected);
  const double bytes_per_s = parsed.number * unit->scale;
  if (!std::isfinite(bytes_per_s)) fail("bandwidth", text, "the value is too large");
  return Bandwidth::from_bytes_per_s(bytes_per_s);
}

SimTime parse_duration(std::string_view text) {
  NumberAndUnit parsed;
  if (!split_number(text, parsed)) fail("duration", text, kDurationExpected);
  const UnitScale* unit = find_unit(kDurationUnits, parsed.unit);
  if (unit == nullptr) fail("duration", text, kDurationExpected);
  try {
    return SimTime::from_ps_rounded(parsed.number * unit->scale);
  } catch (const OverflowError&) {
    fail("duration", text, "the value is longer than the simulated time range (about 106 days)");
  }
}

FlopRate parse_flop_rate(std::string_view text) {
  NumberAndUnit parsed;
  if (!split_number(text, parsed)) fail("FLOP rate", text, kFlopRateExpected);
  const UnitScale* unit = find_unit(kFlopRateUnits, parsed.unit);
  if (unit == nullptr) fail("FLOP rate", text, kFlopRateExpected);
  const double rate = parsed.number * unit->scale;
  if (!std::isfinite(rate)) fail("FLOP rate", text, "the value is too large");
  return FlopRate::from_flops_per_s(rate);
}

}  // namespace strata::sim
