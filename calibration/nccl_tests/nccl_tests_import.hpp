// nccl-tests logs -> collective curves, ready for a system profile's "collectives" section.
//
// Runs are grouped by (collective, ranks, nodes); several runs of one group are merged (mean bus bandwidth
// per size) and fitted (calibration/fit/collective_fit.hpp). The document written is
//   {"strata_collective_curves": 1,
//    "curves": [{"op", "gpus", "nodes", "device", "placement",
//                "peak_busbw": {"value": "477.6GB/s", "source": "..."},   <- profile format, paste as is
//                "size_ramp":  {"value": [[bytes, fraction], ...], "source": "..."},
//                "raw": [{"file", "line", "size_bytes", "time_us", "algbw_GBps", "busbw_GBps"}, ...]}]}
// Curves are ordered by op, then GPU count, then nodes; the output is deterministic.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/collectives/collective_op.hpp"

namespace strata::calibration {

struct NcclTestsLog {
  std::string source;  // file name
  std::string text;
};

struct NcclTestsImportOptions {
  std::optional<models::CollectiveOp> op;  // for logs that do not name their binary
  std::optional<int> gpus;                 // for logs without rank lines
  bool in_place = false;                   // fit the in-place columns instead of out-of-place
};

// Throws sim::InputError naming the file (and line) when a log is malformed, names no collective and none is
// given, contradicts --op or --gpus, or has no measurements.
nlohmann::json import_nccl_tests(const std::vector<NcclTestsLog>& logs,
                                 const NcclTestsImportOptions& options);

}  // namespace strata::calibration
