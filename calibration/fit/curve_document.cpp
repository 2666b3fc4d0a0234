#include "calibration/fit/curve_document.hpp"

#include <cmath>
#include <cstdio>

#include "calibration/fit/collective_fit.hpp"

namespace strata::calibration {
namespace {

std::string gbps_text(double gbps) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2fGB/s", gbps);
  return text;
}

}  // namespace

nlohmann::json curve_json(const CurveSamples& samples) {
  std::vector<CurvePoint> points;
  for (const auto& [size, values] : samples.busbw_by_size) {
    double sum = 0;
    for (double value : values) sum += value;
    points.push_back({sim::Bytes::from_count(size), sum / static_cast<double>(values.size())});
  }
  const FittedCurve fitted = fit_busbw_curve(points, samples.origin);
  const std::string source = samples.origin + " (" + std::string(models::collective_op_name(samples.op)) +
                             ", " + std::to_string(samples.gpus) + " GPUs, " + std::to_string(samples.nodes) +
                             " node(s), " + samples.placement + "; running median + isotonic fit)";
  nlohmann::json ramp = nlohmann::json::array();
  for (const auto& [size, fraction] : fitted.size_ramp) {
    // Four decimals, but never rounded down to zero (the profile reader wants fractions in (0, 1]).
    ramp.push_back({size.count(), std::max(1e-4, std::round(fraction * 1e4) / 1e4)});
  }
  return {{"op", models::collective_op_name(samples.op)},
          {"gpus", samples.gpus},
          {"nodes", samples.nodes},
          {"device", samples.device},
          {"placement", samples.placement},
          {"peak_busbw", {{"value", gbps_text(fitted.peak_busbw.gb_per_s())}, {"source", source}}},
          {"size_ramp", {{"value", ramp}, {"source", source}}},
          {"raw", samples.raw}};
}

nlohmann::json curves_document(nlohmann::json curves) {
  return {{"strata_collective_curves", 1}, {"curves", std::move(curves)}};
}

}  // namespace strata::calibration
