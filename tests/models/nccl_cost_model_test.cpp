// NCCL's cost model (models/collectives/nccl_cost_model.hpp) with the shipped NCCL 2.30 constants
// (calibration/profiles/nccl/nccl-2.30.json) on the synthetic system (ring 100 GB/s, NVLS 150 GB/s at 8
// GPUs), a 1 us host network overhead and LL caps of 39, 39 and 20.4 GB/s (NCCL's Intel rows). Every expected
// value is derived by hand below from the formulas of the header; microseconds throughout.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/edited_profile.hpp"
#include "models/collectives/analytic_collective.hpp"
#include "models/collectives/nccl_cost_model.hpp"
#include "models/hardware/profile_reader.hpp"
#include "synthetic_system.hpp"

using namespace strata::models;
using strata::sim::Bandwidth;
using strata::sim::Bytes;

namespace {

const std::filesystem::path kNcclProfile =
    std::filesystem::path(STRATA_SOURCE_PROFILE_DIR) / "nccl" / "nccl-2.30.json";

SystemProfile system_with_nccl() {
  SystemProfile system = synthetic_system();
  system.nccl_tuning = read_nccl_tuning(kNcclProfile);
  system.collectives.ll_max_busbw = {
      {Bandwidth::from_gb_per_s(39), Bandwidth::from_gb_per_s(39), Bandwidth::from_gb_per_s(20.4)}, "test"};
  system.collectives.net_overhead = {strata::sim::SimTime::from_seconds(1e-6), "test"};
  return system;
}

NcclScope scope(int ranks, int nodes, double ring_gbps, double nvls_gbps = 0) {
  return NcclScope{ranks, nodes, ring_gbps * 1e9, nvls_gbps * 1e9};
}

std::string pair(const NcclChoice& choice) {
  return std::string(kNcclAlgorithmNames.name(choice.algorithm)) + "/" +
         std::string(kNcclProtocolNames.name(choice.protocol));
}

}  // namespace

TEST_CASE("a ring all-gather over 1,536 ranks pays 1,535 ring steps", "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  // 192 nodes x 8 GPUs, 8 MiB, ring 100 GB/s. Only the ring runs (PAT needs one GPU per node).
  // LL:     6.6 + (1535 - 191) x max(0.6, 1.0) + 191 x 2.7 = 1866.3; bus bytes 8 MiB x 1535/1536 = 8383146.67
  //         at min(100 x 0.5, 20.4) = 20.4 GB/s: 410.94; total 2277.24
  // LL128:  14 + 1344 x 1.9 + 191 x 4 = 3331.6 (+91.1)      Simple: 8.4 + 1344 x 3.4 + 191 x 14 = 7252
  // (+83.8)
  const auto choice = nccl_choice(system, CollectiveOp::kAllGather, 8388608.0, scope(1536, 192, 100));
  REQUIRE(choice);
  CHECK(pair(*choice) == "ring/ll");
  CHECK(choice->latency.microseconds() == Approx(1866.3));
  CHECK(choice->time.microseconds() == Approx(1866.3 + 8383146.67 / 20.4e3).epsilon(1e-6));
  // Half the ranks: 6.6 + (767 - 95) x 1.0 + 95 x 2.7 = 935.1; the latency grows with the ring.
  const auto half = nccl_choice(system, CollectiveOp::kAllGather, 8388608.0, scope(768, 96, 100));
  REQUIRE(half);
  CHECK(half->latency.microseconds() == Approx(935.1));
}

TEST_CASE("a small all-reduce across nodes takes the tree: log2 of the nodes, not the ranks",
          "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  // 8 nodes x 8 GPUs, 8 bytes. Tree/LL: 6.8 + 2 x ((8 - 1) x 0.6 + log2(8) x 5.0) = 45.2.
  // Ring/LL: 6.6 + (126 - 14) x 1.0 + 14 x 2.7 = 156.4. NVLS-tree: 25 + 2 x 3 x 20.9 = 150.4.
  const auto choice = nccl_choice(system, CollectiveOp::kAllReduce, 8.0, scope(64, 8, 100, 150));
  REQUIRE(choice);
  CHECK(pair(*choice) == "tree/ll");
  CHECK(choice->latency.microseconds() == Approx(45.2));
  // 8,192 nodes: 6.8 + 2 x (7 x 0.6 + 13 x 5) = 145.2; a ring would pay 2 x 65535 steps.
  const auto large = nccl_choice(system, CollectiveOp::kAllReduce, 8.0, scope(65536, 8192, 100, 150));
  REQUIRE(large);
  CHECK(pair(*large) == "tree/ll");
  CHECK(large->latency.microseconds() == Approx(145.2));
}

TEST_CASE("inside one node a large all-reduce takes NVLS at its 25 us step", "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  // NVLS: 25 + 2^30 x 1.75 / 150e3 = 25 + 12526.6; ring Simple: 8.4 + 14 x 3.4 + 2^30 x 1.75 / 100e3
  // (slower).
  const auto choice = nccl_choice(system, CollectiveOp::kAllReduce, 1073741824.0, scope(8, 1, 100, 150));
  REQUIRE(choice);
  CHECK(pair(*choice) == "nvls/simple");
  CHECK(choice->time.microseconds() == Approx(25 + 1073741824.0 * 1.75 / 150e3));
}

TEST_CASE("the tree's bandwidth is corrected at medium sizes", "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  // 2 nodes x 8 GPUs, no NVLS, 1 MiB: size class floor(log2(2^20 / 64)) = 14 -> LL 0.5, LL128 0.6, Simple
  // 0.5. Bus bytes 2^20 x 2 x 15/16 = 1966080. tree/LL128: 14 + 2 x (7 x 1.25 + 1 x 8.5) = 48.5; 100 x 0.8625
  // x 0.6 = 51.75 GB/s: 37.99; total 86.49 tree/LL:    6.8 + 2 x (7 x 0.6 + 5) = 25.2; min(24.21, 39) x 0.5
  // = 12.105 GB/s: 162.42; total 187.6 ring/LL:    6.6 + 28 x 1.0 + 2 x 2.7 = 40; min(50, 39) = 39
  // GB/s: 50.41; total 90.41 ring/LL128: 14 + 28 x 1.9 + 2 x 4 = 75.2; 92 GB/s: 21.37; total 96.57
  const auto choice = nccl_choice(system, CollectiveOp::kAllReduce, 1048576.0, scope(16, 2, 100));
  REQUIRE(choice);
  CHECK(pair(*choice) == "tree/ll128");
  CHECK(choice->time.microseconds() == Approx(48.5 + 1966080.0 / 51.75e3));
}

TEST_CASE("an inter-node Simple ring all-reduce pays the plateau factor", "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  // 2 nodes x 8 GPUs, no NVLS, 1 GiB (size class 24: no tree correction). Ring/Simple latency:
  // (8.4 + 28 x max(3.4, 1 x 3) + 2 x 14) x 1.4 = 131.6 x 1.4 = 184.24; bandwidth 100 GB/s.
  // Tree/Simple: 92 GB/s, slower on 2 GB of bus bytes; LL128 at 92 GB/s likewise.
  const auto choice = nccl_choice(system, CollectiveOp::kAllReduce, 1073741824.0, scope(16, 2, 100));
  REQUIRE(choice);
  CHECK(pair(*choice) == "ring/simple");
  CHECK(choice->latency.microseconds() == Approx(184.24));
}

TEST_CASE("one GPU per node: PAT for all-gather, the tree's network latency for every algorithm",
          "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  // 64 nodes x 1 GPU, 64 KiB, ring 25 GB/s. PAT: 8 + log2(64) x 14 / 3.5 + 64 x 2.8 = 211.2; 18.75
  // GB/s: 3.44. Ring/LL: 6.6 + 63 x 5.0 (the tree's LL network latency, ppn 1) = 321.6 (+3.16).
  const auto choice = nccl_choice(system, CollectiveOp::kAllGather, 65536.0, scope(64, 64, 25));
  REQUIRE(choice);
  CHECK(pair(*choice) == "pat/simple");
  CHECK(choice->latency.microseconds() == Approx(211.2));
  CHECK(choice->time.microseconds() == Approx(211.2 + 65536.0 * 63 / 64 / 18.75e3));
}

TEST_CASE("NCCL's tuner models reductions and gathers only", "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  CHECK_FALSE(nccl_choice(system, CollectiveOp::kAllToAll, 1e6, scope(16, 2, 100)));
  CHECK_FALSE(nccl_choice(system, CollectiveOp::kSendRecv, 1e6, scope(2, 2, 100)));
  CHECK_FALSE(nccl_choice(system, CollectiveOp::kAllReduce, 1e6, scope(1, 1, 100)));
}

TEST_CASE("analytic collectives take NCCL's time where its latency outlasts the measured ramp",
          "[collectives][nccl]") {
  const SystemProfile system = system_with_nccl();
  // 192 nodes x 8 GPUs on the synthetic system: 4 NICs of 25 GB/s per node give a 100 GB/s network ring.
  // The ramp at 8 MiB (log2 23, between 1 MiB 0.5 and 1 GiB 1.0): 0.5 + 0.5 x 3/10 = 0.65, 65 GB/s:
  // 8383146.67 / 65e3 = 128.97 us. NCCL: ring/LL, 2277.24 us (first test case): NCCL's time stands.
  const CollectiveEstimate estimate =
      analytic_collective(system, CollectiveOp::kAllGather, Bytes::from_mib(8), {192, 8});
  REQUIRE(estimate.nccl);
  CHECK(estimate.latency_bound);
  CHECK(estimate.ramp_time.microseconds() == Approx(8383146.67 / 65e3).epsilon(1e-6));
  CHECK(estimate.time.microseconds() == Approx(1866.3 + 8383146.67 / 20.4e3).epsilon(1e-6));
  // One node, 1 GiB: the ramp (1.0) gives 2^30 x 1.75 / 150e3 = 12526.6 us, NCCL's NVLS 25 us more:
  // NCCL's model is the slower and its latency is real, so it stands too.
  const CollectiveEstimate node =
      analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {1, 8});
  CHECK(node.time.microseconds() == Approx(25 + 1073741824.0 * 1.75 / 150e3));
}

TEST_CASE("a bad NCCL profile is refused with the file and JSON path", "[profiles][nccl]") {
  const auto error = [](const std::function<void(nlohmann::json&)>& edit) {
    return error_of_edited(kNcclProfile, edit, read_nccl_tuning);
  };
  CHECK(error([](auto& d) {
          d["base_latency"]["value"]["collnet"] = nlohmann::json::object();
        }).find("/base_latency/value/collnet: unknown NCCL algorithm \"collnet\"") != std::string::npos);
  CHECK(error([](auto& d) {
          d["nvlink_latency"]["value"]["ring"]["ll"] = "-1us";
        }).find("/nvlink_latency/value/ring/ll: invalid duration \"-1us\"") != std::string::npos);
  CHECK(error([](auto& d) {
          d["network_latency"]["value"]["tree"].erase("ll");
        }).find("/network_latency: no latency for tree/ll, which bandwidth_factor lists") !=
        std::string::npos);
  CHECK(error([](auto& d) {
          d["tree_correction_factor"]["value"]["ll"].erase(0);
        }).find("/tree_correction_factor/value/ll: expected 23 factors") != std::string::npos);
  CHECK(error([](auto& d) {
          d["tree_correction_factor"]["value"]["simple"][3] = 1.5;
        }).find("/tree_correction_factor/value/simple/3: expected a fraction in (0, 1]") !=
        std::string::npos);
  CHECK(error([](auto& d) {
          d["ring_plateau_latency_factor"]["value"] = 0;
        }).find("/ring_plateau_latency_factor/value: expected a positive number") != std::string::npos);
}
