// Profilers write times in microseconds (Kineto's "ts" and "dur", Chakra's duration_micros); the engine
// counts picoseconds. One conversion for every importer.
#pragma once

#include <algorithm>

#include "sim/sim_time.hpp"

namespace strata::traces {

inline constexpr double kPicosecondsPerMicrosecond = 1e6;

// A measured duration, rounded to the picosecond; a negative one (clock skew between a profiler's
// threads) is none.
inline sim::SimTime from_trace_microseconds(double microseconds) {
  return sim::SimTime::from_ps_rounded(std::max(0.0, microseconds) * kPicosecondsPerMicrosecond);
}

}  // namespace strata::traces
