// Context parallelism, expert parallelism (MoE), the ZB-H1 schedule and Megatron-Core's rank layout in the
// lowering, replayed by the executor.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "../support/input_error.hpp"
#include "lowering_fixtures.hpp"
#include "models/executor/executor.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "models/strategy/rank_layout.hpp"
#include "models/strategy/training_lowering.hpp"

using namespace strata::models;
using namespace strata::models::testing;

namespace {

struct Run {
  LoweredTraining lowered;
  ExecutionResult result;
};

Run run(const TransformerConfig& model, const TrainingSpec& training, const ParallelStrategy& s,
        RankSet ranks = RankSet::kSymmetricOnce, const SystemProfile& system = synthetic_system()) {
  Run r{lower_training(model, training, s, s.world_size(), ranks), {}};
  r.result = execute(r.lowered.graph, exact_gpu(), system);
  return r;
}

int count_tasks(const ExecutionGraph& graph, int rank, CollectiveOp op, const std::string& category) {
  int n = 0;
  for (const Task& t : graph.tasks) {
    n += t.rank == rank && t.type == TaskType::kCollective && t.collective.op == op && t.category == category
             ? 1
             : 0;
  }
  return n;
}

double attention_flops(const ExecutionGraph& graph, int rank) {
  double flops = 0;
  for (const Task& t : graph.tasks)
    flops += t.rank == rank && t.compute.kind == ComputeKind::kAttention ? t.compute.flops : 0.0;
  return flops;
}

}  // namespace

TEST_CASE("rank layout: TP adjacent, then CP, then DP, experts folded over the same ranks",
          "[lowering][layout]") {
  ParallelStrategy s;
  s.tp = 2, s.cp = 2, s.dp = 4, s.ep = 4, s.expert_tp = 2;
  const RankLayout layout(s);
  CHECK(layout.stage_ranks() == 16);
  CHECK(layout.members(GroupKind::kTensor, 5) == std::vector<int>{4, 5});
  CHECK(layout.members(GroupKind::kContext, 5) == std::vector<int>{5, 7});
  CHECK(layout.members(GroupKind::kData, 5) == std::vector<int>{1, 3, 5, 7, 9, 11, 13, 15});  // dp x cp
  // Experts: local = etp_index + 2 (ep_index + 4 edp_index).
  CHECK(layout.members(GroupKind::kExpertTensor, 5) == std::vector<int>{4, 5});
  CHECK(layout.members(GroupKind::kExpert, 5) == std::vector<int>{1, 3, 5, 7});
  CHECK(layout.members(GroupKind::kExpertData, 5) == std::vector<int>{5, 13});
  CHECK(layout.gpu(2, 5) == 37);
}

TEST_CASE("placement orders the axes over GPUs, innermost first, as Megatron-Core's order does",
          "[lowering][layout]") {
  ParallelStrategy s;
  s.tp = 8, s.dp = 2, s.pp = 2;
  std::string error;
  // TP across nodes: the two DP replicas are adjacent, so rank (stage, tp_index + 8 dp_index) is on GPU
  // dp_index + 2 tp_index + 16 stage, and a TP group takes every other GPU of two 8-GPU nodes.
  s.placement = *parse_rank_placement("dp-tp-pp", error);
  CHECK(s.placement.text() == "dp-tp-pp-cp");
  RankLayout layout(s);
  std::vector<int> tp_gpus;
  for (int local : layout.members(GroupKind::kTensor, 0)) tp_gpus.push_back(layout.gpu(0, local));
  CHECK(tp_gpus == std::vector<int>{0, 2, 4, 6, 8, 10, 12, 14});
  CHECK(layout.gpu(1, 9) == 16 + 1 + 2);
  // Megatron's --use-tp-pp-dp-mapping: the two stages of a replica are adjacent.
  s.placement = *parse_rank_placement("tp-pp-dp", error);
  layout = RankLayout(s);
  CHECK(layout.gpu(1, 0) == 8);
  CHECK(layout.gpu(0, 8) == 16);
  // The default is the rank number.
  s.placement = {};
  layout = RankLayout(s);
  CHECK(layout.gpu(1, 9) == 25);
  CHECK(s.placement.text() == "tp-cp-dp-pp");

  const auto refusal = [&](const std::string& text) {
    std::string why;
    return parse_rank_placement(text, why) ? std::string("accepted") : why;
  };
  CHECK_THAT(refusal("tp-tp-dp"), Catch::Matchers::Contains("\"tp\" appears twice"));
  CHECK_THAT(refusal("tp-ep-dp"), Catch::Matchers::Contains("expert groups fold"));
  CHECK_THAT(refusal("tp,dp"), Catch::Matchers::Contains("found \"tp,dp\""));
  CHECK_THAT(refusal(""), Catch::Matchers::Contains("joined by '-'"));
  // An axis above 1 left out is refused by the strategy's checks.
  s.placement = *parse_rank_placement("tp-pp", error);
  TransformerConfig model = small_model(4);
  model.heads = model.kv_heads = 8;
  CHECK_THROWS_WITH(validate_strategy(model, {1024, 16}, s, 32),
                    Catch::Matchers::Contains("leaves out dp, whose degree is 2"));
}

TEST_CASE("ZB-H1 runs every pass once and holds back `stage` weight-gradient passes",
          "[lowering][zero-bubble]") {
  ParallelStrategy s;
  s.pp = 4;
  s.schedule = &pipeline_schedule("zb-h1");
  for (int stage = 0; stage < 4; ++stage) {
    for (std::int64_t m : {2, 4, 8}) {
      INFO("stage " << stage << ", m " << m);
      const std::vector<PipelinePass> order = pipeline_order(s, m, stage);
      std::map<PassKind, std::set<std::int64_t>> seen;
      int pending = 0;
      int most_pending = 0;
      int in_flight = 0;
      int most_in_flight = 0;
      for (const PipelinePass& pass : order) {
        CHECK(seen[pass.kind].insert(pass.microbatch).second);
        if (pass.kind == PassKind::kWeightGradient)
          CHECK(seen[PassKind::kInputGradient].count(pass.microbatch) == 1);
        if (pass.kind == PassKind::kInputGradient || pass.kind == PassKind::kBackward)
          CHECK(seen[PassKind::kForward].count(pass.microbatch) == 1);
        pending += pass.kind == PassKind::kInputGradient    ? 1
                   : pass.kind == PassKind::kWeightGradient ? -1
                                                            : 0;
        in_flight += pass.kind == PassKind::kForward                                                ? 1
                     : (pass.kind == PassKind::kBackward || pass.kind == PassKind::kWeightGradient) ? -1
                                                                                                    : 0;
        most_pending = std::max(most_pending, pending);
        most_in_flight = std::max(most_in_flight, in_flight);
      }
      CHECK(seen[PassKind::kForward].size() == static_cast<std::size_t>(m));
      CHECK(seen[stage == 0 ? PassKind::kBackward : PassKind::kWeightGradient].size() ==
            static_cast<std::size_t>(m));
      // Stage i defers i weight passes to the end of the step (ZB-H1, Qi et al. 2024, figure 3); at most p
      // micro-batches hold activations, as in 1F1B.
      int trailing = 0;
      for (auto it = order.rbegin(); it != order.rend() && it->kind == PassKind::kWeightGradient; ++it)
        ++trailing;
      CHECK(trailing >= std::min<int>(stage, static_cast<int>(m)));
      CHECK(most_pending <= stage + 1);
      if (stage == 0) CHECK(most_pending == 0);
      CHECK(most_in_flight <= 4);
    }
  }
}

TEST_CASE("ZB-H1 has a smaller bubble than 1F1B at the same activation memory", "[lowering][zero-bubble]") {
  // Qi et al. 2024, section 3.1: ZB-H1's bubble is (p-1)(T_F + T_B - T_W) against 1F1B's (p-1)(T_F + T_B +
  // T_W).
  const ExecutionResult one_f_one_b = free_pipeline_step(&pipeline_schedule("1f1b"));
  const ExecutionResult zero_bubble = free_pipeline_step(&pipeline_schedule("zb-h1"));
  const auto bubble = pipeline_bubble;

  for (std::size_t r = 0; r < 4; ++r) {
    CHECK(zero_bubble.compute_seconds[r] ==
          Approx(one_f_one_b.compute_seconds[r]).epsilon(1e-9));  // the same work, reordered
  }
  // Here W is about a fifth of a micro-batch's work (the attention backward and the memory-bound kernels'
  // backward sit in B), so ZB-H1's bubble is (1 - 2/5) of 1F1B's or a little more: 0.099 against 0.157 =
  // (p-1)/(m+p-1).
  CHECK(bubble(one_f_one_b) == Approx(3.0 / 19.0).margin(0.01));
  CHECK(bubble(zero_bubble) < 0.7 * bubble(one_f_one_b));
  CHECK(bubble(zero_bubble) > 0);
  double peak_1f1b = 0, peak_zb = 0;
  for (std::size_t r = 0; r < 4; ++r) {
    peak_1f1b = std::max(peak_1f1b, one_f_one_b.peak_memory_bytes[r]);
    peak_zb = std::max(peak_zb, zero_bubble.peak_memory_bytes[r]);
  }
  CHECK(peak_zb == Approx(peak_1f1b).epsilon(1e-3));
}

TEST_CASE("ring context parallelism splits attention over the ring, exchanging key-value chunks",
          "[lowering][cp]") {
  const TransformerConfig model = small_model(2);
  const TrainingSpec training{512, 4, Dtype::kBf16};
  ParallelStrategy one;
  ParallelStrategy ring;
  ring.cp = 4;
  const Run base = run(model, training, one, RankSet::kSymmetricOnce, free_links());
  const Run cp = run(model, training, ring, RankSet::kSymmetricOnce, free_links());
  // Each rank attends b s / cp queries to all s keys: a quarter of the FLOPs.
  CHECK(attention_flops(cp.lowered.graph, 0) ==
        Approx(attention_flops(base.lowered.graph, 0) / 4).epsilon(1e-9));
  // Per layer and micro-batch: cp - 1 forward steps, cp - 1 backward steps plus the gradients' way home.
  CHECK(count_tasks(cp.lowered.graph, 0, CollectiveOp::kSendRecv, "cp") == 2 * 4 * (3 + 4));
  CHECK(cp.result.makespan < base.result.makespan);
  CHECK(cp.result.peak_memory_bytes[0] < base.result.peak_memory_bytes[0]);
  // The DP x CP group reduces the gradients: with dp 1 and cp 4 there still is one.
  CHECK(count_tasks(cp.lowered.graph, 0, CollectiveOp::kAllReduce, "dp") >= 1);
  // On real links the exchanges overlap the attention blocks and show as "cp" time only where exposed.
  const Run slow = run(model, training, ring);
  CHECK(slow.result.seconds_by_category.at("cp") > 0);
  check_collapsed_matches_full(model, training, ring);
}

TEST_CASE("Ulysses context parallelism moves heads with all-to-alls", "[lowering][cp]") {
  const TransformerConfig model = small_model(2);
  const TrainingSpec training{512, 4, Dtype::kBf16};
  ParallelStrategy s;
  s.cp = 2;
  s.cp_comm = ContextParallelComm::kUlysses;
  const Run ulysses = run(model, training, s);
  // Two all-to-alls around the core in forward and two in backward, per layer and micro-batch.
  CHECK(count_tasks(ulysses.lowered.graph, 0, CollectiveOp::kAllToAll, "cp") == 2 * 4 * 4);
  CHECK(ulysses.result.seconds_by_category.at("cp") > 0);
  check_collapsed_matches_full(model, training, s);
}

TEST_CASE("MoE layers dispatch tokens to experts over the EP group", "[lowering][moe]") {
  const TransformerConfig model = small_moe_model(2, 8);
  const TrainingSpec training{256, 8, Dtype::kBf16};
  ParallelStrategy s;
  s.dp = 4;
  s.ep = 4;
  const Run moe = run(model, training, s);
  // Dispatch and combine, forward and backward, per layer and micro-batch (2 micro-batches per replica).
  CHECK(count_tasks(moe.lowered.graph, 0, CollectiveOp::kAllToAll, "ep") == 4 * 2 * 2);
  CHECK(moe.result.seconds_by_category.at("ep") > 0);
  // Each GPU holds 8 / 4 experts and all dense parameters (tp 1).
  const LayerParameters per_gpu = stage_parameters(model, s, 0);
  const LayerParameters whole = stage_parameters(model, ParallelStrategy{}, 0);
  CHECK(per_gpu.expert == Approx(whole.expert / 4));
  CHECK(per_gpu.dense == Approx(whole.dense));
  check_collapsed_matches_full(model, training, s);

  SECTION("load imbalance makes every rank wait for the busiest expert") {
    ParallelStrategy skewed = s;
    skewed.moe_imbalance = 2.0;
    CHECK(run(model, training, skewed).result.makespan > moe.result.makespan);
  }
  SECTION("expert TP splits each expert and gathers its tokens") {
    ParallelStrategy folded = s;
    folded.ep = 2;
    folded.expert_tp = 2;
    const Run etp = run(model, training, folded);
    CHECK(count_tasks(etp.lowered.graph, 0, CollectiveOp::kAllGather, "ep") == 2 * 2 * 2);
    CHECK(count_tasks(etp.lowered.graph, 0, CollectiveOp::kReduceScatter, "ep") == 2 * 2 * 2);
    check_collapsed_matches_full(model, training, folded);
  }
  SECTION("the expert-data-parallel group reduces expert gradients, the DP group the rest") {
    ParallelStrategy wide = s;
    wide.ep = 2;
    const Run r = run(model, training, wide);
    std::set<std::string> kinds;
    for (const Task& t : r.lowered.graph.tasks) {
      if (t.type == TaskType::kCollective && t.category == "dp")
        kinds.insert(r.lowered.graph.groups[static_cast<std::size_t>(t.collective.group)].kind);
    }
    CHECK(kinds == std::set<std::string>{"dp", "edp"});
  }
}

TEST_CASE("DeepSeek-style MoE (dense first layers, shared experts, MLA) lowers", "[lowering][moe]") {
  TransformerConfig model = small_moe_model(4, 8);
  model.moe.first_dense_layers = 1;
  model.moe.shared_experts = 1;
  model.moe.shared_ffn_hidden = 512;
  model.mla = {64, 32, 32, 16, 32};
  ParallelStrategy s;
  s.tp = 2, s.sequence_parallel = true, s.pp = 2, s.dp = 2, s.ep = 4, s.zero = 1;
  const TrainingSpec training{256, 8, Dtype::kBf16};
  const Run r = run(model, training, s);
  CHECK(r.result.tasks_run == r.lowered.graph.tasks.size());
  // Stage 0 holds the dense first layer, so fewer expert parameters than stage 1.
  CHECK(stage_parameters(model, s, 0).expert < stage_parameters(model, s, 1).expert);
  check_collapsed_matches_full(model, training, s);
}

TEST_CASE("CP, EP and ZB-H1 compose with TP, PP, DP, ZeRO and recompute", "[lowering]") {
  const TransformerConfig model = small_moe_model(4, 4);
  const TrainingSpec training{256, 8, Dtype::kBf16};
  int combinations = 0;
  for (int cp : {1, 2}) {
    for (int ep : {1, 2, 4}) {
      for (int zero : {0, 1, 3}) {
        for (Recompute recompute : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
          for (const PipelineScheduleKind* schedule :
               {&pipeline_schedule("1f1b"), &pipeline_schedule("zb-h1")}) {
            ParallelStrategy s;
            s.tp = 2, s.sequence_parallel = true, s.pp = 2, s.cp = cp, s.dp = 2, s.ep = ep, s.zero = zero;
            s.recompute = recompute, s.schedule = schedule;
            INFO("cp " << cp << " ep " << ep << " zero " << zero << " schedule " << schedule->name());
            check_collapsed_matches_full(model, training, s);
            ++combinations;
          }
        }
      }
    }
  }
  CHECK(combinations == 108);
}

TEST_CASE("MoE and CP strategies the frameworks refuse fail naming the field", "[lowering][moe]") {
  const TransformerConfig model = small_moe_model(4, 8);
  const TrainingSpec training{256, 8, Dtype::kBf16};
  const auto error = [&](auto configure) {
    ParallelStrategy s;
    configure(s);
    return error_of([&] { lower_training(model, training, s, s.world_size()); });
  };
  CHECK(error([](ParallelStrategy& s) {
          s.dp = 4;
          s.ep = 3;
        }).find("/ep: 3 does not divide the 8 experts") == 0);
  CHECK(error([](ParallelStrategy& s) {
          s.dp = 2;
          s.ep = 4;
        }).find("/ep: ep x expert_tp = 4 must divide the tp x cp x dp = 2") == 0);
  CHECK(error([](ParallelStrategy& s) {
          s.tp = 2;
        }).find("/sequence_parallel: MoE layers with tp > 1 need sequence parallelism") == 0);
  TransformerConfig odd = model;
  odd.moe.expert_ffn_hidden = 500;
  ParallelStrategy split_experts;
  split_experts.dp = 8, split_experts.expert_tp = 8;
  CHECK(error_of([&] {
          lower_training(odd, training, split_experts, 8);
        }).find("/expert_tp: 8 does not divide the experts' intermediate size 500") == 0);
  CHECK(error([](ParallelStrategy& s) {
          s.moe_imbalance = 0.5;
        }).find("/moe_imbalance: max/mean tokens per expert") == 0);
}

TEST_CASE("DualPipe runs every micro-batch once in each direction's half and ends with no W held",
          "[lowering][dualpipe]") {
  ParallelStrategy s;
  s.pp = 8;
  s.schedule = &pipeline_schedule("dualpipe");
  for (int rank = 0; rank < 8; ++rank) {
    for (std::int64_t m : {16, 20, 32}) {
      INFO("rank " << rank << ", m " << m);
      std::map<PassKind, std::set<std::int64_t>> seen;
      int in_flight = 0;
      int most_in_flight = 0;
      for (const PipelinePass& pass : pipeline_order(s, m, rank)) {
        CHECK(seen[pass.kind].insert(pass.microbatch).second);
        CHECK(pass.chunk == (pass.microbatch < m / 2 ? 0 : 1));  // first half forward, second half reverse
        if (pass.kind != PassKind::kForward) CHECK(seen[PassKind::kForward].count(pass.microbatch) == 1);
        if (pass.kind == PassKind::kWeightGradient)
          CHECK(seen[PassKind::kInputGradient].count(pass.microbatch) == 1);
        in_flight += pass.kind == PassKind::kForward                                                ? 1
                     : (pass.kind == PassKind::kBackward || pass.kind == PassKind::kWeightGradient) ? -1
                                                                                                    : 0;
        most_in_flight = std::max(most_in_flight, in_flight);
      }
      CHECK(seen[PassKind::kForward].size() == static_cast<std::size_t>(m));
      CHECK(seen[PassKind::kBackward].size() + seen[PassKind::kInputGradient].size() ==
            static_cast<std::size_t>(m));
      CHECK(seen[PassKind::kWeightGradient].size() == seen[PassKind::kInputGradient].size());
      CHECK(in_flight == 0);
      // The DeepSeek-V3 report (table 2) puts DualPipe's activation memory at PP + 1 micro-batches.
      CHECK(most_in_flight <= 8 + 1);
    }
  }
  // Each rank holds two stages: r and p-1-r, so ranks 0 and p-1 both hold the embedding and the LM head.
  CHECK(pass_virtual_stage(s, 0, 2) == 2);
  CHECK(pass_virtual_stage(s, 1, 2) == 5);
}

TEST_CASE("DualPipe's bubble is smaller than 1F1B's for the same work, it holds two stages' parameters",
          "[lowering][dualpipe]") {
  // DeepSeek-V3 report, table 2: 1F1B's bubble (PP-1)(F+B), DualPipe's (PP/2-1)(F&B+B-3W).
  // Measured here: 0.027 against 0.157 (p 4, m 16).
  const ExecutionResult one_f_one_b = free_pipeline_step(&pipeline_schedule("1f1b"));
  const ExecutionResult dualpipe = free_pipeline_step(&pipeline_schedule("dualpipe"));
  for (std::size_t r = 0; r < 4; ++r) {
    INFO("rank " << r);
    // The same passes; the optimizer steps over twice the parameters (two stages per rank).
    const double dual_passes = dualpipe.compute_seconds[r] - dualpipe.seconds_by_category.at("optimizer");
    const double plain_passes =
        one_f_one_b.compute_seconds[r] - one_f_one_b.seconds_by_category.at("optimizer");
    CHECK(dual_passes == Approx(plain_passes).epsilon(1e-3));
    CHECK(dualpipe.seconds_by_category.at("optimizer") ==
          Approx(2.0 * one_f_one_b.seconds_by_category.at("optimizer")).epsilon(0.02));
  }
  CHECK(pipeline_bubble(dualpipe) < 0.6 * pipeline_bubble(one_f_one_b));
  CHECK(pipeline_bubble(dualpipe) > 0);
  ParallelStrategy s;
  s.pp = 4;
  s.schedule = &pipeline_schedule("dualpipe");
  ParallelStrategy plain = s;
  plain.schedule = &pipeline_schedule("1f1b");
  const TransformerConfig model = small_model(16);
  CHECK(stage_parameters(model, s, 1).dense == Approx(2.0 * stage_parameters(model, plain, 1).dense));
  // The whole graph with every rank replays, and the collapsed one predicts the same.
  check_collapsed_matches_full(model, TrainingSpec{256, 16, Dtype::kBf16}, s);
}

TEST_CASE("DualPipe refuses odd pipelines, virtual stages and too few micro-batches",
          "[lowering][dualpipe]") {
  const TransformerConfig model = small_model(16);
  const TrainingSpec training{256, 16, Dtype::kBf16};
  ParallelStrategy s;
  s.schedule = &pipeline_schedule("dualpipe");
  s.pp = 3;
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 3); }),
             Catch::Contains("/pp") && Catch::Contains("even"));
  s.pp = 4;
  s.micro_batch = 4;  // 4 micro-batches < 2 x 4
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 4); }),
             Catch::Contains("/micro_batch") && Catch::Contains("at least 2 x pp = 8"));
  s.micro_batch = 1;
  s.vpp = 2;
  CHECK_THAT(error_of([&] { validate_strategy(model, training, s, 4); }), Catch::Contains("/vpp"));
}

TEST_CASE("FSSDP materialises each rank's experts once per step and returns their gradients once",
          "[lowering][fssdp]") {
  // Hecate's FSSDP, 2 MoE layers of 8 experts on 4 ranks with ep 2 (each rank hosts 4 experts) and
  // expert-data-parallel 2. Per step and rank: one all-gather of the hosted experts' 16-bit weights and one
  // reduce-scatter of their gradients per layer over all 4 ranks of the stage, however many micro-batches
  // run; the expert states are sharded 4 ways instead of 2.
  const TransformerConfig model = small_moe_model(2, 8);
  ParallelStrategy s;
  s.dp = 4;
  s.ep = 2;
  s.fssdp = true;
  const LayerParameters hosted = stage_parameters(model, s, 0);
  for (const std::int64_t global_batch : {8, 16}) {
    const Run r = run(model, TrainingSpec{256, global_batch, Dtype::kBf16}, s);
    int gathers = 0;
    int scatters = 0;
    for (const Task& t : r.lowered.graph.tasks) {
      if (t.rank != 0 || t.type != TaskType::kCollective) continue;
      if (r.lowered.graph.groups[static_cast<std::size_t>(t.collective.group)].kind != "stage") continue;
      CHECK(r.lowered.graph.group_gpus(r.lowered.graph.groups[static_cast<std::size_t>(t.collective.group)])
                .size() == 4);
      if (t.collective.op == CollectiveOp::kAllGather) {
        ++gathers;
        CHECK(static_cast<double>(t.collective.bytes) ==
              Approx(hosted.expert / 2 * 2.0).epsilon(1e-6));  // one layer's, 2 bytes
      }
      if (t.collective.op == CollectiveOp::kReduceScatter) {
        ++scatters;
        CHECK(static_cast<double>(t.collective.bytes) ==
              Approx(hosted.expert / 2 * s.gradient_bytes).epsilon(1e-6));
      }
    }
    INFO("global batch " << global_batch);
    CHECK(gathers == 2);
    CHECK(scatters == 2);
    // The expert-data-parallel group no longer reduces expert gradients.
    for (const Task& t : r.lowered.graph.tasks) {
      if (t.type == TaskType::kCollective)
        CHECK(r.lowered.graph.groups[static_cast<std::size_t>(t.collective.group)].kind != "edp");
    }
    check_collapsed_matches_full(model, TrainingSpec{256, global_batch, Dtype::kBf16}, s);
  }
  // Expert states (2 + 4 + 12 bytes per parameter) over the 2 expert-data-parallel ranks of each hosted
  // expert, where plain EP without ZeRO keeps all 18 bytes of its hosted experts: 9 bytes per hosted
  // parameter fewer, the dense states alike.
  ParallelStrategy plain = s;
  plain.fssdp = false;
  CHECK(stage_model_state_bytes(model, plain, 0) - stage_model_state_bytes(model, s, 0) ==
        Approx(9.0 * hosted.expert));
  // Its placement follows the step's loads: an imbalance it would erase is refused, and FSSDP runs the
  // experts at the mean load where EP waits for the busiest.
  ParallelStrategy skewed = s;
  skewed.moe_imbalance = 2.0;
  CHECK_THAT(error_of([&] {
               validate_strategy(model, TrainingSpec{256, 8, Dtype::kBf16}, skewed, 4);
             }),
             Catch::Contains("/moe_imbalance: has no effect with fssdp"));
  ParallelStrategy ep_skewed = plain;
  ep_skewed.moe_imbalance = 2.0;
  CHECK(run(model, TrainingSpec{256, 8, Dtype::kBf16}, ep_skewed).result.seconds_by_category.at("compute") >
        run(model, TrainingSpec{256, 8, Dtype::kBf16}, s).result.seconds_by_category.at("compute"));
  // Refused where it would change nothing.
  ParallelStrategy dense = s;
  dense.ep = 1;
  CHECK_THAT(error_of([&] {
               validate_strategy(small_model(2), TrainingSpec{256, 8, Dtype::kBf16}, dense, 4);
             }),
             Catch::Contains("/fssdp: has no effect"));
  ParallelStrategy spread = s;
  spread.ep = 4;
  CHECK_THAT(error_of([&] {
               validate_strategy(model, TrainingSpec{256, 8, Dtype::kBf16}, spread, 4);
             }),
             Catch::Contains("/fssdp: has no effect: ep x expert_tp = 4"));
}
