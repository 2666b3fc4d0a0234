#include "calibration/fit/collective_fit.hpp"

#include <algorithm>

#include "sim/error.hpp"

namespace strata::calibration {
namespace {

std::vector<double> running_median(const std::vector<double>& values) {
  std::vector<double> smoothed = values;
  for (std::size_t i = 1; i + 1 < values.size(); ++i) {
    double window[3] = {values[i - 1], values[i], values[i + 1]};
    std::sort(window, window + 3);
    smoothed[i] = window[1];
  }
  return smoothed;
}

// Pool-adjacent-violators: the non-decreasing sequence closest to `values` in least squares.
std::vector<double> isotonic(const std::vector<double>& values) {
  struct Block {
    double sum;
    std::size_t count;
    double mean() const { return sum / static_cast<double>(count); }
  };
  std::vector<Block> blocks;
  for (double value : values) {
    blocks.push_back({value, 1});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].mean() > blocks.back().mean()) {
      blocks[blocks.size() - 2].sum += blocks.back().sum;
      blocks[blocks.size() - 2].count += blocks.back().count;
      blocks.pop_back();
    }
  }
  std::vector<double> fitted;
  for (const Block& block : blocks) fitted.insert(fitted.end(), block.count, block.mean());
  return fitted;
}

}  // namespace

FittedCurve fit_busbw_curve(std::vector<CurvePoint> points, const std::string& source) {
  std::erase_if(points, [](const CurvePoint& p) { return !(p.busbw_gbps > 0.0); });
  std::sort(points.begin(), points.end(),
            [](const CurvePoint& a, const CurvePoint& b) { return a.size < b.size; });
  if (points.size() < 2)
    throw sim::InputError(source, "", "need at least two sizes with a positive bus bandwidth to fit a curve");
  for (std::size_t i = 1; i < points.size(); ++i) {
    if (points[i].size == points[i - 1].size) {
      throw sim::InputError(source, "",
                            "two measurements of size " + std::to_string(points[i].size.count()) +
                                " B; merge runs before fitting");
    }
  }
  std::vector<double> values;
  for (const CurvePoint& p : points) values.push_back(p.busbw_gbps);
  const std::vector<double> fitted = isotonic(running_median(values));
  FittedCurve curve;
  const double peak = fitted.back();
  curve.peak_busbw = sim::Bandwidth::from_gb_per_s(peak);
  for (std::size_t i = 0; i < points.size(); ++i)
    curve.size_ramp.emplace_back(points[i].size, fitted[i] / peak);
  return curve;
}

}  // namespace strata::calibration
