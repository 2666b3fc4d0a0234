#include <catch2/catch.hpp>
#include <functional>

#include "../support/input_error.hpp"
#include "models/strategy/training_lowering.hpp"
#include "models/workload/model_catalog.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"
#include "traces/graph_file.hpp"

using namespace strata;

namespace {

models::ExecutionGraph small_graph(models::RankSet rank_set = models::RankSet::kAll) {
  models::TransformerConfig model = models::ModelCatalog(STRATA_SOURCE_PRESET_DIR).preset("llama3-8b").config;
  model.layers = 4;
  models::ParallelStrategy s;
  s.tp = 2;
  s.pp = 2;
  s.dp = 2;
  s.sequence_parallel = true;
  s.zero = 1;
  return models::lower_training(model, {1024, 8, models::Dtype::kBf16}, s, 8, rank_set).graph;
}

// A two-layer Llama-3-8B on 8 GPUs under the strategy `configure` sets.
models::ExecutionGraph two_layer_graph(const std::function<void(models::ParallelStrategy&)>& configure) {
  models::TransformerConfig model = models::ModelCatalog(STRATA_SOURCE_PRESET_DIR).preset("llama3-8b").config;
  model.layers = 2;
  models::ParallelStrategy s;
  configure(s);
  return models::lower_training(model, {1024, 8, models::Dtype::kBf16}, s, 8).graph;
}

// The reader's error for small_graph()'s document after `edit`.
std::string error_after(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json document = traces::graph_to_json(small_graph());
  edit(document);
  return error_of([&] { traces::graph_from_json(document, "g.json"); });
}

}  // namespace

TEST_CASE("graph files round-trip losslessly", "[graph-file]") {
  const models::ExecutionGraph graph = small_graph();
  const nlohmann::json metadata = {{"strategy", "test"}};
  const std::string text = traces::graph_to_text(graph, metadata);
  const models::ExecutionGraph back = traces::graph_from_json(sim::parse_json_text(text, "g.json"), "g.json");
  CHECK(back.tasks.size() == graph.tasks.size());
  CHECK(traces::graph_to_text(back, metadata) == text);  // same graph, same bytes
  CHECK(traces::graph_to_json(back, metadata) == traces::graph_to_json(graph, metadata));
}

TEST_CASE("a generated task's pass, micro-batch, chunk and layer survive a file", "[graph-file]") {
  const models::ExecutionGraph graph = small_graph();
  const nlohmann::json document = traces::graph_to_json(graph);
  const models::ExecutionGraph back = traces::graph_from_json(document, "g.json");
  std::size_t with_layer = 0;
  for (std::size_t i = 0; i < graph.tasks.size(); ++i) {
    const models::TaskOrigin& a = graph.tasks[i].origin;
    const models::TaskOrigin& b = back.tasks[i].origin;
    CHECK((a.pass == b.pass && a.micro_batch == b.micro_batch && a.chunk == b.chunk && a.layer == b.layer));
    with_layer += a.layer != models::TaskOrigin::kNone ? 1 : 0;
  }
  CHECK(with_layer > graph.tasks.size() / 2);
  const auto first_task_with = [&](const std::function<bool(const nlohmann::json&)>& test) {
    for (std::size_t i = 0; i < document.at("tasks").size(); ++i)
      if (test(document["tasks"][i])) return i;
    FAIL("no task matches");
    return std::size_t{0};
  };
  const std::size_t placed = first_task_with([](const nlohmann::json& t) { return t.contains("origin"); });
  CHECK(
      error_after([&](nlohmann::json& d) { d["tasks"][placed]["origin"]["pass"] = "sideways"; }) ==
      "g.json: /tasks/" + std::to_string(placed) +
          "/origin/pass: expected forward, backward, input_gradient or weight_gradient, found \"sideways\"");
  CHECK(error_after([&](nlohmann::json& d) {
          d["tasks"][placed]["origin"]["layer"] = -2;
        }).find("/tasks/" + std::to_string(placed) + "/origin/layer") != std::string::npos);
  CHECK(error_after([&](nlohmann::json& d) {
          d["tasks"][placed]["origin"]["stage"] = 1;
        }).find("/origin/stage") != std::string::npos);
}

TEST_CASE("GEMMs beside userbuffers communication keep their reserved SMs through a file", "[graph-file]") {
  const models::ExecutionGraph graph = two_layer_graph([](models::ParallelStrategy& s) {
    s.tp = 2, s.dp = 4, s.sequence_parallel = true, s.tp_overlap = true;
  });
  const std::string text = traces::graph_to_text(graph, {});
  CHECK(text.find("\"reserved_sms\":16") != std::string::npos);
  // Their collectives take no further SMs in the executor (sm_sharing.hpp); the flag survives the file too.
  CHECK(text.find("\"holds_sms\":false") != std::string::npos);
  const models::ExecutionGraph back = traces::graph_from_json(sim::parse_json_text(text, "g.json"), "g.json");
  CHECK(traces::graph_to_text(back, {}) == text);
  std::size_t sm_free = 0;
  for (const models::Task& task : back.tasks)
    sm_free += task.type == models::TaskType::kCollective && !task.collective.holds_sms ? 1 : 0;
  CHECK(sm_free > 0);
  std::string bad = text;
  bad.replace(bad.find("\"reserved_sms\":16"), 17, "\"reserved_sms\":-1");
  CHECK_THAT(error_of([&] { traces::graph_from_json(sim::parse_json_text(bad, "g.json"), "g.json"); }),
             Catch::Contains("reserved_sms"));
}

TEST_CASE("an attention kernel other than FlashAttention-2 keeps its name through a file", "[graph-file]") {
  models::TransformerConfig model = models::ModelCatalog(STRATA_SOURCE_PRESET_DIR).preset("llama3-8b").config;
  model.layers = 2;
  models::TrainingSpec training{1024, 8, models::Dtype::kBf16};
  training.attention = models::AttentionKernel::kTriton;
  models::ParallelStrategy s;
  s.dp = 8;
  const std::string text = traces::graph_to_text(models::lower_training(model, training, s, 8).graph, {});
  CHECK(text.find("\"attention_kernel\":\"triton\"") != std::string::npos);
  const models::ExecutionGraph back = traces::graph_from_json(sim::parse_json_text(text, "g.json"), "g.json");
  CHECK(traces::graph_to_text(back, {}) == text);
  // FlashAttention-2, the default, is not written: graph files of fused attention keep their bytes.
  CHECK(traces::graph_to_text(small_graph(), {}).find("attention_kernel") == std::string::npos);
  std::string bad = text;
  bad.replace(bad.find("\"attention_kernel\":\"triton\""), 27, "\"attention_kernel\":\"cobol\"");
  CHECK_THAT(error_of([&] { traces::graph_from_json(sim::parse_json_text(bad, "g.json"), "g.json"); }),
             Catch::Contains("/compute/attention_kernel") && Catch::Contains("flash-attention-2 or triton"));
}

TEST_CASE("a task standing for several copy kernels keeps its count through a file", "[graph-file]") {
  // and the host's work before each (framework.zero3_host_time_per_rank)
  models::TransformerConfig model = models::ModelCatalog(STRATA_SOURCE_PRESET_DIR).preset("llama3-8b").config;
  model.layers = 2;
  models::ParallelStrategy s;
  s.dp = 8, s.zero = 3;
  s.framework.zero3_collectives.value = models::Zero3Collectives::kPerTensor;
  s.framework.zero3_copies_per_rank.value = true;
  s.framework.zero3_host_time_per_rank.value = sim::SimTime::from_us(14);
  const std::string text =
      traces::graph_to_text(models::lower_training(model, {1024, 8, models::Dtype::kBf16}, s, 8).graph, {});
  CHECK(text.find("\"kernels\":8") != std::string::npos);
  CHECK(text.find("\"host_per_kernel\":\"14000000ps\"") != std::string::npos);
  const models::ExecutionGraph back = traces::graph_from_json(sim::parse_json_text(text, "g.json"), "g.json");
  CHECK(traces::graph_to_text(back, {}) == text);
  std::string bad = text;
  bad.replace(bad.find("\"kernels\":8"), 11, "\"kernels\":0");
  CHECK_THAT(error_of([&] { traces::graph_from_json(sim::parse_json_text(bad, "g.json"), "g.json"); }),
             Catch::Contains("/compute/kernels"));
  std::string slow = text;
  const std::string host = "\"host_per_kernel\":\"14000000ps\"";
  slow.replace(slow.find(host), host.size(), "\"host_per_kernel\":\"2s\"");
  CHECK_THAT(error_of([&] { traces::graph_from_json(sim::parse_json_text(slow, "g.json"), "g.json"); }),
             Catch::Contains("/compute/host_per_kernel: at most 1s"));
  std::string misplaced = text;
  const std::size_t attention = misplaced.find("\"kind\":\"attention\"");
  REQUIRE(attention != std::string::npos);
  misplaced.insert(attention, "\"host_per_kernel\":\"1us\",");
  CHECK_THAT(error_of([&] { traces::graph_from_json(sim::parse_json_text(misplaced, "g.json"), "g.json"); }),
             Catch::Contains("/compute/host_per_kernel: has no effect"));
}

TEST_CASE("offload tasks (host transfers, host compute) round-trip", "[graph-file]") {
  const models::ExecutionGraph graph = two_layer_graph([](models::ParallelStrategy& s) {
    s.dp = 8, s.zero = 3, s.offload = models::MemoryTier::kNvme, s.offload_parameters = true;
  });
  const std::string text = traces::graph_to_text(graph, {});
  CHECK(text.find("\"type\":\"host_transfer\"") != std::string::npos);
  CHECK(text.find("\"kind\":\"host\"") != std::string::npos);
  const models::ExecutionGraph back = traces::graph_from_json(sim::parse_json_text(text, "g.json"), "g.json");
  CHECK(traces::graph_to_text(back, {}) == text);
  std::string bad = text;
  const auto at = bad.find("\"from\":\"nvme\"");
  REQUIRE(at != std::string::npos);
  bad.replace(at, 13, "\"from\":\"tape\"");
  CHECK_THAT(error_of([&] { traces::graph_from_json(sim::parse_json_text(bad, "g.json"), "g.json"); }),
             Catch::Contains("/transfer/from") && Catch::Contains("expected hbm, host or nvme"));
}

TEST_CASE("collapsed graphs keep the GPUs their ranks and groups stand for", "[graph-file]") {
  const models::ExecutionGraph graph = small_graph(models::RankSet::kSymmetricOnce);
  REQUIRE(graph.ranks == 2);
  CHECK(graph.gpus == 8);
  CHECK(graph.gpu_of_rank == std::vector<int>{0, 4});  // stage 1 starts at GPU (1 x dp 2) x tp 2
  const std::string text = traces::graph_to_text(graph, {});
  const models::ExecutionGraph back = traces::graph_from_json(sim::parse_json_text(text, "g.json"), "g.json");
  CHECK(back.gpus == 8);
  CHECK(back.gpu_of_rank == graph.gpu_of_rank);
  CHECK(back.groups.at(0).gpus == graph.groups.at(0).gpus);
  CHECK(traces::graph_to_text(back, {}) == text);
  nlohmann::json document = traces::graph_to_json(graph);
  document["groups"][0]["gpus"] = {0, 8};
  CHECK(error_of([&] {
          traces::graph_from_json(document, "g.json");
        }).find("/groups/0/gpus/1: expected an integer in [0, 7]") != std::string::npos);
  document["groups"][0]["gpus"] = {4, 4};
  CHECK(error_of([&] {
          traces::graph_from_json(document, "g.json");
        }).find("g.json: /groups/0/gpus: lists 4 twice") == 0);
  document = traces::graph_to_json(graph);
  document["gpu_of_rank"] = {0};
  CHECK(error_of([&] {
          traces::graph_from_json(document, "g.json");
        }).find("g.json: /gpu_of_rank: needs one entry per rank") == 0);
}

TEST_CASE("bad graph files name the JSON path", "[graph-file]") {
  CHECK(error_after([](auto& d) {
          d["tasks"][3]["type"] = "teleport";
        }).find("g.json: /tasks/3/type: expected compute") == 0);
  CHECK(error_after([](auto& d) { d["tasks"][3]["id"] = 9; }).find("/tasks/3/id: expected 3") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["tasks"][5]["deps"] = {7};
        }).find("/tasks/5/deps/0: expected an integer in [0, 5]") != std::string::npos);
  CHECK(error_after([](auto& d) { d["tasks"][0]["surprise"] = 1; }).find("/tasks/0/surprise: unknown key") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strata_graph"] = 7;
        }).find("/strata_graph: unsupported graph format version") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["groups"][0]["ranks"] = {99};
        }).find("/groups/0/ranks/0: expected an integer in [0, 7]") != std::string::npos);
  // A communicator that lists a member twice would wait forever for it.
  CHECK(error_after([](auto& d) {
          d["groups"][0]["ranks"] = {1, 0, 1};
        }).find("g.json: /groups/0/ranks: lists 1 twice") == 0);
}

TEST_CASE("a graph cannot ask for more ranks than its tasks, nor for none, nor an idle rank",
          "[graph-file]") {
  // Refused before per-rank state is allocated: a one-task file once asked for 10^8 ranks (3.1 GB, 28 s).
  CHECK(error_after([](auto& d) {
          d["ranks"] = 100'000'000;
          d["tasks"] = {d["tasks"][0]};
        }) == "g.json: /ranks: 100000000 ranks for 1 tasks: every simulated rank runs at least one task");
  CHECK(error_after([](auto& d) { d["tasks"] = nlohmann::json::array(); }) ==
        "g.json: /tasks: a graph needs at least one task");
  CHECK(error_after([](auto& d) { d["ranks"] = 9; }).find("g.json: /ranks: rank 8 runs no task") == 0);
}

TEST_CASE("graph metadata is typed where replay reads it and free-form elsewhere", "[graph-file]") {
  nlohmann::json document = traces::graph_to_json(
      small_graph(),
      {{"strategy", "s"}, {"tokens_per_step", 8192}, {"model_flops_per_step", 1e15}, {"note", 1}});
  traces::GraphMetadata metadata;
  traces::graph_from_json(document, "g.json", &metadata);
  CHECK(metadata.strategy == "s");
  CHECK(metadata.tokens_per_step == 8192);
  CHECK(metadata.hardware_flops_per_step == 1e15);  // absent: the model FLOPs
  document["metadata"]["tokens_per_step"] = "many";
  CHECK(error_of([&] { traces::graph_from_json(document, "g.json"); }) ==
        "g.json: /metadata/tokens_per_step: expected a number, found a string");
  document["metadata"]["tokens_per_step"] = -1;
  CHECK(error_of([&] { traces::graph_from_json(document, "g.json"); }) ==
        "g.json: /metadata/tokens_per_step: must not be negative");
}

TEST_CASE("a measured kernel keeps its exact duration through a file and runs for it", "[graph-file]") {
  models::ExecutionGraph graph;
  graph.ranks = 1;
  graph.streams = {"compute"};
  models::Task kernel;
  kernel.type = models::TaskType::kCompute;
  kernel.name = "imported kernel";
  kernel.category = "compute";
  kernel.compute.kind = models::ComputeKind::kMeasured;
  kernel.compute.duration = sim::SimTime::from_ps(12'345'678);
  kernel.compute.flops = 1e9;
  graph.add(kernel);
  const std::string text = traces::graph_to_text(graph, {});
  CHECK(text.find("\"duration\":\"12345678ps\"") != std::string::npos);
  const models::ExecutionGraph back = traces::graph_from_json(sim::parse_json_text(text, "g.json"), "g.json");
  CHECK(back.tasks.at(0).compute.duration.ps() == 12'345'678);
  CHECK(traces::graph_to_text(back, {}) == text);
  std::string bad = text;
  bad.replace(bad.find("12345678ps"), 10, "12345678");
  CHECK_THAT(error_of([&] { traces::graph_from_json(sim::parse_json_text(bad, "g.json"), "g.json"); }),
             Catch::Contains("/compute/duration"));
}
