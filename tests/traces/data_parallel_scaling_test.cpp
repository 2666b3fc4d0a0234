// More data-parallel replicas for a Kineto trace of a job with model parallelism: the process groups the
// trace describes (Megatron-Core's group_desc) say which are data-parallel, and the job's GPUs are renumbered
// with data parallelism as one digit of the rank order.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/input_error.hpp"
#include "kineto_events.hpp"
#include "traces/data_parallel_scaling.hpp"
#include "traces/kineto/kineto_import.hpp"
#include "traces/kineto/kineto_trace.hpp"
#include "traces/kineto/process_group_roles.hpp"

using namespace strata;
using nlohmann::json;

namespace {

struct Group {
  std::string description;
  std::string ranks;  // as PyTorch writes them: "[0, 2, 4, 6]"
  int size = 0;
};

// Rank 2 of a job of `world` GPUs (Megatron-Core order tp-dp-pp, tp 2, dp 4): one all-reduce per group.
json job_trace(int world, const std::vector<Group>& groups) {
  json events = json::array();
  events.push_back({{"ph", "X"},
                    {"cat", "user_annotation"},
                    {"name", "ProfilerStep#1"},
                    {"tid", 1},
                    {"ts", 1000},
                    {"dur", 1000}});
  double ts = 1000;
  std::int64_t correlation = 1;
  for (const Group& group : groups) {
    json nccl = testing::kernel("ncclKernel_AllReduce_RING_LL_Sum_bf16", 9, ts + 2, 100, correlation);
    nccl["args"].update({{"Collective name", "allreduce"},
                         {"In msg nelems", 1 << 20},
                         {"Out msg nelems", 1 << 20},
                         {"dtype", "BFloat16"},
                         {"Group size", group.size},
                         {"Process Group Ranks", group.ranks},
                         {"Process Group Description", group.description}});
    events.push_back(testing::runtime_call("cudaLaunchKernel", ts, 2, correlation));
    events.push_back(nccl);
    ts += 200;
    ++correlation;
  }
  return {{"distributedInfo", {{"rank", 2}, {"world_size", world}}}, {"traceEvents", events}};
}

const std::vector<Group> kTpDp{{"TENSOR_MODEL_PARALLEL_GROUP", "[2, 3]", 2},
                               {"DATA_PARALLEL_GROUP", "[0, 2, 4, 6]", 4}};

traces::KinetoImport import_job(int world, const std::vector<Group>& groups) {
  return traces::import_kineto(traces::parse_kineto_trace(job_trace(world, groups).dump(), "job.json"));
}

std::vector<int> group_gpus(const models::ExecutionGraph& graph, const std::string& category) {
  for (const models::Task& task : graph.tasks)
    if (task.type == models::TaskType::kCollective && task.category == category)
      return graph.group_gpus(graph.groups[static_cast<std::size_t>(task.collective.group)]);
  return {};
}

}  // namespace

TEST_CASE("a process group's description names its parallelism", "[kineto][dp]") {
  using models::TimeCategory;
  CHECK(traces::process_group_role("DATA_PARALLEL_GROUP") == TimeCategory::kDataParallel);
  CHECK(traces::process_group_role("DATA_PARALLEL_GROUP_WITH_CP") == TimeCategory::kDataParallel);
  CHECK(traces::process_group_role("EXPERT_DATA_PARALLEL_GROUP") == TimeCategory::kDataParallel);
  CHECK(traces::process_group_role("EXPERT_MODEL_PARALLEL_GROUP") == TimeCategory::kExpertParallel);
  CHECK(traces::process_group_role("TENSOR_MODEL_PARALLEL_GROUP") == TimeCategory::kTensorParallel);
  CHECK(traces::process_group_role("PIPELINE_MODEL_PARALLEL_GROUP") == TimeCategory::kPipeline);
  CHECK(traces::process_group_role("CONTEXT_PARALLEL_GROUP") == TimeCategory::kContextParallel);
  CHECK(traces::process_group_role("mesh_dp_shard") == TimeCategory::kDataParallel);
  CHECK(traces::process_group_role("mesh_tp") == TimeCategory::kTensorParallel);
  CHECK_FALSE(traces::process_group_role("default_pg"));
  CHECK_FALSE(traces::process_group_role(""));
}

TEST_CASE("more replicas of a job with tensor parallelism grow its described data-parallel groups only",
          "[kineto][dp]") {
  traces::KinetoImport imported = import_job(8, kTpDp);
  REQUIRE(imported.modelled_collectives == 2);
  CHECK(group_gpus(imported.graph, "tp") == std::vector<int>{2, 3});
  CHECK(group_gpus(imported.graph, "dp") == std::vector<int>{0, 2, 4, 6});
  const traces::DataParallelScaling scaling = traces::scale_data_parallel(imported.graph, 16);
  CHECK(scaling.from_gpus == 4);
  CHECK(scaling.to_gpus == 16);
  CHECK(scaling.job_from_gpus == 8);
  CHECK(scaling.job_to_gpus == 32);
  CHECK(scaling.groups == 1);
  CHECK(scaling.collectives == 1);
  CHECK(imported.graph.gpu_count() == 32);
  CHECK(imported.graph.gpu_of(0) == 2);
  CHECK(group_gpus(imported.graph, "tp") == std::vector<int>{2, 3});
  std::vector<int> replicas;
  for (int i = 0; i < 16; ++i) replicas.push_back(2 * i);
  CHECK(group_gpus(imported.graph, "dp") == replicas);
  imported.graph.validate("scaled");
}

TEST_CASE("more replicas put the pipeline stages further apart, and what no longer fits is refused",
          "[kineto][dp]") {
  // tp 2, dp 4, pp 2 over 16 GPUs: rank 2's stages are GPUs 2 and 10.
  std::vector<Group> groups = kTpDp;
  groups.push_back({"PIPELINE_MODEL_PARALLEL_GROUP", "[2, 10]", 2});
  traces::KinetoImport imported = import_job(16, groups);
  const traces::DataParallelScaling scaling = traces::scale_data_parallel(imported.graph, 8);
  CHECK(scaling.job_to_gpus == 32);
  CHECK(group_gpus(imported.graph, "pp") == std::vector<int>{2, 18});
  CHECK(group_gpus(imported.graph, "dp") == std::vector<int>{0, 2, 4, 6, 8, 10, 12, 14});
  // One replica cannot hold rank 2, the second of its data-parallel group; the graph stays as it was.
  traces::KinetoImport again = import_job(8, kTpDp);
  CHECK_THAT(
      error_of([&] { traces::scale_data_parallel(again.graph, 1); }),
      Catch::StartsWith("command line: --dp: 1 replicas cannot hold the traced work on GPU 2: at least 2"));
  CHECK(again.graph.gpu_count() == 8);
  CHECK_THAT(error_of([&] { traces::scale_data_parallel(again.graph, 1'000'000); }),
             Catch::Contains("1000000 replicas make a job of 2000000 GPUs, beyond 1000000"));
  CHECK(group_gpus(again.graph, "dp") == std::vector<int>{0, 2, 4, 6});
  // A data-parallel group that is not one digit of the rank order cannot be grown.
  const std::vector<Group> uneven{{"DATA_PARALLEL_GROUP", "[0, 2, 3, 6]", 4}};
  traces::KinetoImport odd = import_job(8, uneven);
  CHECK_THAT(error_of([&] { traces::scale_data_parallel(odd.graph, 8); }),
             Catch::Contains("is not evenly spaced"));
  // Without a data-parallel collective there is nothing to grow.
  const std::vector<Group> tp_only{{"TENSOR_MODEL_PARALLEL_GROUP", "[2, 3]", 2}};
  traces::KinetoImport tp = import_job(8, tp_only);
  CHECK_THAT(error_of([&] { traces::scale_data_parallel(tp.graph, 8); }),
             Catch::Contains("no data-parallel collective"));
}
