// Hybrid sharded data parallelism (dp_shard) and ZeRO-Offload / ZeRO-Infinity (offload) in the lowering,
// replayed by the executor; the offload cost model derived by hand.
#include <catch2/catch.hpp>

#include "../support/input_error.hpp"
#include "lowering_fixtures.hpp"
#include "models/cost/offload_cost.hpp"
#include "models/executor/executor.hpp"
#include "models/executor/task_cost.hpp"
#include "models/strategy/rank_layout.hpp"
#include "models/strategy/training_lowering.hpp"

using namespace strata::models;
using namespace strata::models::testing;
using strata::sim::Bandwidth;
using strata::sim::Bytes;

namespace {

const Task* find_task(const ExecutionGraph& graph, int rank, const std::string& name) {
  for (const Task& t : graph.tasks) {
    if (t.rank == rank && t.name == name) return &t;
  }
  return nullptr;
}

std::vector<const Task*> collectives_of(const ExecutionGraph& graph, int rank,
                                        const std::string& group_kind) {
  std::vector<const Task*> out;
  for (const Task& t : graph.tasks) {
    if (t.rank == rank && t.type == TaskType::kCollective &&
        graph.groups[static_cast<std::size_t>(t.collective.group)].kind == group_kind) {
      out.push_back(&t);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("hybrid sharding splits the data group into shard groups and replica groups", "[lowering][hsdp]") {
  ParallelStrategy s;
  s.tp = 2, s.dp = 4, s.zero = 3, s.dp_shard = 2;
  const RankLayout layout(s);
  CHECK(layout.members(GroupKind::kData, 0) == std::vector<int>{0, 2, 4, 6});
  CHECK(layout.members(GroupKind::kDataShard, 0) == std::vector<int>{0, 2});
  CHECK(layout.members(GroupKind::kDataShard, 4) == std::vector<int>{4, 6});
  CHECK(layout.members(GroupKind::kDataShard, 5) == std::vector<int>{5, 7});
  CHECK(layout.members(GroupKind::kDataReplica, 0) == std::vector<int>{0, 4});
  CHECK(layout.members(GroupKind::kDataReplica, 7) == std::vector<int>{3, 7});
}

TEST_CASE("HSDP gathers and reduce-scatters inside the shard group and all-reduces a shard over replicas",
          "[lowering][hsdp]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{256, 16, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 16;
  s.zero = 3;
  s.dp_shard = 8;
  const LoweredTraining lowered = lower_training(model, training, s, 16, RankSet::kAll);
  const ExecutionGraph& graph = lowered.graph;
  const std::vector<const Task*> shard = collectives_of(graph, 3, "dp-shard");
  const std::vector<const Task*> replica = collectives_of(graph, 3, "dp-replica");
  REQUIRE(!shard.empty());
  REQUIRE(!replica.empty());
  CHECK(collectives_of(graph, 3, "dp").empty());
  // Each reduce-scatter in the shard group is followed by an all-reduce of its 1/8 over the 2 replicas.
  double scattered = 0;
  for (const Task* t : shard)
    scattered +=
        t->collective.op == CollectiveOp::kReduceScatter ? static_cast<double>(t->collective.bytes) : 0.0;
  double all_reduced = 0;
  for (const Task* t : replica) {
    CHECK(t->collective.op == CollectiveOp::kAllReduce);
    all_reduced += static_cast<double>(t->collective.bytes);
  }
  CHECK(all_reduced == Approx(scattered / 8).epsilon(1e-6));
  const CommGroup& shard_group = graph.groups[static_cast<std::size_t>(shard.front()->collective.group)];
  const CommGroup& replica_group = graph.groups[static_cast<std::size_t>(replica.front()->collective.group)];
  CHECK(shard_group.ranks == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});  // one node of the synthetic system
  CHECK(replica_group.ranks == std::vector<int>{3, 11});
  // Model states are sharded over 8 ranks, not 16.
  ParallelStrategy full = s;
  full.dp_shard = 0;
  CHECK(stage_model_state_bytes(model, s, 0) ==
        Approx(2.0 * stage_model_state_bytes(model, full, 0)).epsilon(0.02));
  const ExecutionResult result = execute(graph, exact_gpu(), synthetic_system());
  CHECK(result.tasks_run == graph.tasks.size());
}

TEST_CASE("HSDP with ZeRO-1 and context parallelism lowers and the collapsed graph matches the full one",
          "[lowering][hsdp]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{256, 16, Dtype::kBf16};
  ParallelStrategy s;
  s.cp = 2, s.dp = 4, s.zero = 1, s.dp_shard = 4;
  check_collapsed_matches_full(model, training, s);
}

TEST_CASE("hybrid sharding and offload refuse what the frameworks refuse, naming the field",
          "[lowering][hsdp][offload]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{256, 16, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 8;
  s.zero = 1;
  s.dp_shard = 3;
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 8); }),
             Catch::Contains("/dp_shard") && Catch::Contains("does not divide"));
  s.dp_shard = 4;
  s.zero = 0;
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 8); }),
             Catch::Contains("/dp_shard") && Catch::Contains("zero >= 1"));
  s.dp_shard = 0;
  s.offload = MemoryTier::kHostMemory;
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 8); }), Catch::Contains("/offload"));
  s.zero = 2;
  s.offload = MemoryTier::kNvme;
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 8); }),
             Catch::Contains("/offload") && Catch::Contains("zero 3"));
  s.offload = MemoryTier::kHostMemory;
  s.offload_parameters = true;
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 8); }),
             Catch::Contains("/offload_parameters"));
  s.zero = 3;
  CHECK(error_of([&] { validate_strategy(model, training, s, 8); }) == "no error");
}

TEST_CASE("offload transfer times follow the narrowest resource, node-wide ones shared by the node's GPUs",
          "[offload]") {
  const SystemProfile system = offload_system();
  const GpuProfile gpu = exact_gpu();
  const Bytes gigabyte = Bytes::from_count(1'000'000'000);
  // HBM -> host: min(HBM 1000, link 50, host DRAM 400 / 8 = 50) = 50 GB/s.
  CHECK(tier_transfer_time(system, gpu, MemoryTier::kHbm, MemoryTier::kHostMemory, gigabyte).seconds() ==
        Approx(0.02));
  // NVMe -> HBM: NVMe 40 / 8 = 5 GB/s; host DRAM crossed twice, 400 / 16 = 25.
  CHECK(tier_transfer_time(system, gpu, MemoryTier::kNvme, MemoryTier::kHbm, gigabyte).seconds() ==
        Approx(0.2));
  // HBM -> HBM: HBM read and written, 1000 / 2.
  CHECK(tier_transfer_time(system, gpu, MemoryTier::kHbm, MemoryTier::kHbm, gigabyte).seconds() ==
        Approx(0.002));
  // The host step: bytes over 400 / 8 GB/s.
  CHECK(host_memory_bound_time(system, gigabyte).seconds() == Approx(0.02));
  SystemProfile missing = system;
  missing.nvme_bandwidth.value = Bandwidth::from_bytes_per_s(0);
  CHECK_THROWS_WITH(tier_transfer_time(missing, gpu, MemoryTier::kHostMemory, MemoryTier::kNvme, gigabyte),
                    Catch::Contains("NVMe bandwidth"));
}

TEST_CASE("CPU offload: gradient shards to the host, the Adam step on the CPU, 16-bit weights back",
          "[lowering][offload]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{256, 16, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 8;
  s.zero = 2;
  const SystemProfile system = offload_system();
  const LoweredTraining plain = lower_training(model, training, s, 8, RankSet::kSymmetricOnce);
  s.offload = MemoryTier::kHostMemory;
  const LoweredTraining offloaded = lower_training(model, training, s, 8, RankSet::kSymmetricOnce);
  const ExecutionGraph& graph = offloaded.graph;

  const LayerParameters p = stage_parameters(model, s, 0);
  const double shard = p.dense / 8;
  double to_host = 0;
  for (const Task& t : graph.tasks) {
    if (t.type == TaskType::kHostTransfer && t.name == "gradients to host") {
      CHECK(t.transfer.from == MemoryTier::kHbm);
      CHECK(t.transfer.to == MemoryTier::kHostMemory);
      to_host += static_cast<double>(t.transfer.bytes);
    }
  }
  CHECK(to_host == Approx(shard * s.gradient_bytes).epsilon(1e-6));
  const Task* step = find_task(graph, 0, "optimizer step (host)");
  REQUIRE(step != nullptr);
  CHECK(step->compute.kind == ComputeKind::kHost);
  CHECK(step->compute.bytes == Approx(30.0 * shard));
  const Task* back = find_task(graph, 0, "weights to gpu");
  REQUIRE(back != nullptr);
  CHECK(static_cast<double>(back->transfer.bytes) == Approx(2.0 * shard).epsilon(1e-6));
  CHECK(find_task(graph, 0, "optimizer step") == nullptr);  // no GPU step

  // Only the 16-bit weights stay on the GPU; the rest is in host memory.
  CHECK(stage_model_state_bytes(model, s, 0) == Approx(2.0 * p.dense));
  const OffloadedBytes host = stage_offloaded_bytes(model, s, 0);
  CHECK(host.host == Approx((12.0 + s.gradient_bytes) * shard));
  CHECK(host.nvme == 0);

  const ExecutionResult with = execute(graph, exact_gpu(), system);
  const ExecutionResult without = execute(plain.graph, exact_gpu(), system);
  CHECK(with.peak_memory_bytes.at(0) < without.peak_memory_bytes.at(0));
  // The step ends with the host step and the weights' return: at least their times longer than the
  // backward's end.
  const double host_step =
      host_memory_bound_time(system, Bytes::from_count(static_cast<std::int64_t>(30.0 * shard))).seconds();
  CHECK(with.makespan.seconds() > without.makespan.seconds() + host_step -
                                      task_duration(plain.graph, *find_task(plain.graph, 0, "optimizer step"),
                                                    ClusterHardware(system, exact_gpu()))
                                          .seconds());
  CHECK(with.time_breakdown.at(0).count("offload") == 1);
}

TEST_CASE(
    "NVMe offload swaps the optimizer states beside the host step, parameter offload fetches weights per "
    "layer",
    "[lowering][offload]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{256, 16, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 8;
  s.zero = 3;
  s.offload = MemoryTier::kNvme;
  s.offload_parameters = true;
  const LoweredTraining lowered = lower_training(model, training, s, 8, RankSet::kSymmetricOnce);
  const ExecutionGraph& graph = lowered.graph;
  const Task* swap = find_task(graph, 0, "optimizer states swap (nvme)");
  REQUIRE(swap != nullptr);
  const LayerParameters p = stage_parameters(model, s, 0);
  CHECK(static_cast<double>(swap->transfer.bytes) == Approx((12.0 + 12.0 + 2.0) * p.dense / 8).epsilon(1e-6));
  CHECK(find_task(graph, 0, "weights to gpu") == nullptr);  // the weights stay on NVMe
  int fetches = 0;
  for (const Task& t : graph.tasks)
    fetches += t.name == "weights from nvme" && t.transfer.from == MemoryTier::kNvme ? 1 : 0;
  CHECK(fetches == 2 * 4 * 2);  // forward and backward, 4 layers, 2 micro-batches (16 / 8)
  CHECK(stage_model_state_bytes(model, s, 0) == 0);
  const OffloadedBytes bytes = stage_offloaded_bytes(model, s, 0);
  CHECK(bytes.nvme == Approx((12.0 + 2.0) * p.dense / 8));
  const ExecutionResult result = execute(graph, exact_gpu(), offload_system());
  CHECK(result.tasks_run == graph.tasks.size());
  CHECK(result.peak_memory_breakdown.at(0).count("gathered weights") == 1);
}
