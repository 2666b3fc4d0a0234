// The executor on hand-built graphs. Synthetic GPU: memory-bound kernels take bytes / 1 TB/s exactly (no
// launch overhead), so 1e7 bytes = 10 us. Synthetic system: tests/models/synthetic_system.hpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "models/executor/executor.hpp"
#include "models/network/analytic_backend.hpp"
#include "sim/error.hpp"
#include "sim/timeline_recorder.hpp"
#include "synthetic_system.hpp"

using namespace strata::models;
using strata::sim::SimTime;

namespace {

GpuProfile unit_gpu() {
  GpuProfile gpu;
  gpu.name = "unit";
  gpu.sm_count = {100, "test"};
  gpu.memory_bandwidth = {strata::sim::Bandwidth::from_gb_per_s(1000), "test"};
  gpu.memory_efficiency = {1.0, "test"};
  gpu.kernel_launch_overhead = {SimTime::zero(), "test"};
  gpu.gemm_tile_overhead = {SimTime::zero(), "test"};
  return gpu;
}

Task kernel(int rank, double microseconds, std::vector<TaskId> deps = {}, int stream = 0) {
  Task task;
  task.rank = rank;
  task.stream = stream;
  task.type = TaskType::kCompute;
  task.name = "k";
  task.category = "compute";
  task.compute.kind = ComputeKind::kMemoryBound;
  task.compute.bytes = microseconds * 1e6;  // at 1 TB/s: 1e6 bytes per microsecond
  task.deps = std::move(deps);
  return task;
}

Task task_on(int rank, int stream, TaskType type, const char* name, const char* category,
             std::vector<TaskId> deps) {
  Task task;
  task.rank = rank;
  task.stream = stream;
  task.type = type;
  task.name = name;
  task.category = category;
  task.deps = std::move(deps);
  return task;
}

// Rank `rank`'s member of a 1 GiB all-reduce over group 0 on stream 1.
Task gibibyte_all_reduce(int rank, std::vector<TaskId> deps) {
  Task reduce = task_on(rank, 1, TaskType::kCollective, "all-reduce", "dp", std::move(deps));
  reduce.collective = {CollectiveOp::kAllReduce, std::int64_t{1} << 30, 0, 7};
  return reduce;
}

ExecutionGraph two_ranks() {
  ExecutionGraph graph;
  graph.ranks = 2;
  graph.streams = {"compute", "comm"};
  graph.groups = {CommGroup{"dp", {0, 1}, {}}};
  return graph;
}

}  // namespace

TEST_CASE("a collective waits for its slowest member, then ends for all at once", "[executor]") {
  // Rank 0 computes 10 us, rank 1 20 us; the all-reduce (1 GiB on 2 of 8 GPUs: ring 100 GB/s, ramp 1,
  // 2^30 x 1 / 100e9 = 10.737 us... x 1000) starts at 20 us on both.
  ExecutionGraph graph = two_ranks();
  const TaskId a = graph.add(kernel(0, 10));
  const TaskId b = graph.add(kernel(1, 20));
  for (int rank : {0, 1}) {
    graph.add(gibibyte_all_reduce(rank, {rank == 0 ? a : b}));
  }
  const SystemProfile system = synthetic_system();
  const double reduce_s = 1073741824.0 * 1.0 / 100e9;  // factor 2(n-1)/n = 1 for n = 2
  strata::sim::TimelineRecorder timeline;
  const ExecutionResult result = execute(graph, unit_gpu(), system, &timeline);
  CHECK(result.makespan.seconds() == Approx(20e-6 + reduce_s));
  CHECK(result.seconds_by_category.at("compute") == Approx(15e-6));  // (10 + 20) / 2 ranks
  CHECK(result.seconds_by_category.at("dp") == Approx(reduce_s));
  CHECK(result.tasks_run == 4);
  // The timeline: rank 0's all-reduce slice starts at 10 us and says it waited 10 us for rank 1, which
  // arrived last (one arrow from it to rank 0); the kernels carry their bytes and rate.
  CHECK(timeline.flow_count() == 1);
  const auto spans = timeline.spans_between(SimTime::zero(), result.makespan, 10);
  REQUIRE(spans.size() == 4);
  std::ostringstream out;
  timeline.write_chrome_trace(out);
  const std::string trace = out.str();
  CHECK(trace.find("\"wait_for_peers_ms\": 0.01") != std::string::npos);
  CHECK(trace.find("all-reduce: rank 1 arrived last") != std::string::npos);
  CHECK(trace.find("\"achieved_gb_per_s\": 1000") != std::string::npos);
}

TEST_CASE("streams overlap, program order holds within a stream", "[executor]") {
  // Rank 0: compute 10 us then 10 us on stream 0; on stream 1 a 15 us kernel depending on the first: runs
  // 10..25 us beside the second (10..20). Makespan 25 us.
  ExecutionGraph graph = two_ranks();
  const TaskId first = graph.add(kernel(0, 10));
  graph.add(kernel(0, 10));
  graph.add(kernel(0, 15, {first}, 1));
  graph.ranks = 1;
  graph.groups.clear();
  CHECK(execute(graph, unit_gpu(), synthetic_system()).makespan == SimTime::from_us(25));
}

TEST_CASE("send and recv meet, a missing peer is reported, not a hang", "[executor]") {
  ExecutionGraph graph = two_ranks();
  Task send;
  send.rank = 0;
  send.stream = 1;
  send.type = TaskType::kSend;
  send.name = "send";
  send.p2p = {1, 100'000'000, 1};
  Task recv = send;
  recv.rank = 1;
  recv.type = TaskType::kRecv;
  recv.name = "recv";
  recv.p2p = {0, 100'000'000, 1};
  graph.add(kernel(0, 5));
  send.deps = {0};
  graph.add(send);
  graph.add(recv);
  // 100 MB over NVLink at ring 100 GB/s x the ramp of its ring step (analytic_collective.hpp: a send of b
  // bytes moves at the ramp of an all-reduce of G x b = 8e8 bytes): 0.5 + 0.5 x log2(8e8 / 2^20) / 10 =
  // 0.9787.
  const double ramp = 0.5 + 0.5 * std::log2(8e8 / 1048576.0) / 10.0;
  CHECK(execute(graph, unit_gpu(), synthetic_system()).makespan.seconds() ==
        Approx(5e-6 + 1e8 / (100e9 * ramp)));
  graph.tasks.pop_back();  // the recv
  try {
    execute(graph, unit_gpu(), synthetic_system());
    FAIL("no error");
  } catch (const strata::sim::SimulationError& error) {
    CHECK(std::string(error.what()).find("waits forever") != std::string::npos);
  }
}

TEST_CASE("memory tasks give each rank its peak", "[executor]") {
  ExecutionGraph graph = two_ranks();
  graph.ranks = 1;
  graph.groups.clear();
  const auto memory = [&](std::int64_t bytes) {
    Task task;
    task.type = TaskType::kMemory;
    task.name = "mem";
    task.memory = {bytes, "activations"};
    return graph.add(task);
  };
  memory(100);
  memory(50);
  memory(-100);
  memory(30);
  CHECK(execute(graph, unit_gpu(), synthetic_system()).peak_memory_bytes.at(0) == 150);
  graph.tasks[1].deps = {3};  // a dependency on a later task breaks the contract
  CHECK_THROWS_AS(execute(graph, unit_gpu(), synthetic_system()), strata::sim::InputError);
}

TEST_CASE("an open executor takes tasks from a callback while it runs", "[executor]") {
  // One rank runs a 10 us kernel; when each kernel ends, the callback allocates 1 MB and submits the next
  // kernel, three iterations in all: the run ends at 30 us, and each iteration sees the memory the previous
  // ones left (live state).
  strata::sim::EventQueue queue;
  const GpuProfile gpu = unit_gpu();
  const SystemProfile system = synthetic_system();
  const ClusterHardware hardware(system, gpu);
  AnalyticBackend network(queue, hardware);
  ExecutionGraph layout;
  layout.ranks = 1;
  layout.streams = {"compute"};
  Executor executor(queue, layout, hardware, network);
  std::vector<double> seen_memory;
  std::vector<std::int64_t> seen_times;
  int iterations = 1;
  executor.on_task_finished([&](TaskId id) {
    if (executor.task(id).type != TaskType::kCompute) return;
    seen_memory.push_back(executor.memory().in_use(0));
    seen_times.push_back(executor.now().ps());
    if (iterations == 3) return;
    ++iterations;
    Task allocate;
    allocate.type = TaskType::kMemory;
    allocate.name = "kv";
    allocate.memory = {1'000'000, "kv cache"};
    const TaskId allocated = executor.submit(allocate);
    executor.submit(kernel(0, 10, {allocated}));
  });
  executor.submit(kernel(0, 10));
  executor.run();
  const ExecutionResult result = executor.result();
  CHECK(result.makespan == SimTime::from_us(30));
  CHECK(result.tasks_run == 5);
  CHECK(seen_times == std::vector<std::int64_t>{10'000'000, 20'000'000, 30'000'000});
  CHECK(seen_memory == std::vector<double>{0, 1e6, 2e6});
  CHECK(result.peak_memory_bytes.at(0) == 2e6);
}

TEST_CASE("a task that breaks the graph's contract is refused when submitted", "[executor]") {
  strata::sim::EventQueue queue;
  const GpuProfile gpu = unit_gpu();
  const SystemProfile system = synthetic_system();
  const ClusterHardware hardware(system, gpu);
  AnalyticBackend network(queue, hardware);
  Executor executor(queue, two_ranks(), hardware, network);
  const TaskId first = executor.submit(kernel(0, 1));
  CHECK_THROWS_AS(executor.submit(kernel(1, 1, {first})),
                  strata::sim::SimulationError);                                        // another rank's task
  CHECK_THROWS_AS(executor.submit(kernel(2, 1)), strata::sim::SimulationError);         // no such rank
  CHECK_THROWS_AS(executor.submit(kernel(0, 1, {}, 5)), strata::sim::SimulationError);  // no such stream
  const int rank = executor.add_rank(9);
  CHECK(executor.submit(kernel(rank, 2)) == first + 1);
  executor.run();
  CHECK(executor.result().makespan == SimTime::from_us(2));
}

TEST_CASE("a measured compute task takes its measured time", "[executor]") {
  ExecutionGraph graph = two_ranks();
  graph.ranks = 1;
  graph.groups.clear();
  Task measured = kernel(0, 0);
  measured.compute.kind = ComputeKind::kMeasured;
  measured.compute.duration = SimTime::from_ns(12'345);
  graph.add(measured);
  CHECK(execute(graph, unit_gpu(), synthetic_system()).makespan == SimTime::from_ns(12'345));
}

TEST_CASE("a cluster may give one GPU another profile", "[executor]") {
  // Rank 1 sits on GPU 1, whose HBM is half as fast: its 10 us kernel takes 20 us.
  ExecutionGraph graph = two_ranks();
  graph.groups.clear();
  graph.add(kernel(0, 10));
  graph.add(kernel(1, 10));
  const GpuProfile gpu = unit_gpu();
  GpuProfile slow = gpu;
  slow.memory_bandwidth.value = strata::sim::Bandwidth::from_gb_per_s(500);
  const SystemProfile system = synthetic_system();
  ClusterHardware hardware(system, gpu);
  hardware.set_gpu(1, slow);
  const ExecutionResult result = execute(graph, hardware);
  CHECK(result.makespan == SimTime::from_us(20));
  CHECK(result.compute_seconds.at(0) == Approx(10e-6));
  CHECK(result.compute_seconds.at(1) == Approx(20e-6));
}

TEST_CASE("an NCCL kernel takes its channels' SMs from a compute kernel that starts beside it",
          "[executor][sm]") {
  // Two ranks on two nodes: a 1 GiB all-reduce on the comm stream starts at 0; at 1 us a fused attention
  // kernel of 1e12 FLOPs (1 ms on the whole GPU at 1 PFLOP/s) starts on the compute stream. The collective
  // crosses nodes, so it holds the system's multi-node CTA count, 20 of the 100 SMs: the kernel runs at
  // 80/100 of the GPU. An sm-free collective (copy engine) leaves it its time, as does a kernel that starts
  // before the collective.
  GpuProfile gpu = unit_gpu();
  gpu.peak_flops[Dtype::kBf16] = {strata::sim::FlopRate::from_flops_per_s(1e15), "test"};
  gpu.attention_efficiency = {1.0, "test"};
  SystemProfile system = synthetic_system(1, 1);
  system.collectives.nccl_channels = {{12, 20, 2}, "test"};
  const auto run = [&](bool holds_sms, bool kernel_first) {
    ExecutionGraph graph = two_ranks();
    for (int rank : {0, 1}) {
      Task gate = kernel(rank, kernel_first ? 2 : 1, {}, kernel_first ? 1 : 0);
      const TaskId before = graph.add(gate);
      Task reduce =
          gibibyte_all_reduce(rank, kernel_first ? std::vector<TaskId>{before} : std::vector<TaskId>{});
      reduce.collective.holds_sms = holds_sms;
      graph.add(reduce);
      Task attention = task_on(rank, 0, TaskType::kCompute, "attention", "compute",
                               kernel_first ? std::vector<TaskId>{} : std::vector<TaskId>{before});
      attention.compute.kind = ComputeKind::kAttention;
      attention.compute.flops = 1e12;
      graph.add(attention);
    }
    return execute(graph, ClusterHardware(system, gpu)).compute_seconds[0];
  };
  const double gate = 1e-6;
  const double alone = 1e-3;
  CHECK(run(true, false) == Approx(gate + alone / 0.8).epsilon(1e-9));
  CHECK(run(false, false) == Approx(gate + alone).epsilon(1e-9));
  CHECK(run(true, true) == Approx(2 * gate + alone).epsilon(1e-9));
}
