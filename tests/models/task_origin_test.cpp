// Every generated task says where it comes from (TaskOrigin): pass, micro-batch, model chunk and layer, as
// the pipeline schedule placed them. Timelines and graph files show them; here they are checked against the
// placement itself.
#include <catch2/catch.hpp>
#include <set>
#include <tuple>

#include "lowering_fixtures.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "models/strategy/training_lowering.hpp"

using namespace strata::models;
using namespace strata::models::testing;

namespace {

using Origin = std::tuple<PassKind, std::int64_t, int, int>;  // pass, micro-batch, chunk, layer

// The (pass, micro-batch, chunk, layer) of every compute task of `rank` that runs in a layer.
std::set<Origin> layer_origins(const ExecutionGraph& graph, int rank) {
  std::set<Origin> found;
  for (const Task& task : graph.tasks) {
    if (task.rank != rank || task.type != TaskType::kCompute || task.origin.layer == TaskOrigin::kNone)
      continue;
    REQUIRE(task.origin.pass);
    found.emplace(*task.origin.pass, task.origin.micro_batch, task.origin.chunk, task.origin.layer);
  }
  return found;
}

}  // namespace

TEST_CASE("tasks carry the pass, micro-batch, chunk and layer the schedule placed them in", "[lowering]") {
  constexpr int kPp = 2, kVpp = 2, kLayers = 8;
  constexpr std::int64_t kMicrobatches = 4;
  ParallelStrategy strategy;
  strategy.pp = kPp;
  strategy.vpp = kVpp;
  strategy.schedule = &pipeline_schedule("interleaved");
  const LoweredTraining lowered =
      lower_training(small_model(kLayers), {64, kMicrobatches, Dtype::kBf16}, strategy, kPp);
  const int layers_per_virtual_stage = kLayers / (kPp * kVpp);
  for (int stage = 0; stage < kPp; ++stage) {
    INFO("stage " << stage);
    std::set<Origin> expected;
    for (int chunk = 0; chunk < kVpp; ++chunk) {
      const int virtual_stage = chunk * kPp + stage;  // the interleaved schedule's looped placement
      for (int l = 0; l < layers_per_virtual_stage; ++l)
        for (std::int64_t mb = 0; mb < kMicrobatches; ++mb)
          for (PassKind pass : {PassKind::kForward, PassKind::kBackward})
            expected.emplace(pass, mb, chunk, virtual_stage * layers_per_virtual_stage + l);
    }
    CHECK(layer_origins(lowered.graph, stage) == expected);
  }
  // The optimizer step and the gradient reduction after the last backward belong to no pass.
  for (const Task& task : lowered.graph.tasks)
    if (task.category == "optimizer") CHECK_FALSE(task.origin.pass);
}

TEST_CASE("zero-bubble weight-gradient passes name the layers whose gradients they compute", "[lowering]") {
  ParallelStrategy strategy;
  strategy.pp = 2;
  strategy.schedule = &pipeline_schedule("zb-h1");
  const LoweredTraining lowered = lower_training(small_model(4), {64, 4, Dtype::kBf16}, strategy, 2);
  std::set<int> weight_gradient_layers;
  for (const auto& [pass, mb, chunk, layer] : layer_origins(lowered.graph, 1))
    if (pass == PassKind::kWeightGradient) weight_gradient_layers.insert(layer);
  CHECK(weight_gradient_layers == std::set<int>{2, 3});
}
