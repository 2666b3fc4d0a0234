#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "calibration/nccl_tests/nccl_tests_log.hpp"
#include "sim/error.hpp"

using namespace strata::calibration;
using strata::models::CollectiveOp;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(STRATA_CALIBRATION_FIXTURES) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string error_of(const std::string& text, const std::string& source) {
  try {
    parse_nccl_tests_log(text, source);
  } catch (const strata::sim::InputError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("new layout: test name, ranks, root and #wrong columns, N/A", "[nccl-tests]") {
  const auto runs = parse_nccl_tests_log(fixture("all_reduce_new_layout.log"), "ar.log");
  REQUIRE(runs.size() == 1);
  const NcclTestsRun& run = runs[0];
  CHECK(run.op == CollectiveOp::kAllReduce);
  CHECK(run.test_name == "all_reduce_perf");
  CHECK(run.ranks == 8);
  CHECK(run.nodes == 1);
  CHECK(run.device_name == "NVIDIA H100 80GB HBM3");
  REQUIRE(run.rows.size() == 5);
  CHECK(run.rows[0].size_bytes == 1048576);
  CHECK(run.rows[0].line == 18);  // after 17 header, rank and INFO lines
  CHECK_FALSE(run.rows[0].root);
  CHECK(run.rows[2].out_of_place.busbw_gbps == Approx(361.55));
  CHECK(run.rows[2].in_place.time_us == Approx(323.90));
  CHECK(run.rows[0].out_of_place.wrong == 0);
  CHECK_FALSE(run.rows[4].in_place.wrong);
}

TEST_CASE("old layout: no root, error values, times in ms, rank count from rank lines", "[nccl-tests]") {
  const auto runs = parse_nccl_tests_log(fixture("all_gather_old_layout.log"), "ag.log");
  REQUIRE(runs.size() == 1);
  CHECK_FALSE(runs[0].op);  // this old log never names its binary
  CHECK(runs[0].ranks == 4);
  REQUIRE(runs[0].rows.size() == 6);
  CHECK(runs[0].rows[0].out_of_place.time_us == Approx(40.2));  // 0.0402 ms
  CHECK(runs[0].rows[5].in_place.busbw_gbps == Approx(144.17));
  CHECK(runs[0].rows[5].redop == "none");
}

TEST_CASE("concatenated runs are split, the rank count falls back to nThread x nGpus", "[nccl-tests]") {
  std::string both = fixture("all_reduce_new_layout.log") + fixture("all_gather_old_layout.log");
  const auto runs = parse_nccl_tests_log(both, "both.log");
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].op == CollectiveOp::kAllReduce);
  CHECK(runs[1].rows.size() == 6);
  std::string without_ranks = fixture("broken_row.log");
  without_ranks.erase(without_ranks.find("          16"));
  const auto single = parse_nccl_tests_log(without_ranks, "nr.log");
  CHECK(single[0].ranks == 8);  // nThread 1 x nGpus 8
}

TEST_CASE("malformed logs name the file and line, empty logs are refused", "[nccl-tests]") {
  CHECK(error_of(fixture("broken_row.log"), "bad.log")
            .rfind("bad.log: line 4: expected time, algbw and busbw", 0) == 0);
  CHECK(error_of("hello\nworld\n", "empty.log") ==
        "empty.log: no nccl-tests measurements found (expected a column header and data rows)");
  CHECK(error_of("# Collective test starting: gather_perf\n", "g.log") ==
        "g.log: line 1: unsupported nccl-tests binary \"gather_perf\"");
  CHECK(error_of("     1048576   1   float   sum   1.0  1.0  1.0  0  1.0  1.0  1.0  0\n", "nohdr.log")
            .find("line 1: data row before any nccl-tests column header") != std::string::npos);
  std::string short_row = fixture("broken_row.log");
  short_row.replace(short_row.find("oops"), 4, "");
  CHECK(error_of(short_row, "short.log").find("line 4: expected 13 columns") != std::string::npos);
}

TEST_CASE("binary names map to collectives", "[nccl-tests]") {
  CHECK(collective_from_test_name("/opt/nccl-tests/build/alltoall_perf") == CollectiveOp::kAllToAll);
  CHECK(collective_from_test_name("sendrecv_perf_mpi") == CollectiveOp::kSendRecv);
  CHECK(collective_from_test_name("reduce_scatter_perf") == CollectiveOp::kReduceScatter);
  CHECK_FALSE(collective_from_test_name("hypercube_perf"));
}
