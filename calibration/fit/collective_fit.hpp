// Fitting measured collective bus bandwidths into the curves a system profile uses (models/collectives/):
// a large-message peak and a size ramp (fraction of the peak by message size).
//
// Robust and monotone: a 3-point running median in size order removes single-point outliers (interior points;
// the two end points are kept), then isotonic regression (pool-adjacent-violators; Barlow et al.,
// "Statistical inference under order restrictions", 1972) makes bus bandwidth non-decreasing in size, as
// NCCL's is in expectation. The peak is the fitted value at the largest size; the ramp is fitted / peak.
// Points of zero bandwidth (below the log's printed resolution) are dropped.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/units.hpp"

namespace strata::calibration {

struct CurvePoint {
  sim::Bytes size;
  double busbw_gbps = 0;
};

struct FittedCurve {
  sim::Bandwidth peak_busbw;
  std::vector<std::pair<sim::Bytes, double>> size_ramp;  // ascending sizes, non-decreasing fractions, last 1
};

// Throws sim::InputError naming `source` when fewer than two points have a positive bandwidth, or when two
// points share a size.
FittedCurve fit_busbw_curve(std::vector<CurvePoint> points, const std::string& source);

}  // namespace strata::calibration
