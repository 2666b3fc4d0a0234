// The breadth-first (bfpp), Hanayo and BitPipe schedules against hand-derived bubbles, transfers, gathers and
// memory, beside 1F1B and interleaved; the registry; every schedule's orders run every pass once.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <tuple>

#include "../support/input_error.hpp"
#include "lowering_fixtures.hpp"
#include "models/strategy/pipeline_schedule.hpp"

using namespace strata::models;
using namespace strata::models::testing;

namespace {

ParallelStrategy pipeline(const char* schedule, int pp, int vpp) {
  ParallelStrategy s;
  s.pp = pp;
  s.vpp = vpp;
  s.schedule = &pipeline_schedule(schedule);
  return s;
}

struct Step {
  LoweredTraining lowered;
  ExecutionResult result;
};

// 8 layers per stage, micro-batches of one 64-token sequence, communication free.
Step free_step(const ParallelStrategy& s, std::int64_t m, int layers_per_stage = 8) {
  Step step{lower_training(small_model(layers_per_stage * s.pp), TrainingSpec{64, m * s.dp, Dtype::kBf16}, s,
                           s.world_size()),
            {}};
  step.result = execute(step.lowered.graph, exact_gpu(), free_links());
  return step;
}

int count(const ExecutionGraph& graph, TaskType type, int rank = -1,
          CollectiveOp op = CollectiveOp::kAllReduce) {
  int n = 0;
  for (const Task& t : graph.tasks) {
    if (t.type != type || (rank >= 0 && t.rank != rank)) continue;
    n += type != TaskType::kCollective || t.collective.op == op ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("the registry lists every schedule once and finds it by its scenario word", "[schedules]") {
  std::set<std::string_view> names;
  for (const PipelineScheduleKind* schedule : pipeline_schedules()) {
    CHECK(names.insert(schedule->name()).second);
    CHECK(find_pipeline_schedule(schedule->name()) == schedule);
  }
  CHECK(names == std::set<std::string_view>{"1f1b", "gpipe", "interleaved", "zb-h1", "dualpipe", "bfpp",
                                            "hanayo", "bitpipe"});
  CHECK(find_pipeline_schedule("pipedream") == nullptr);
  CHECK_THAT(error_of([] { pipeline_schedule("pipedream"); }),
             Catch::Contains("expected one of 1f1b, gpipe, interleaved"));
  CHECK(&default_pipeline_schedule() == &pipeline_schedule("1f1b"));
  CHECK(&default_pipeline_schedule(4) == &pipeline_schedule("interleaved"));
}

TEST_CASE("every schedule's orders run each micro-batch's passes once per chunk, on a real network too",
          "[schedules]") {
  const TransformerConfig model = small_model(16);
  for (const PipelineScheduleKind* schedule : pipeline_schedules()) {
    ParallelStrategy s;
    s.pp = 4;
    s.schedule = schedule;
    s.vpp = std::max(schedule->min_vpp(), schedule->max_vpp() > 1 ? 2 : 1);
    const std::int64_t m = 8;
    INFO(schedule->name());
    const std::vector<std::vector<PipelinePass>> orders = schedule->orders(s, m);
    REQUIRE(orders.size() == 4);
    std::map<int, int> stage_runs;  // virtual stage -> forward passes over all ranks
    for (int stage = 0; stage < 4; ++stage) {
      std::set<std::tuple<PassKind, std::int64_t, int>> seen;
      for (const PipelinePass& pass : orders[static_cast<std::size_t>(stage)]) {
        CHECK(seen.insert({pass.kind, pass.microbatch, pass.chunk}).second);
        const auto [first, last] = schedule->chunk_microbatches(s, m, pass.chunk);
        CHECK(pass.microbatch >= first);
        CHECK(pass.microbatch <= last);
        if (pass.kind == PassKind::kForward) ++stage_runs[schedule->virtual_stage(s, pass.chunk, stage)];
        // Placement and chunk agree both ways.
        const int vs = schedule->virtual_stage(s, pass.chunk, stage);
        CHECK(schedule->place_of(s, pass.chunk, vs).stage == stage);
        CHECK(schedule->place_of(s, pass.chunk, vs).chunk == pass.chunk);
      }
    }
    // Each virtual stage runs every micro-batch once (in one copy or the other of a two-copy schedule).
    CHECK(static_cast<int>(stage_runs.size()) == schedule->virtual_stages(s));
    for (const auto& [vs, runs] : stage_runs) CHECK(runs == 8);
    // The orders finish on a network that takes time (no rank waits for a pass that never comes).
    const LoweredTraining lowered = lower_training(model, TrainingSpec{64, m, Dtype::kBf16}, s, 4);
    CHECK(execute(lowered.graph, exact_gpu(), synthetic_system()).tasks_run == lowered.graph.tasks.size());
  }
}

TEST_CASE("bfpp: the interleaved schedule's bubble at GPipe's activation memory", "[schedules][bfpp]") {
  // Lamy-Poirier 2023, section 3: with m >= p every loop's inputs arrive before the stage needs them, so the
  // only idle time is the fill and drain of (p-1)(tf+tb)/v: bubble (p-1)/(v m + p - 1), as interleaved.
  for (const auto& [pp, m, v] :
       {std::tuple{2, 4, 2}, std::tuple{4, 8, 2}, std::tuple{4, 8, 4}, std::tuple{4, 16, 2}}) {
    INFO("p = " << pp << ", m = " << m << ", v = " << v);
    const double expected = (pp - 1.0) / (v * m + pp - 1.0);
    CHECK(pipeline_bubble(free_step(pipeline("bfpp", pp, v), m).result) == Approx(expected).margin(0.01));
  }
  // Every micro-batch's activations are held at the end of the forwards: each micro-batch adds the same.
  const auto peak = [](const char* schedule, std::int64_t m) {
    return free_step(pipeline(schedule, 4, 2), m).result.peak_memory_bytes[0];
  };
  CHECK(peak("bfpp", 32) - peak("bfpp", 16) ==
        Approx(2 * (peak("bfpp", 16) - peak("bfpp", 8))).epsilon(1e-9));
  CHECK(peak("interleaved", 32) == Approx(peak("interleaved", 16)).epsilon(1e-12));
  CHECK(peak("bfpp", 16) > peak("interleaved", 16));
}

TEST_CASE("bfpp with ZeRO-3 gathers and reduce-scatters a chunk once per step, not once per micro-batch",
          "[schedules][bfpp]") {
  // Per step and rank, with L layers per rank: a depth-first schedule gathers each layer's weights before its
  // forward and its backward of every micro-batch (2 m L all-gathers) and reduce-scatters its gradients after
  // every backward (m L); breadth-first runs all m micro-batches of a chunk with one gather per direction
  // (2 L) and one reduce-scatter (L). ZeRO-3 reduces the embedding and head like ZeRO-2 (not per layer).
  const std::int64_t m = 8;
  const int layers = 8;  // per stage, over its 2 chunks
  for (const char* name : {"bfpp", "interleaved"}) {
    ParallelStrategy s = pipeline(name, 2, 2);
    s.dp = 2;
    s.zero = 3;
    const Step step = free_step(s, m, layers);
    const std::int64_t passes = std::string(name) == "bfpp" ? 1 : m;
    INFO(name);
    CHECK(count(step.lowered.graph, TaskType::kCollective, 0, CollectiveOp::kAllGather) ==
          2 * passes * layers);
    CHECK(count(step.lowered.graph, TaskType::kCollective, 0, CollectiveOp::kReduceScatter) ==
          passes * layers + 1);
  }
}

TEST_CASE("hanayo: waves down and up the pipeline, their turns hand over on the rank",
          "[schedules][hanayo]") {
  ParallelStrategy s = pipeline("hanayo", 4, 2);  // 2 waves: 4 chunks per rank, 16 virtual stages
  const PipelineScheduleKind& hanayo = *s.schedule;
  CHECK(hanayo.virtual_stages(s) == 16);
  CHECK(hanayo.chunks_per_rank(s) == 4);
  // Rank 0 holds virtual stages 0, 7, 8, 15 (the embedding and the LM head); rank 3 holds 3, 4, 11, 12.
  CHECK(std::vector<int>{hanayo.virtual_stage(s, 0, 0), hanayo.virtual_stage(s, 1, 0),
                         hanayo.virtual_stage(s, 2, 0),
                         hanayo.virtual_stage(s, 3, 0)} == std::vector<int>{0, 7, 8, 15});
  CHECK(std::vector<int>{hanayo.virtual_stage(s, 0, 3), hanayo.virtual_stage(s, 1, 3),
                         hanayo.virtual_stage(s, 2, 3),
                         hanayo.virtual_stage(s, 3, 3)} == std::vector<int>{3, 4, 11, 12});
  // Transfers per step: each of m micro-batches crosses 2Wp - 1 stage boundaries each way, of which the
  // 2W - 1 turns stay on a rank: 2 m 2W (p - 1) sends, where interleaved over as many chunks sends
  // 2 m (2Wp - 1).
  const std::int64_t m = 8;
  CHECK(count(free_step(s, m, 16).lowered.graph, TaskType::kSend) == 2 * m * 4 * 3);
  CHECK(count(free_step(pipeline("interleaved", 4, 4), m, 16).lowered.graph, TaskType::kSend) == 2 * m * 15);
}

TEST_CASE("hanayo: a bubble that shrinks with the micro-batches, below 1F1B's, at about 1F1B's memory",
          "[schedules][hanayo]") {
  for (const auto& [pp, waves] : {std::pair{2, 1}, std::pair{4, 1}, std::pair{4, 2}}) {
    INFO("p = " << pp << ", waves " << waves);
    const double at_16 = pipeline_bubble(free_step(pipeline("hanayo", pp, waves), 16).result);
    const double at_64 = pipeline_bubble(free_step(pipeline("hanayo", pp, waves), 64).result);
    // No schedule beats the fill and drain of its 2W chunks: (p-1) / (2W m + p - 1).
    CHECK(at_64 >= (pp - 1.0) / (2.0 * waves * 64 + pp - 1.0) - 1e-9);
    CHECK(at_64 < at_16);
    CHECK(at_64 < pipeline_bubble(free_step(pipeline("1f1b", pp, 1), 64).result));
  }
  const Step hanayo = free_step(pipeline("hanayo", 4, 1), 32);
  const Step one_f_one_b = free_step(pipeline("1f1b", 4, 1), 32);
  CHECK(hanayo.result.peak_memory_bytes[0] < 1.1 * one_f_one_b.result.peak_memory_bytes[0]);
}

TEST_CASE("bitpipe: two V-shaped copies, their gradients summed between mirror ranks",
          "[schedules][bitpipe]") {
  ParallelStrategy s = pipeline("bitpipe", 4, 2);
  const PipelineScheduleKind& bitpipe = *s.schedule;
  CHECK(bitpipe.model_copies() == 2);
  // Copy 0 runs virtual stages 0..7 down from rank 0 (V: rank 0 holds 0 and 7); copy 1 mirrors it.
  CHECK(bitpipe.virtual_stage(s, 0, 0) == 0);
  CHECK(bitpipe.virtual_stage(s, 1, 0) == 7);
  CHECK(bitpipe.virtual_stage(s, 2, 3) == 0);
  CHECK(bitpipe.virtual_stage(s, 3, 3) == 7);
  CHECK_FALSE(bitpipe.reversed(s, 0));
  CHECK(bitpipe.reversed(s, 1));
  CHECK(bitpipe.reversed(s, 2));
  CHECK_FALSE(bitpipe.reversed(s, 3));
  // Each rank holds both copies' share: twice 1F1B's parameters.
  const TransformerConfig model = small_model(32);
  CHECK(stage_parameters(model, s, 1).dense ==
        Approx(2 * stage_parameters(model, pipeline("1f1b", 4, 1), 1).dense));
  // Sends: m/2 micro-batches per copy, each crossing v(p - 1) rank boundaries each way.
  const std::int64_t m = 8;
  const Step step = free_step(s, m);
  CHECK(count(step.lowered.graph, TaskType::kSend) == 2 * m * 2 * 3);
  // One all-reduce per rank with its mirror, of all its gradients (no ZeRO): ranks 0 and 3, 1 and 2.
  for (int rank = 0; rank < 4; ++rank) {
    int mirrored = 0;
    for (const Task& t : step.lowered.graph.tasks) {
      if (t.rank != rank || t.type != TaskType::kCollective) continue;
      const CommGroup& group = step.lowered.graph.groups[static_cast<std::size_t>(t.collective.group)];
      if (group.kind != "pp-mirror") continue;
      ++mirrored;
      CHECK(group.ranks == std::vector<int>{std::min(rank, 3 - rank), std::max(rank, 3 - rank)});
      const LayerParameters held = stage_parameters(model, s, rank);
      CHECK(static_cast<double>(t.collective.bytes) ==
            Approx((held.dense + held.expert) * s.gradient_bytes).epsilon(1e-6));
    }
    CHECK(mirrored == 1);
  }
  // Two directions fill each other's bubbles: below 1F1B's and interleaved's over as many chunks.
  CHECK(pipeline_bubble(step.result) < pipeline_bubble(free_step(pipeline("1f1b", 4, 1), m).result));
  CHECK(pipeline_bubble(free_step(s, 32).result) <
        pipeline_bubble(free_step(pipeline("interleaved", 4, 2), 32).result));
}

TEST_CASE("the new schedules check their own conditions", "[schedules]") {
  const TransformerConfig model = small_model(16);
  const TrainingSpec training{64, 8, Dtype::kBf16};
  const auto error = [&](ParallelStrategy s) {
    return error_of([&] { validate_strategy(model, training, s, s.world_size()); });
  };
  CHECK(error(pipeline("bfpp", 2, 1)).find("/vpp: the bfpp schedule needs vpp >= 2, got 1") == 0);
  CHECK(error(pipeline("bitpipe", 2, 3)).find("/vpp: the bitpipe schedule needs an even vpp, got 3") == 0);
  CHECK(error(pipeline("bitpipe", 3, 2)).find("/pp: BitPipe needs an even number of pipeline stages") == 0);
  CHECK(error(pipeline("hanayo", 1, 1)).find("/pp: the hanayo schedule needs pp >= 2") == 0);
  CHECK(error(pipeline("hanayo", 2, 8)).find("/vpp: 32 virtual stages for 16 layers") == 0);
}
