// Memory-tier transfers as flows on the shipped DGX H100 profile; derivations inline.
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "models/topology/memory_tiers.hpp"
#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"

using namespace strata::models;

namespace {

struct Cluster {
  strata::sim::EventQueue queue;
  strata::sim::FluidNetwork network{queue, std::make_unique<strata::sim::MaxMinFairSolver>()};
  ProfileCatalog catalog{STRATA_SOURCE_PROFILE_DIR};
  SystemProfile system = catalog.system("dgx-h100");
  GpuProfile gpu = catalog.gpu(system.gpu);
};

// Rates (GB/s) of `gpus` concurrent 10 GB transfers from one tier to another on node 0.
std::vector<double> concurrent_rates(Cluster& c, const MemoryTiers& tiers, int gpus, MemoryTier from,
                                     MemoryTier to) {
  std::vector<strata::sim::FlowId> flows;
  for (int g = 0; g < gpus; ++g) {
    flows.push_back(c.network.start_flow(tiers.transfer_path(g, from, to),
                                         strata::sim::Bytes::from_count(10'000'000'000), {}));
  }
  std::vector<double> rates;
  for (const auto& flow : flows) rates.push_back(c.network.rate(flow).gb_per_s());
  for (const auto& flow : flows) c.network.cancel_flow(flow);
  return rates;
}

}  // namespace

TEST_CASE("host-to-device loads are limited by each GPU's host link", "[tiers]") {
  // 8 GPUs at 51 GB/s each = 408 GB/s < 614.4 GB/s of host DRAM: every GPU gets its 51 GB/s.
  Cluster c;
  const MemoryTiers tiers(c.network, c.system, c.gpu, 1);
  for (double rate : concurrent_rates(c, tiers, 8, MemoryTier::kHostMemory, MemoryTier::kHbm))
    CHECK(rate == Approx(51.0));
  for (double rate : concurrent_rates(c, tiers, 8, MemoryTier::kHbm, MemoryTier::kHostMemory))
    CHECK(rate == Approx(52.0));
}

TEST_CASE("NVMe is shared by the node's GPUs", "[tiers]") {
  // 8 GPUs reading from the node's 48 GB/s NVMe: 6 GB/s each (host DRAM carries 2 x 48 = 96 GB/s, not a
  // limit).
  Cluster c;
  const MemoryTiers tiers(c.network, c.system, c.gpu, 1);
  for (double rate : concurrent_rates(c, tiers, 8, MemoryTier::kNvme, MemoryTier::kHbm))
    CHECK(rate == Approx(6.0));
}

TEST_CASE("host DRAM becomes the bottleneck when it is the slower link", "[tiers]") {
  // Host DRAM cut to 200 GB/s: 8 loads of at most 51 GB/s share it, 25 GB/s each.
  Cluster c;
  c.system.host_memory_bandwidth.value = strata::sim::Bandwidth::from_gb_per_s(200);
  const MemoryTiers tiers(c.network, c.system, c.gpu, 1);
  for (double rate : concurrent_rates(c, tiers, 8, MemoryTier::kHostMemory, MemoryTier::kHbm))
    CHECK(rate == Approx(25.0));
  // A device-to-device copy reads and writes HBM: half the achievable 2.97 TB/s.
  const auto copy = tiers.transfer_path(0, MemoryTier::kHbm, MemoryTier::kHbm);
  CHECK(copy.size() == 2);
  const auto flow = c.network.start_flow(copy, strata::sim::Bytes::from_count(1'000'000'000), {});
  CHECK(c.network.rate(flow).gb_per_s() == Approx(c.gpu.achievable_memory_bandwidth().gb_per_s() / 2));
  CHECK_THROWS_AS(tiers.transfer_path(8, MemoryTier::kHbm, MemoryTier::kNvme), strata::sim::SimulationError);
}

TEST_CASE("NVMe to HBM passes a host bounce buffer twice", "[tiers]") {
  // Host DRAM at 60 GB/s carries the NVMe stream twice (DMA in, DMA out): 30 GB/s in total, below the NVMe's
  // 48 GB/s; 8 GPUs share it at 3.75 GB/s each.
  Cluster c;
  c.system.host_memory_bandwidth.value = strata::sim::Bandwidth::from_gb_per_s(60);
  const MemoryTiers tiers(c.network, c.system, c.gpu, 1);
  for (double rate : concurrent_rates(c, tiers, 8, MemoryTier::kNvme, MemoryTier::kHbm))
    CHECK(rate == Approx(3.75));
  // Host to NVMe without a GPU passes host DRAM once: 8 writers share the 48 GB/s NVMe, 6 GB/s each.
  std::vector<strata::sim::FlowId> flows;
  for (int g = 0; g < 8; ++g) {
    flows.push_back(c.network.start_flow(tiers.transfer_path(g, MemoryTier::kHostMemory, MemoryTier::kNvme),
                                         strata::sim::Bytes::from_count(1'000'000'000), {}));
  }
  CHECK(c.network.rate(flows[0]).gb_per_s() == Approx(6.0));
}
