// Framework profiles (models/framework/framework_profile.hpp) as the lowering reads them: how ZeRO-3 moves a
// layer's weights and gradients, and whether it prefetches. The shipped profiles come from
// calibration/profiles/frameworks/.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "../support/edited_profile.hpp"
#include "lowering_fixtures.hpp"
#include "models/executor/task_cost.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/hardware/profile_reader.hpp"
#include "models/strategy/task_emitter.hpp"

using namespace strata::models;
using namespace strata::models::testing;

namespace {

const ProfileCatalog& shipped() {
  static const ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  return catalog;
}

// The rank's ZeRO-3 weight all-gathers (dp-gather stream) and gradient reduce-scatters (dp-reduce stream).
int tasks_on(const ExecutionGraph& graph, int rank, int stream, CollectiveOp op) {
  int count = 0;
  for (const Task& t : graph.tasks)
    count += t.rank == rank && t.type == TaskType::kCollective && t.stream == stream && t.collective.op == op;
  return count;
}

}  // namespace

TEST_CASE("shipped framework profiles load, and megatron-core's are the strategy's defaults", "[framework]") {
  CHECK(shipped().framework_names() ==
        std::vector<std::string>{"deepspeed-0.3", "megatron-core", "pytorch-fsdp"});
  const FrameworkProfile megatron = shipped().framework("megatron-core");
  const FrameworkProfile defaults;
  CHECK(megatron.name == defaults.name);
  CHECK(megatron.zero3_collectives.value == defaults.zero3_collectives.value);
  CHECK(megatron.zero3_prefetch.value == defaults.zero3_prefetch.value);
  const FrameworkProfile deepspeed = shipped().framework("deepspeed-0.3");
  CHECK(deepspeed.zero3_collectives.value == Zero3Collectives::kPerTensor);
  CHECK_FALSE(deepspeed.zero3_prefetch.value);
  CHECK(deepspeed.zero3_copies_per_rank.value);
  CHECK(megatron.zero3_copies_per_rank.value == defaults.zero3_copies_per_rank.value);
  CHECK_FALSE(shipped().framework("pytorch-fsdp").zero3_copies_per_rank.value);
  CHECK(error_of([] { shipped().framework("jax"); }).find("unknown framework profile \"jax\"") == 0);
}

TEST_CASE("a bad framework profile is refused with the file and JSON path", "[framework][profiles]") {
  const auto error = [](const std::function<void(nlohmann::json&)>& edit) {
    return error_of_edited(
        std::filesystem::path(STRATA_SOURCE_PROFILE_DIR) / "frameworks" / "pytorch-fsdp.json", edit,
        read_framework_profile);
  };
  CHECK(error([](auto& d) {
          d["zero3_collectives"]["value"] = "per_module";
        }).find("pytorch-fsdp.json: /zero3_collectives/value: expected per_layer or per_tensor") !=
        std::string::npos);
  CHECK(error([](auto& d) {
          d["zero3_prefetch"]["value"] = "yes";
        }).find("/zero3_prefetch/value: expected true or false") != std::string::npos);
  CHECK(error([](auto& d) {
          d["zero3_prefetch"].erase("source");
        }).find("/zero3_prefetch: missing required key \"source\"") != std::string::npos);
  CHECK(error([](auto& d) { d["kind"] = "gpu"; }).find("/kind: expected \"framework\"") != std::string::npos);
  CHECK(error([](auto& d) {
          d["zero3_persistence_threshold"]["value"] = 1000;
        }).find("/zero3_persistence_threshold: has no effect") != std::string::npos);
  CHECK(error([](auto& d) {
          d["zero3_copies_per_rank"]["value"] = 1;
        }).find("/zero3_copies_per_rank/value: expected true or false") != std::string::npos);
  CHECK(error([](auto& d) {
          d["zero3_host_time_per_rank"]["value"] = "10us";
        }).find("/zero3_host_time_per_rank: has no effect") != std::string::npos);
  CHECK(error([](auto& d) {
          d["zero3_max_reuse_distance"]["value"] = 1000;
        }).find("/zero3_max_reuse_distance: has no effect") != std::string::npos);
  CHECK(error([](auto& d) {
          d["zero3_max_reuse_distance"]["value"] = "endless";
        }).find("/zero3_max_reuse_distance/value: expected a number of elements or \"unlimited\"") !=
        std::string::npos);
  const auto deepspeed_error = [](const std::function<void(nlohmann::json&)>& edit) {
    return error_of_edited(
        std::filesystem::path(STRATA_SOURCE_PROFILE_DIR) / "frameworks" / "deepspeed-0.3.json", edit,
        read_framework_profile);
  };
  CHECK(deepspeed_error([](auto& d) {
          d["zero3_host_time_per_rank"]["value"] = "2s";
        }).find("/zero3_host_time_per_rank: at most 1s") != std::string::npos);
  CHECK(deepspeed_error([](auto& d) {
          d["zero3_max_reuse_distance"]["value"] = -1;
        }).find("/zero3_max_reuse_distance/value") != std::string::npos);
}

TEST_CASE("ZeRO-3 per tensor: one all-gather and one reduce-scatter per weight tensor",
          "[framework][lowering]") {
  const TransformerConfig model = small_model(4);  // Llama layout: 2 RMSNorms, qkv, o, gate+up, down
  const TrainingSpec training{256, 8, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 8;
  s.zero = 3;
  const auto per_layer = lower_training(model, training, s, 8, RankSet::kSymmetricOnce);
  // One micro-batch: 4 layers gathered in forward and again in backward; reduced once each.
  CHECK(tasks_on(per_layer.graph, 0, kGather, CollectiveOp::kAllGather) == 8);
  CHECK(tasks_on(per_layer.graph, 0, kReduce, CollectiveOp::kReduceScatter) == 4);
  s.framework = shipped().framework("deepspeed-0.3");
  s.framework.zero3_persistence_threshold.value = 0;  // every tensor gathered per use
  const auto per_tensor = lower_training(model, training, s, 8, RankSet::kSymmetricOnce);
  const int tensors = static_cast<int>(layer_weight_tensors(model, 0).size());
  REQUIRE(tensors == 6);
  CHECK(tasks_on(per_tensor.graph, 0, kGather, CollectiveOp::kAllGather) == 8 * tensors);
  CHECK(tasks_on(per_tensor.graph, 0, kReduce, CollectiveOp::kReduceScatter) == 4 * tensors);
  // The same bytes move either way.
  const auto bytes = [](const ExecutionGraph& graph) {
    double total = 0;
    for (const Task& t : graph.tasks)
      if (t.type == TaskType::kCollective && (t.stream == kGather || t.stream == kReduce))
        total += static_cast<double>(t.collective.bytes);
    return total;
  };
  CHECK(bytes(per_tensor.graph) == Approx(bytes(per_layer.graph)).epsilon(1e-6));
  // DeepSpeed's default persistence threshold (100,000 elements) keeps the norms (256) and the attention
  // output (256 x 256) gathered: qkv, gate+up and down are gathered per use, every gradient is reduced.
  s.framework.zero3_persistence_threshold.value = 100'000;
  const auto persistent = lower_training(model, training, s, 8, RankSet::kSymmetricOnce);
  CHECK(tasks_on(persistent.graph, 0, kGather, CollectiveOp::kAllGather) == 8 * 3);
  CHECK(tasks_on(persistent.graph, 0, kReduce, CollectiveOp::kReduceScatter) == 4 * tensors);
}

TEST_CASE(
    "with full recompute, DeepSpeed gathers again for the backward what it released after the recompute",
    "[framework][lowering]") {
  const TransformerConfig model = small_model(4);  // per layer: qkv, o, gate+up, down and two norms
  const TrainingSpec training{256, 8, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 8;
  s.zero = 3;
  s.recompute = Recompute::kFull;
  s.framework = shipped().framework("deepspeed-0.3");
  const auto gathers = [&](std::optional<double> reuse, Recompute recompute) {
    ParallelStrategy strategy = s;
    strategy.framework.zero3_max_reuse_distance.value = reuse;
    strategy.recompute = recompute;
    return tasks_on(lower_training(model, training, strategy, 8, RankSet::kSymmetricOnce).graph, 0, kGather,
                    CollectiveOp::kAllGather);
  };
  // qkv, gate+up and down are gathered per use (the others persist): 3 per layer forward, 3 backward.
  const int once = gathers(std::nullopt, Recompute::kFull);
  CHECK(once == 4 * 2 * 3);
  // The parameters used between a tensor's recompute forward and its backward: twice those after it in the
  // layer. down: 0; gate+up: 2 x 256 x 1024 = 524,288; qkv: 2 x (256 x 256 + 256 + 524,288 + 262,144).
  CHECK(gathers(1e9, Recompute::kFull) == once);      // DeepSpeed's default keeps all of these small ones
  CHECK(gathers(1e6, Recompute::kFull) == once + 4);  // qkv gathered again in each layer's backward
  CHECK(gathers(524'289, Recompute::kFull) == once + 4);
  CHECK(gathers(524'288, Recompute::kFull) == once + 2 * 4);  // and gate+up
  CHECK(gathers(0, Recompute::kFull) == once + 3 * 4);
  // Without the recompute forward there is nothing to release in between.
  CHECK(gathers(0, Recompute::kSelective) == once);
}

TEST_CASE("the host's work per rank sets the pace of a loop of small copies", "[framework][lowering]") {
  strata::models::ComputeSpec copies;
  copies.kind = strata::models::ComputeKind::kMemoryBound;
  copies.bytes = 8e3;
  copies.kernels = 8;
  const GpuProfile gpu = exact_gpu();
  const strata::sim::SimTime gpu_bound = strata::models::compute_time(copies, gpu, synthetic_system());
  copies.host_per_kernel = strata::sim::SimTime::from_us(14);
  CHECK(strata::models::compute_time(copies, gpu, synthetic_system()) ==
        strata::sim::SimTime::from_us(8 * 14));
  copies.host_per_kernel = strata::sim::SimTime::from_ps(1);
  CHECK(strata::models::compute_time(copies, gpu, synthetic_system()) == gpu_bound);
  // DeepSpeed 0.3's copies carry its host time per rank.
  ParallelStrategy s;
  s.dp = 8;
  s.zero = 3;
  s.framework = shipped().framework("deepspeed-0.3");
  int carried = 0;
  for (const Task& t :
       lower_training(small_model(2), TrainingSpec{256, 8, Dtype::kBf16}, s, 8, RankSet::kSymmetricOnce)
           .graph.tasks) {
    if (t.type != TaskType::kCompute || t.compute.kernels == 1) continue;
    CHECK(t.compute.host_per_kernel == s.framework.zero3_host_time_per_rank.value);
    ++carried;
  }
  CHECK(carried > 0);
}

TEST_CASE("without prefetch a ZeRO-3 gather waits for the compute before it", "[framework][lowering]") {
  // Slow links (the synthetic system's NICs at 1 GB/s) make the gathers as long as the compute: with one
  // layer of prefetch they hide under the previous layer, without it every gather adds to the step.
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{256, 16, Dtype::kBf16};
  SystemProfile system = synthetic_system();
  system.nics_per_node.value = 1;
  ParallelStrategy s;
  s.dp = 16;  // two nodes: the gathers cross the network
  s.zero = 3;
  const auto run = [&](const ParallelStrategy& strategy) {
    const auto lowered = lower_training(model, training, strategy, 16, RankSet::kSymmetricOnce);
    return execute(lowered.graph, exact_gpu(), system);
  };
  const ExecutionResult prefetched = run(s);
  ParallelStrategy waiting = s;
  waiting.framework.zero3_prefetch.value = false;
  const ExecutionResult serial = run(waiting);
  CHECK(serial.makespan > prefetched.makespan);
  // What each gather waits for: with prefetch the previous layer's first task (its norm, or the start of its
  // backward); without it the last compute-stream task so far: the release of the previous layer's weights
  // after its last kernel, or before a pass's first layer the embedding or the LM head's gradient; and in
  // backward the previous layer's reduce-scatter too (a device synchronisation waits for every stream).
  const auto waited_for = [&](const ParallelStrategy& strategy) {
    const auto lowered = lower_training(model, training, strategy, 16, RankSet::kSymmetricOnce);
    std::set<std::string> names;
    for (const Task& t : lowered.graph.tasks) {
      if (t.stream != kGather) continue;
      for (TaskId dep : t.deps) names.insert(lowered.graph.tasks[static_cast<std::size_t>(dep)].name);
    }
    return names;
  };
  CHECK(waited_for(s) == std::set<std::string>{"layer backward start", "norm"});
  CHECK(waited_for(waiting) ==
        std::set<std::string>{"embedding", "lm head wgrad", "memory gathered weights", "reduce-scatter"});
}

TEST_CASE("ZeRO-3 through torch.distributed's list API pays a copy per rank around each collective",
          "[framework][lowering]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{256, 8, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 8;
  s.zero = 3;
  s.framework = shipped().framework("deepspeed-0.3");
  REQUIRE(s.framework.zero3_copies_per_rank.value);
  const auto lowered = lower_training(model, training, s, 8, RankSet::kSymmetricOnce);
  int gather_copies = 0;
  int reduce_copies = 0;
  for (const Task& t : lowered.graph.tasks) {
    if (t.rank != 0 || t.type != TaskType::kCompute || t.compute.kernels == 1) continue;
    CHECK(t.compute.kernels == 8);  // one copy per rank of the dp group
    CHECK(t.category == "dp");
    const Task& dep = lowered.graph.tasks[static_cast<std::size_t>(t.deps.at(0))];
    if (t.stream == kGather) {
      ++gather_copies;
      CHECK(dep.collective.op == CollectiveOp::kAllGather);  // copies out after the gather
      CHECK(t.compute.bytes == Approx(2.0 * static_cast<double>(dep.collective.bytes)));
    } else {
      CHECK(t.stream == kReduce);
      ++reduce_copies;
    }
  }
  const int tensors = static_cast<int>(layer_weight_tensors(model, 0).size());
  CHECK(gather_copies == 8 * 3);  // the tensors gathered per use (see the per-tensor test)
  CHECK(reduce_copies == 4 * tensors);
  // Each layer's reduce-scatter waits for its copies in.
  int staged = 0;
  for (const Task& t : lowered.graph.tasks) {
    if (t.rank == 0 && t.type == TaskType::kCollective && t.collective.op == CollectiveOp::kReduceScatter)
      staged += lowered.graph.tasks[static_cast<std::size_t>(t.deps.at(0))].compute.kernels == 8;
  }
  CHECK(staged == reduce_copies);
  // Every copy pays the per-kernel overhead: the same framework without them is faster, by at least the
  // gathers' copies (without prefetch the layers wait for them; the reductions' may hide under compute).
  GpuProfile gpu = exact_gpu();
  gpu.kernel_launch_overhead.value = strata::sim::SimTime::from_us(4);
  ParallelStrategy flat = s;
  flat.framework.zero3_copies_per_rank.value = false;
  const auto time = [&](const ParallelStrategy& strategy) {
    return execute(lower_training(model, training, strategy, 8, RankSet::kSymmetricOnce).graph, gpu,
                   synthetic_system())
        .makespan;
  };
  CHECK(time(s) > time(flat) + strata::sim::SimTime::from_us(4 * 8 * 8 * 3));
}
