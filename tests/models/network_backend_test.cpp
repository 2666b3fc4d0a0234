// The two network back ends (models/network): the analytic one charges concurrent transfers against a GPU's
// ports; both give the same times where nothing contends. Synthetic system:
// tests/models/synthetic_system.hpp.
#include <catch2/catch.hpp>

#include "lowering_fixtures.hpp"
#include "models/executor/executor.hpp"
#include "models/network/analytic_backend.hpp"
#include "models/strategy/training_lowering.hpp"
#include "synthetic_system.hpp"

using namespace strata::models;
using namespace strata::models::testing;
using strata::sim::SimTime;

namespace {

// Two ranks on GPUs 0 and 8 (nodes 0 and 1 of the synthetic system with 8 NICs: one 25 GB/s NIC per GPU), and
// `calls` all-reduces of 1 GiB between them, each on its own stream, all ready at t = 0.
ExecutionGraph concurrent_all_reduces(int calls) {
  ExecutionGraph graph;
  graph.ranks = 2;
  graph.gpus = 16;
  graph.gpu_of_rank = {0, 8};
  for (int c = 0; c < calls; ++c) graph.streams.push_back("comm" + std::to_string(c));
  graph.groups = {CommGroup{"dp", {0, 1}, {}}};
  for (int c = 0; c < calls; ++c) {
    for (int rank : {0, 1}) {
      Task task;
      task.rank = rank;
      task.stream = c;
      task.type = TaskType::kCollective;
      task.name = "all-reduce";
      task.category = "dp";
      task.collective = {CollectiveOp::kAllReduce, std::int64_t{1} << 30, 0, static_cast<std::uint64_t>(c)};
      graph.add(task);
    }
  }
  return graph;
}

}  // namespace

TEST_CASE("two collectives over one NIC each take twice as long in the analytic back end", "[network]") {
  // One all-reduce of 1 GiB across two nodes, one GPU each: a ring over one NIC channel at 25 GB/s, ramp 1 at
  // 1 GiB, bus factor 2(n-1)/n = 1: 2^30 / 25e9 = 42.95 ms, and it keeps each GPU's NIC (25 GB/s) fully busy.
  // Two of them at once share the NICs: both progress at half speed and end together at twice that.
  const SystemProfile system = synthetic_system(8, 8);
  const double alone = 1073741824.0 / 25e9;
  const ExecutionResult one = execute(concurrent_all_reduces(1), exact_gpu(), system);
  CHECK(one.makespan.seconds() == Approx(alone).epsilon(1e-9));
  const ExecutionResult two = execute(concurrent_all_reduces(2), exact_gpu(), system);
  CHECK(two.makespan.seconds() == Approx(2 * alone).epsilon(1e-9));
  CHECK(two.seconds_by_category.at("dp") == Approx(2 * 2 * alone).epsilon(1e-9));  // each of the two lasts 2x
}

TEST_CASE("transfers that fit a port's capacity together do not slow each other", "[network]") {
  // 1 MiB all-reduces run at ramp 0.5: each keeps half of the NIC busy, so two fit side by side unchanged.
  const SystemProfile system = synthetic_system(8, 8);
  ExecutionGraph graph = concurrent_all_reduces(2);
  for (Task& task : graph.tasks) task.collective.bytes = std::int64_t{1} << 20;
  const double alone = 1048576.0 / (25e9 * 0.5);
  CHECK(execute(graph, exact_gpu(), system).makespan.seconds() == Approx(alone).epsilon(1e-9));
}

TEST_CASE("a training step takes the same time on both network back ends when nothing contends",
          "[network]") {
  // Every rank instantiated (the flow back end moves each rank's own traffic). TP 2 x DP 2 on one node: TP
  // all-reduces block the compute stream, the DP all-reduce runs after the last backward (no overlap), so no
  // two transfers ever share a link. PP 2 alone: activations go forward and gradients back on opposite
  // directions of the NVLink ports.
  const SystemProfile system = offload_system();  // the flow back end builds host links and DRAM too
  const GpuProfile gpu = exact_gpu();
  const ClusterHardware hardware(system, gpu);
  const TrainingSpec training{512, 8, Dtype::kBf16};
  ParallelStrategy tp_dp;
  tp_dp.tp = 2;
  tp_dp.dp = 2;
  tp_dp.dp_overlap = false;
  ParallelStrategy pipeline;
  pipeline.pp = 2;
  for (const ParallelStrategy& s : {tp_dp, pipeline}) {
    const LoweredTraining lowered =
        lower_training(small_model(4), training, s, s.world_size(), RankSet::kAll);
    const ExecutionResult analytic = execute(lowered.graph, hardware, NetworkFidelity::kAnalytic);
    const ExecutionResult flow = execute(lowered.graph, hardware, NetworkFidelity::kFlow);
    CHECK(flow.tasks_run == analytic.tasks_run);
    CHECK(flow.makespan.seconds() == Approx(analytic.makespan.seconds()).epsilon(1e-6));
    CHECK(flow.seconds_by_category.at("compute") ==
          Approx(analytic.seconds_by_category.at("compute")).epsilon(1e-9));
  }
}

TEST_CASE("the analytic back end does not slow a TP all-reduce beside a NIC-bound reduction", "[network]") {
  // A 64 MiB all-reduce inside the node (NVLink ports only) and a 1 GiB one across nodes (NIC-bound, and on
  // NVLink it uses nothing with one GPU per node): they share no port, so each takes its time alone.
  const SystemProfile system = synthetic_system(8, 8);
  ExecutionGraph graph;
  graph.ranks = 3;
  graph.gpus = 16;
  graph.gpu_of_rank = {0, 1, 8};
  graph.streams = {"tp", "dp"};
  graph.groups = {CommGroup{"tp", {0, 1}, {}}, CommGroup{"dp", {0, 2}, {}}};
  for (int rank : {0, 1}) {
    Task task;
    task.rank = rank;
    task.stream = 0;
    task.type = TaskType::kCollective;
    task.name = "tp all-reduce";
    task.collective = {CollectiveOp::kAllReduce, std::int64_t{64} << 20, 0, 1};
    graph.add(task);
  }
  for (int rank : {0, 2}) {
    Task task;
    task.rank = rank;
    task.stream = 1;
    task.type = TaskType::kCollective;
    task.name = "dp all-reduce";
    task.collective = {CollectiveOp::kAllReduce, std::int64_t{1} << 30, 1, 2};
    graph.add(task);
  }
  CHECK(execute(graph, exact_gpu(), system).makespan.seconds() == Approx(1073741824.0 / 25e9).epsilon(1e-9));
}
