// The collective-curves document shared by `strata calibrate import-nccl-tests` and the NCCL probe:
//   {"strata_collective_curves": 1, "curves": [{"op", "gpus", "nodes", "device", "placement",
//     "peak_busbw": {"value", "source"}, "size_ramp": {"value", "source"}, "raw": [...]}]}
// peak_busbw and size_ramp are in profile format: paste them into a system profile's "collectives" section
// (peak_busbw as ring_busbw for ring collectives, or as the entry for that GPU count in nvls_busbw_by_gpus).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/collectives/collective_op.hpp"

namespace strata::calibration {

struct CurveSamples {
  models::CollectiveOp op = models::CollectiveOp::kAllReduce;
  int gpus = 0;
  int nodes = 1;
  std::string device;
  std::string placement;  // "out-of-place" or "in-place"
  std::string origin;     // e.g. "nccl-tests: a.log, b.log" or "probe: H100, NCCL 2.21.5, 2026-11-22"
  std::map<std::int64_t, std::vector<double>> busbw_by_size;  // GB/s samples per size
  nlohmann::json raw = nlohmann::json::array();
};

// Fits the samples (mean per size, then fit_busbw_curve) into one curve entry. Throws sim::InputError naming
// the origin when there are too few sizes.
nlohmann::json curve_json(const CurveSamples& samples);
nlohmann::json curves_document(nlohmann::json curves);

}  // namespace strata::calibration
