// Reader of the standard output of the nccl-tests binaries (github.com/NVIDIA/nccl-tests): all_reduce_perf,
// all_gather_perf, reduce_scatter_perf, alltoall_perf, broadcast_perf, sendrecv_perf.
//
// Accepted layouts: the old columns (size count type redop time algbw busbw error, twice) and the newer ones
// with a root column and "#wrong" (possibly "N/A"); times in us or ms as the units line says (us when there
// is none); any -g/-n/-N/-t; several runs concatenated in one file (each starts at its "# nThread" line). The
// collective comes from the "# Collective test starting: <binary>" line where the log has one; the rank count
// from the "#  Rank N ... on <host> device ..." lines (or nThread x nGpus when they are missing). A malformed
// data row, or a log with no measurement, is an InputError naming the file and line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/collectives/collective_op.hpp"

namespace strata::calibration {

struct NcclTestsMeasurement {
  double time_us = 0;
  double algbw_gbps = 0;
  double busbw_gbps = 0;
  std::optional<std::int64_t> wrong;  // absent when the log says N/A or predates the column
};

struct NcclTestsRow {
  int line = 0;  // 1-based line in the log
  std::int64_t size_bytes = 0;
  std::int64_t count = 0;
  std::string type;
  std::string redop;
  std::optional<int> root;
  NcclTestsMeasurement out_of_place;
  NcclTestsMeasurement in_place;
};

struct NcclTestsRun {
  std::string source;  // file name, for messages and provenance
  int first_line = 0;
  std::optional<models::CollectiveOp> op;  // from the log's test-name line, if any
  std::string test_name;                   // e.g. "all_reduce_perf", empty when the log does not say
  int ranks = 0;                           // 0 when the log does not say
  int nodes = 0;                           // distinct hosts on the rank lines; 0 when unknown
  std::string device_name;                 // e.g. "NVIDIA H100 80GB HBM3"
  std::vector<NcclTestsRow> rows;
};

// Bounds on what a log may claim, beyond any real run, so that a corrupt number is an error at its line
// rather than an overflow later: GPUs in one run (2^20), a bandwidth (100,000 GB/s: fifty times an
// NVLink 5 GPU's 1.8 TB/s), a time (10^12 us, eleven days).
inline constexpr std::int64_t kMaxLogRanks = std::int64_t{1} << 20;
inline constexpr double kMaxLogBandwidthGbps = 1e5;
inline constexpr double kMaxLogTimeUs = 1e12;

// Parses every run in `text`. Throws sim::InputError("<source>", "line N", ...) for malformed input.
std::vector<NcclTestsRun> parse_nccl_tests_log(std::string_view text, const std::string& source);

// "all_reduce_perf" (with or without a path or "_mpi" suffix) -> all-reduce; nullopt for other binaries.
std::optional<models::CollectiveOp> collective_from_test_name(std::string_view test_name);

}  // namespace strata::calibration
