#include <catch2/catch.hpp>

#include "calibration/fit/collective_fit.hpp"
#include "sim/error.hpp"

using namespace strata::calibration;
using strata::sim::Bytes;

namespace {
CurvePoint point(std::int64_t size, double busbw) { return {Bytes::from_count(size), busbw}; }
}  // namespace

TEST_CASE("a clean rising curve keeps its points, the peak is the largest size", "[fit]") {
  const FittedCurve curve =
      fit_busbw_curve({point(1 << 20, 50), point(1 << 24, 200), point(1 << 30, 400)}, "t");
  CHECK(curve.peak_busbw.gb_per_s() == Approx(400));
  REQUIRE(curve.size_ramp.size() == 3);
  CHECK(curve.size_ramp[0].second == Approx(0.125));
  CHECK(curve.size_ramp[1].second == Approx(0.5));
  CHECK(curve.size_ramp[2].second == Approx(1.0));
}

TEST_CASE("a single high outlier is removed and the curve made monotone", "[fit]") {
  // Sizes 1..5 with busbw 10, 90 (outlier), 30, 25, 50. Running median: 10, 30, 30, 30, 50 (ends kept).
  // Already non-decreasing: ramp 0.2, 0.6, 0.6, 0.6, 1.0 against the peak 50.
  const FittedCurve curve =
      fit_busbw_curve({point(1, 10), point(2, 90), point(4, 30), point(8, 25), point(16, 50)}, "t");
  CHECK(curve.peak_busbw.gb_per_s() == Approx(50));
  const std::vector<double> expected{0.2, 0.6, 0.6, 0.6, 1.0};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(curve.size_ramp[i].second == Approx(expected[i]));
}

TEST_CASE("a dip is pooled with its neighbour (isotonic regression)", "[fit]") {
  // 10, 40, 30, 35, 60: median gives 10, 30, 35, 35, 60, monotone. With a dip at the end of a plateau:
  // 10, 40, 38, 20, 60 -> median 10, 38, 38, 38, 60: already monotone, the 20 is gone.
  const FittedCurve curve =
      fit_busbw_curve({point(1, 10), point(2, 40), point(4, 38), point(8, 20), point(16, 60)}, "t");
  CHECK(curve.size_ramp[3].second == Approx(38.0 / 60.0));
  // Two points decreasing (no interior to smooth): pooled to their mean 30: a flat ramp of 1.
  const FittedCurve flat = fit_busbw_curve({point(1, 40), point(2, 20)}, "t");
  CHECK(flat.peak_busbw.gb_per_s() == Approx(30));
  CHECK(flat.size_ramp[0].second == Approx(1.0));
}

TEST_CASE("too few points or duplicate sizes are refused", "[fit]") {
  CHECK_THROWS_AS(fit_busbw_curve({point(8, 0.0), point(16, 0.0), point(32, 5.0)}, "t"),
                  strata::sim::InputError);
  CHECK_THROWS_AS(fit_busbw_curve({point(8, 1.0), point(8, 2.0)}, "t"), strata::sim::InputError);
}
