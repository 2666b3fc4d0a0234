// Analytic collectives on the synthetic system (tests/models/synthetic_system.hpp); derivations inline.
#include <catch2/catch.hpp>

#include "models/collectives/analytic_collective.hpp"
#include "sim/error.hpp"
#include "synthetic_system.hpp"

using namespace strata::models;
using strata::sim::Bytes;

TEST_CASE("bus-bandwidth factors follow nccl-tests", "[collectives]") {
  CHECK(bus_bandwidth_factor(CollectiveOp::kAllReduce, 8) == Approx(1.75));
  CHECK(bus_bandwidth_factor(CollectiveOp::kAllGather, 8) == Approx(0.875));
  CHECK(bus_bandwidth_factor(CollectiveOp::kReduceScatter, 4) == Approx(0.75));
  CHECK(bus_bandwidth_factor(CollectiveOp::kAllToAll, 2) == Approx(0.5));
  CHECK(bus_bandwidth_factor(CollectiveOp::kBroadcast, 8) == 1.0);
  CHECK(collective_op_from_name("reduce-scatter") == CollectiveOp::kReduceScatter);
  CHECK_FALSE(collective_op_from_name("allreduce"));
}

TEST_CASE("the size ramp interpolates in log2(size)", "[collectives]") {
  const SystemProfile system = synthetic_system();
  const auto& c = system.collectives;
  CHECK(size_ramp_fraction(c, Bytes::from_mib(1)) == Approx(0.5));
  // 32 MiB = 2^25 lies halfway between 2^20 and 2^30 in log2: 0.5 + 0.5 * 0.5 = 0.75.
  CHECK(size_ramp_fraction(c, Bytes::from_mib(32)) == Approx(0.75));
  // Below the first point the time stays that of 1 KiB: 512 B -> 0.01 * 512 / 1024 = 0.005.
  CHECK(size_ramp_fraction(c, Bytes::from_count(512)) == Approx(0.005));
  CHECK(size_ramp_fraction(c, Bytes::from_gib(16)) == Approx(1.0));
}

TEST_CASE("all-reduce picks NVLS where listed and faster, else the ring", "[collectives]") {
  const SystemProfile system = synthetic_system();
  // 8 GPUs, 1 GiB: NVLS 150 GB/s > ring 100. time = 2^30 * 1.75 / 150e9 = 12.5266 ms.
  const CollectiveEstimate nvls =
      analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {1, 8});
  CHECK(nvls.algorithm == CollectiveAlgorithm::kNvls);
  CHECK(nvls.time.seconds() == Approx(1073741824.0 * 1.75 / 150e9));
  CHECK(nvls.busbw.gb_per_s() == Approx(150.0));
  CHECK(nvls.algbw.gb_per_s() == Approx(150.0 / 1.75));
  // 4 GPUs: NVLS lists only 8, so the ring: time = 2^30 * 1.5 / 100e9.
  const CollectiveEstimate ring =
      analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {1, 4});
  CHECK(ring.algorithm == CollectiveAlgorithm::kRing);
  CHECK(ring.time.seconds() == Approx(1073741824.0 * 1.5 / 100e9));
  // All-gather never uses NVLS here: ring, factor 7/8, at 32 MiB the ramp is 0.75: busbw 75 GB/s.
  const CollectiveEstimate gather =
      analytic_collective(system, CollectiveOp::kAllGather, Bytes::from_mib(32), {1, 8});
  CHECK(gather.busbw.gb_per_s() == Approx(75.0));
  CHECK(gather.time.seconds() == Approx(33554432.0 * 0.875 / 75e9));
}

TEST_CASE("across nodes the slower of NVLink ring and NICs sets the bus bandwidth", "[collectives]") {
  // 2 nodes x 8 GPUs: NICs give 4 x 25 = 100 GB/s = ring: 100 GB/s. With 12.5 GB/s NICs: 50 GB/s.
  SystemProfile system = synthetic_system();
  CHECK(analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {2, 8}).busbw.gb_per_s() ==
        Approx(100));
  system.nic_bandwidth.value = strata::sim::Bandwidth::from_gb_per_s(12.5);
  const CollectiveEstimate network =
      analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {2, 8});
  CHECK(network.algorithm == CollectiveAlgorithm::kNetwork);
  CHECK(network.busbw.gb_per_s() == Approx(50));
  // Half the GPUs of each node drive half the NICs: 2 x 12.5 = 25 GB/s.
  CHECK(analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {2, 4}).busbw.gb_per_s() ==
        Approx(25));
  // All-to-all over 2 nodes x 8: each GPU's NIC share is 4 * 12.5 / 8 = 6.25 GB/s; half its data leaves the
  // node; bus fraction 15/16: busbw = 6.25 * (15/16) / (1/2) = 11.71875 GB/s.
  CHECK(analytic_collective(system, CollectiveOp::kAllToAll, Bytes::from_gib(1), {2, 8}).busbw.gb_per_s() ==
        Approx(11.71875));
}

TEST_CASE("a send-recv moves at the ramp of an all-reduce G times its size", "[collectives]") {
  // The ramp is an 8-GPU all-reduce's, whose ring steps move one eighth of its message: a 128 KiB transfer
  // runs at the ramp of 1 MiB (0.5), 0.5 x 100 GB/s; an all-gather of 128 KiB at its own size's ramp.
  const SystemProfile system = synthetic_system();
  const CollectiveEstimate p2p =
      analytic_collective(system, CollectiveOp::kSendRecv, Bytes::from_kib(128), {1, 2});
  CHECK(p2p.ramp == Approx(0.5));
  CHECK(p2p.time.seconds() == Approx(131072.0 / 50e9));
  const CollectiveEstimate gather =
      analytic_collective(system, CollectiveOp::kAllGather, Bytes::from_kib(128), {1, 2});
  CHECK(gather.ramp < 0.5);
}

TEST_CASE("degenerate and invalid scopes", "[collectives]") {
  const SystemProfile system = synthetic_system();
  CHECK(analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {1, 1}).time.ps() == 0);
  CHECK(analytic_collective(system, CollectiveOp::kAllReduce, Bytes{}, {1, 8}).time.ps() == 0);
  CHECK_THROWS_AS(analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {1, 16}),
                  strata::sim::InputError);
  CHECK_THROWS_AS(analytic_collective(system, CollectiveOp::kAllReduce, Bytes::from_gib(1), {0, 8}),
                  strata::sim::InputError);
}

TEST_CASE("a group's scope counts its nodes and its widest node, in any order", "[collective]") {
  const std::vector<int> ordered = {0, 1, 2, 8, 9, 17};
  CHECK(scope_of_gpus(ordered, 8).nodes == 3);
  CHECK(scope_of_gpus(ordered, 8).gpus_per_node == 3);
  const std::vector<int> shuffled = {17, 8, 0, 9, 1, 2};
  CHECK(scope_of_gpus(shuffled, 8).nodes == 3);
  CHECK(scope_of_gpus(shuffled, 8).gpus_per_node == 3);
  const std::vector<int> strided = {0, 8, 16, 24};  // one GPU on each of four nodes
  CHECK(scope_of_gpus(strided, 8).nodes == 4);
  CHECK(scope_of_gpus(strided, 8).gpus_per_node == 1);
}
