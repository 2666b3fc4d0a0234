// Lowering model x training x strategy into execution graphs, replayed by the executor.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <numeric>
#include <tuple>

#include "../support/input_error.hpp"
#include "lowering_fixtures.hpp"
#include "models/executor/executor.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "models/strategy/task_emitter.hpp"
#include "models/strategy/training_lowering.hpp"
#include "models/workload/model_catalog.hpp"
#include "sim/error.hpp"

using namespace strata::models;
using namespace strata::models::testing;

namespace {

// The pipeline bubble (pipeline_bubble) of a `pp`-stage pipeline over `microbatches` with free communication.
double bubble(const PipelineScheduleKind* schedule, int pp, std::int64_t microbatches, int vpp = 1) {
  const TransformerConfig model = small_model(4 * pp);
  ParallelStrategy strategy;
  strategy.pp = pp;
  strategy.vpp = vpp;
  strategy.schedule = schedule;
  const TrainingSpec training{64, microbatches, Dtype::kBf16};
  const LoweredTraining lowered = lower_training(model, training, strategy, pp);
  return pipeline_bubble(execute(lowered.graph, exact_gpu(), free_links()));
}

}  // namespace

TEST_CASE("with free communication the pipeline bubble is (p-1)/(m+p-1)", "[lowering]") {
  for (const auto& [pp, m] : {std::pair{2, 4}, std::pair{4, 8}, std::pair{4, 16}, std::pair{8, 8}}) {
    INFO("p = " << pp << ", m = " << m);
    const double expected = (pp - 1.0) / (m + pp - 1.0);
    CHECK(bubble(&pipeline_schedule("1f1b"), pp, m) == Approx(expected).margin(0.01));
    CHECK(bubble(&pipeline_schedule("gpipe"), pp, m) == Approx(expected).margin(0.01));
  }
}

TEST_CASE("the time breakdown counts the pipeline's fill and drain as bubble", "[lowering]") {
  // 1F1B, p = 8, m = 8, free communication: every stage idles (p-1)(tf+tb) of its step, half while the
  // pipeline fills and half while it drains, so the bubble is (p-1)/(m+p-1) = 7/15 of the step without the
  // optimizer on every stage (the drain used to be counted as "other").
  const int pp = 8;
  ParallelStrategy strategy;
  strategy.pp = pp;
  const LoweredTraining lowered =
      lower_training(small_model(4 * pp), TrainingSpec{64, 8, Dtype::kBf16}, strategy, pp);
  const ExecutionResult result = execute(lowered.graph, exact_gpu(), free_links());
  const double optimizer = result.seconds_by_category.at("optimizer");
  for (int stage : {0, pp / 2, pp - 1}) {
    INFO("stage " << stage);
    const TimeBreakdown& breakdown = result.time_breakdown.at(static_cast<std::size_t>(stage));
    CHECK(breakdown.at("bubble") / (result.makespan.seconds() - optimizer) ==
          Approx(7.0 / 15.0).margin(0.01));
    CHECK(breakdown.count("wait") == 0);
  }
}

TEST_CASE("interleaving v model chunks divides the bubble by v", "[lowering]") {
  // Narayanan et al. SC21, section 2.2.2: bubble time (p-1)(tf+tb)/v, so the fraction is (p-1)/(v m + p - 1).
  for (const auto& [pp, m, v] :
       {std::tuple{2, 4, 2}, std::tuple{4, 8, 2}, std::tuple{4, 8, 4}, std::tuple{4, 16, 2}}) {
    INFO("p = " << pp << ", m = " << m << ", v = " << v);
    const double expected = (pp - 1.0) / (v * m + pp - 1.0);
    CHECK(bubble(&pipeline_schedule("interleaved"), pp, m, v) == Approx(expected).margin(0.01));
    CHECK(bubble(&pipeline_schedule("interleaved"), pp, m, v) < bubble(&pipeline_schedule("1f1b"), pp, m));
  }
}

TEST_CASE("the interleaved schedule keeps more activations in flight than 1F1B", "[lowering]") {
  // Korthikanti et al.: the first stage holds 1 + (p-1)/(p v) times 1F1B's activations.
  const TransformerConfig model = small_model(16);
  const TrainingSpec training{64, 16, Dtype::kBf16};
  const auto peak = [&](int vpp) {
    ParallelStrategy s;
    s.pp = 4;
    s.vpp = vpp;
    s.schedule = &default_pipeline_schedule(vpp);
    return execute(lower_training(model, training, s, 4).graph, exact_gpu(), free_links())
        .peak_memory_bytes[0];
  };
  CHECK(peak(2) > peak(1));
}

TEST_CASE("interleaving composes with TP, SP, DP and ZeRO-1", "[lowering]") {
  ParallelStrategy s;
  s.tp = 2, s.pp = 2, s.vpp = 2, s.dp = 2, s.sequence_parallel = true, s.zero = 1,
  s.recompute = Recompute::kSelective;
  s.schedule = &pipeline_schedule("interleaved");
  const LoweredTraining lowered = lower_training(small_model(8), {128, 8, Dtype::kBf16}, s, 8);
  const ExecutionResult result = execute(lowered.graph, exact_gpu(), synthetic_system());
  CHECK(result.tasks_run == lowered.graph.tasks.size());
  CHECK(lowered.stage_layers.size() == 4);  // p x v virtual stages of 2 layers
}

TEST_CASE("ZeRO stages shard model states, ZeRO-3 gathers weights per layer", "[lowering]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{128, 8, Dtype::kBf16};
  const auto run = [&](int zero) {
    ParallelStrategy s;
    s.dp = 4;
    s.zero = zero;
    const LoweredTraining lowered = lower_training(model, training, s, 4);
    return std::pair{lowered, execute(lowered.graph, exact_gpu(), synthetic_system())};
  };
  const auto [g0, r0] = run(0);
  const auto [g1, r1] = run(1);
  const auto [g2, r2] = run(2);
  const auto [g3, r3] = run(3);
  CHECK(r1.peak_memory_bytes[0] < r0.peak_memory_bytes[0]);
  CHECK(r2.peak_memory_bytes[0] < r1.peak_memory_bytes[0]);
  CHECK(r3.peak_memory_bytes[0] < r2.peak_memory_bytes[0]);
  // ZeRO-3: an all-gather before every layer's forward and backward, a reduce-scatter after its backward, per
  // micro-batch: 8 micro-batches / 4 ranks = 2, 4 layers -> 2 x 4 x 3 = 24 collectives per rank, plus the
  // reduce-scatter of the embedding and LM head gradients.
  const auto count = [](const ExecutionGraph& graph, CollectiveOp op) {
    std::size_t n = 0;
    for (const Task& t : graph.tasks)
      n += t.rank == 0 && t.type == TaskType::kCollective && t.collective.op == op ? 1 : 0;
    return n;
  };
  CHECK(count(g3.graph, CollectiveOp::kAllGather) == 16);
  CHECK(count(g3.graph, CollectiveOp::kReduceScatter) == 8 + 1);
  CHECK(r3.seconds_by_category.at("dp") > r1.seconds_by_category.at("dp"));
}

TEST_CASE("every supported strategy combination lowers and replays", "[lowering]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{128, 8, Dtype::kBf16};
  const SystemProfile system = synthetic_system();
  int combinations = 0;
  for (int tp : {1, 2}) {
    for (int pp : {1, 2}) {
      for (int dp : {1, 2}) {
        for (bool sp : {false, true}) {
          for (Recompute recompute : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
            for (int zero : {0, 1, 2, 3}) {
              for (const PipelineScheduleKind* schedule :
                   {&pipeline_schedule("gpipe"), &pipeline_schedule("1f1b")}) {
                if ((sp && tp == 1) || (zero > 0 && dp == 1)) continue;  // refused: no effect (the next test)
                ParallelStrategy s;
                s.tp = tp, s.pp = pp, s.dp = dp, s.sequence_parallel = sp, s.recompute = recompute,
                s.zero = zero;
                s.schedule = schedule;
                s.micro_batch = 2;
                INFO("tp " << tp << " pp " << pp << " dp " << dp << " sp " << sp << " zero " << zero);
                // Simulating one rank per stage predicts exactly what every rank does (analytic collectives).
                const ExecutionResult result = check_collapsed_matches_full(model, training, s, system);
                CHECK(result.makespan.ps() > 0);
                CHECK(result.peak_memory_bytes.at(0) > 0);
                ++combinations;
              }
            }
          }
        }
      }
    }
  }
  CHECK(combinations == 180);
}

TEST_CASE("options that would change nothing are refused with the reason", "[lowering]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{128, 8, Dtype::kBf16};
  const auto error = [&](auto configure) {
    ParallelStrategy s;
    configure(s);
    return error_of([&] { validate_strategy(model, training, s, s.world_size()); });
  };
  CHECK(error([](ParallelStrategy& s) { s.moe_imbalance = 1.5; }).find("/moe_imbalance: has no effect") == 0);
  CHECK(error([](ParallelStrategy& s) {
          s.sequence_parallel = true;
        }).find("/sequence_parallel: has no effect with tp 1") == 0);
  CHECK(error([](ParallelStrategy& s) {
          s.cp_comm = ContextParallelComm::kUlysses;
        }).find("/cp_comm: has no effect with cp 1") == 0);
  CHECK(error([](ParallelStrategy& s) {
          s.zero = 1;
        }).find("/zero: ZeRO shards over the data-parallel ranks; with dp x cp = 1") == 0);
  CHECK(error([](ParallelStrategy& s) { s.dp_overlap = false; }).find("/dp_overlap: has no effect") == 0);
  CHECK(error([](ParallelStrategy& s) { s.dp_bucket_bytes = 1'000'000; }).find("/dp_bucket: has no effect") ==
        0);
  CHECK(error([](ParallelStrategy& s) {
          s.dp = 2, s.zero = 3, s.dp_overlap = false;
        }).find("/dp_overlap: false has no effect with ZeRO-3") == 0);
  // small_model's layer (h 256, f 1024): 4 h^2 + 3 h f + 2 h = 1,049,088 parameters, 4 bytes of gradient
  // each.
  CHECK(error([](ParallelStrategy& s) {
          s.dp = 2, s.dp_bucket_bytes = 4'000'000;
        }).find("/dp_bucket: 4000000 bytes is below one layer's gradients on a GPU (4196352 bytes)") == 0);
  CHECK(error([](ParallelStrategy& s) { s.dp = 2, s.dp_bucket_bytes = 4'196'352; }) == "no error");
}

TEST_CASE("every hybrid-sharding and offload combination lowers and replays", "[lowering][hsdp][offload]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{128, 8, Dtype::kBf16};
  int combinations = 0;
  for (int pp : {1, 2}) {
    for (int zero : {1, 2, 3}) {
      for (int dp_shard : {0, 1, 2}) {
        for (MemoryTier offload : {MemoryTier::kHbm, MemoryTier::kHostMemory, MemoryTier::kNvme}) {
          for (bool parameters : {false, true}) {
            if (offload == MemoryTier::kNvme && zero < 3) continue;
            if (parameters && (zero < 3 || offload == MemoryTier::kHbm)) continue;
            ParallelStrategy s;
            s.pp = pp, s.dp = 4, s.zero = zero, s.dp_shard = dp_shard, s.offload = offload,
            s.offload_parameters = parameters;
            INFO("pp " << pp << " zero " << zero << " dp_shard " << dp_shard << " offload "
                       << memory_tier_name(offload) << " params " << parameters);
            check_collapsed_matches_full(model, training, s, offload_system());
            ++combinations;
          }
        }
      }
    }
  }
  CHECK(combinations == 2 * (2 * 3 * 2 + 3 * 5));
}

TEST_CASE("recompute costs time, sequence parallelism and ZeRO save memory", "[lowering]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{128, 8, Dtype::kBf16};
  const auto run = [&](auto configure) {
    ParallelStrategy s;
    s.tp = 2;
    s.dp = 2;
    configure(s);
    return execute(lower_training(model, training, s, 4).graph, exact_gpu(), synthetic_system());
  };
  const ExecutionResult base = run([](ParallelStrategy&) {});
  const ExecutionResult full = run([](ParallelStrategy& s) { s.recompute = Recompute::kFull; });
  const ExecutionResult sp = run([](ParallelStrategy& s) { s.sequence_parallel = true; });
  const ExecutionResult zero = run([](ParallelStrategy& s) { s.zero = 1; });
  CHECK(full.makespan > base.makespan);
  CHECK(full.peak_memory_bytes[0] < base.peak_memory_bytes[0]);
  CHECK(sp.peak_memory_bytes[0] < base.peak_memory_bytes[0]);
  CHECK(zero.peak_memory_bytes[0] < base.peak_memory_bytes[0]);
  CHECK(base.seconds_by_category.at("tp") > 0);
  CHECK(base.seconds_by_category.at("dp") > 0);
}

TEST_CASE("invalid strategies fail naming the field", "[lowering]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{128, 8, Dtype::kBf16};
  const auto error = [&](auto configure, int gpus) {
    ParallelStrategy s;
    configure(s);
    return error_of([&] { lower_training(model, training, s, gpus); });
  };
  CHECK(error([](ParallelStrategy& s) { s.tp = 3; }, 3) == "/tp: 3 does not divide the 4 attention heads");
  CHECK(error([](ParallelStrategy& s) { s.tp = 2; }, 8)
            .find("/dp: tp x pp x cp x dp = 2 x 1 x 1 x 1 = 2, but the cluster has 8") == 0);
  CHECK(error([](ParallelStrategy& s) { s.micro_batch = 3; }, 1)
            .find("/micro_batch: global batch 8 is not a multiple") == 0);
  CHECK(error([](ParallelStrategy& s) { s.pp = 8; }, 8).find("/pp: 8 stages for 4 layers") == 0);
  CHECK(error(
            [](ParallelStrategy& s) {
              s.pp = 2;
              s.stage_layers = {1, 2};
            },
            2)
            .find("/stage_layers: must sum") == 0);
  CHECK(error([](ParallelStrategy& s) { s.cp = 3; }, 3)
            .find("/cp: the sequence (128 tokens) does not split into 2 x cp = 6") == 0);
  CHECK(error(
            [](ParallelStrategy& s) {
              s.cp = 8;
              s.cp_comm = ContextParallelComm::kUlysses;
            },
            8)
            .find("/cp: Ulysses needs") == 0);
  CHECK(error(
            [](ParallelStrategy& s) {
              s.dp = 2;
              s.ep = 2;
            },
            2)
            .find("/ep: expert parallelism needs an MoE model") == 0);
  CHECK(error(
            [](ParallelStrategy& s) {
              s.pp = 2;
              s.vpp = 2;
              s.micro_batch = 2;
              s.schedule = &pipeline_schedule("zb-h1");
            },
            2)
            .find("/vpp: zb-h1 runs one model chunk per stage (vpp 1)") == 0);
  CHECK(error([](ParallelStrategy& s) { s.vpp = 2; }, 1)
            .find("/vpp: 1f1b runs one model chunk per stage (vpp 1)") == 0);
  const auto interleaved = [](ParallelStrategy& s, int vpp) {
    s.vpp = vpp;
    s.schedule = &pipeline_schedule("interleaved");
  };
  CHECK(error([&](ParallelStrategy& s) { interleaved(s, 2); }, 1)
            .find("/vpp: the interleaved schedule needs pp >= 2") == 0);
  CHECK(error(
            [&](ParallelStrategy& s) {
              s.pp = 2;
              interleaved(s, 1);
            },
            2)
            .find("/vpp: the interleaved schedule needs vpp >= 2, got 1") == 0);
  CHECK(error(
            [&](ParallelStrategy& s) {
              s.pp = 2;
              interleaved(s, 4);
            },
            2)
            .find("/vpp: 8 virtual stages for 4 layers") == 0);
  CHECK(error(
            [&](ParallelStrategy& s) {
              s.pp = 2;
              interleaved(s, 2);
              s.micro_batch = 8;
            },
            2)
            .find("/vpp: the interleaved schedule needs the micro-batches") == 0);
  CHECK(error([](ParallelStrategy& s) { s.zero = 4; }, 1).find("/zero: ZeRO stage must be 0, 1, 2 or 3") ==
        0);
}

TEST_CASE("uneven layer splits give the middle stages the extra layers", "[lowering]") {
  const auto llama405 = split_layers(126, 16, {});
  CHECK(llama405.front() == 7);
  CHECK(llama405.back() == 7);
  CHECK(std::accumulate(llama405.begin(), llama405.end(), 0) == 126);
  const auto bloom = split_layers(70, 12, {});
  CHECK(bloom.front() == 5);
  CHECK(bloom.back() == 5);
  CHECK(split_layers(8, 3, {2, 3, 3}) == std::vector<int>{2, 3, 3});
}

TEST_CASE("overlapping DP and TP communication hides it, unfused attention costs more", "[lowering]") {
  const TransformerConfig model = small_model(4);
  const TrainingSpec training{1024, 16, Dtype::kBf16};
  const auto run = [&](auto configure, TrainingSpec spec) {
    ParallelStrategy s;
    s.tp = 2, s.dp = 2, s.pp = 1, s.sequence_parallel = true, s.zero = 1;
    configure(s);
    return execute(lower_training(model, spec, s, 4).graph, exact_gpu(), synthetic_system());
  };
  const auto exposed = [](const ExecutionResult& r, const char* key) {
    const auto found = r.time_breakdown.at(0).find(key);
    return found == r.time_breakdown.at(0).end() ? 0.0 : found->second;
  };
  const ExecutionResult serial = run([](ParallelStrategy& s) { s.dp_overlap = false; }, training);
  const ExecutionResult dp_overlapped = run([](ParallelStrategy&) {}, training);
  const ExecutionResult both = run([](ParallelStrategy& s) { s.tp_overlap = true; }, training);
  CHECK(dp_overlapped.makespan < serial.makespan);
  CHECK(exposed(dp_overlapped, "dp") < exposed(serial, "dp"));
  CHECK(both.makespan < dp_overlapped.makespan);
  CHECK(exposed(both, "tp") < exposed(dp_overlapped, "tp"));
  // Overlap moves the collectives beside the GEMMs, it does not drop them: userbuffers runs the same bytes
  // (the all-gathers as send-recv steps, the reduce-scatters in chunks) plus the backward's all-gather of
  // the saved input.
  CHECK(both.seconds_by_category.at("tp") >= dp_overlapped.seconds_by_category.at("tp"));

  TrainingSpec unfused = training;
  unfused.attention = AttentionKernel::kUnfused;
  const ExecutionResult slow = run([](ParallelStrategy&) {}, unfused);
  CHECK(slow.makespan > dp_overlapped.makespan);
  // The Triton kernel does the fused kernel's work at the profile's slower rate (exact_gpu: half of it).
  TrainingSpec triton = training;
  triton.attention = AttentionKernel::kTriton;
  const ExecutionResult slower = run([](ParallelStrategy&) {}, triton);
  CHECK(slower.makespan > dp_overlapped.makespan);
  CHECK(slower.peak_memory_bytes == dp_overlapped.peak_memory_bytes);

  ParallelStrategy bad;
  bad.tp = 2, bad.dp = 2, bad.tp_overlap = true;
  CHECK(error_of([&] {
          lower_training(model, training, bad, 4);
        }).find("/tp_overlap: TP communication overlap needs sequence_parallel") != std::string::npos);
}

TEST_CASE("FP8 training keeps the LM head and the unfused attention core in 16 bits", "[lowering]") {
  TrainingSpec training{512, 4, Dtype::kFp8};
  training.attention = AttentionKernel::kUnfused;
  ParallelStrategy s;
  s.dp = 1;
  const LoweredTraining lowered = lower_training(small_model(2), training, s, 1);
  int fp8 = 0, bf16 = 0;
  for (const Task& t : lowered.graph.tasks) {
    if (t.type != TaskType::kCompute || t.compute.kind != ComputeKind::kGemm) continue;
    const bool sixteen = t.name.rfind("lm head", 0) == 0 || t.name.find("QK^T") != std::string::npos;
    if (sixteen) CHECK(t.compute.dtype == Dtype::kBf16);
    (t.compute.dtype == Dtype::kFp8 ? fp8 : bf16) += 1;
  }
  CHECK(fp8 > 0);
  CHECK(bf16 > 0);
}

TEST_CASE("the loss runs Megatron's cross-entropy passes and keeps its fp32 softmax on the last stage",
          "[lowering]") {
  TransformerConfig model = small_model(4);
  model.vocab = 1024;
  const TrainingSpec training{512, 2, Dtype::kBf16};
  ParallelStrategy s;
  s.pp = 2;
  s.tp = 2;
  const LoweredTraining lowered = lower_training(model, training, s, 4);
  const double logits = 512.0 * 1024 / 2;  // one micro-batch's tokens x the rank's vocabulary shard
  int forward = 0, backward = 0;
  for (const Task& t : lowered.graph.tasks) {
    if (t.name == "loss") {
      CHECK(t.compute.bytes == Approx(38 * logits));
      ++forward;
    } else if (t.name == "loss backward") {
      CHECK(t.compute.bytes == Approx(14 * logits));
      ++backward;
    }
  }
  CHECK(forward == 2);  // one per micro-batch, on the last stage only
  CHECK(backward == 2);

  ActivationInputs in;
  in.seq_len = 512;
  in.tp = 2;
  CHECK(output_activation_bytes(model, in) == Approx(4 * logits));
  // The last stage's activations at its peak include the softmax.
  const ExecutionResult result = execute(lowered.graph, exact_gpu(), free_links());
  CHECK(result.peak_memory_breakdown.back().at("activations") >= 4 * logits);
}

TEST_CASE("the kernels between the GEMMs move what Megatron-Core's kernels read and write", "[lowering]") {
  // Per layer and micro-batch on one rank, in bytes per token x width (2-byte activations):
  //  - Llama (RoPE, SwiGLU, no dropout): rope 4 (q + k) each way; residual add 6h; norm 4h; norm backward
  //  12h;
  //    SwiGLU 2 (2f) + 2f forward, 2 (2 x 2f) + 2f backward.
  //  - GPT (learned positions, GELU, dropout): no rope; residual add 7h (1-byte mask); dropout backward 5h.
  const TrainingSpec training{512, 1, Dtype::kBf16};
  ParallelStrategy s;
  s.tp = 2;
  s.sequence_parallel = true;
  const auto bytes_of = [&](const TransformerConfig& model) {
    const LoweredTraining lowered = lower_training(model, training, s, 2);
    std::map<std::string, std::vector<double>> by_name;
    for (const Task& t : lowered.graph.tasks) {
      if (t.rank == 0 && t.type == TaskType::kCompute && t.compute.kind == ComputeKind::kMemoryBound)
        by_name[t.name].push_back(t.compute.bytes);
    }
    return by_name;
  };
  const double tokens = 512;
  TransformerConfig llama = small_model(1);
  llama.kv_heads = 2;
  const double h = llama.hidden, f = llama.ffn_hidden;
  const double q = llama.heads * llama.head_dim / 2.0,
               k = llama.kv_heads * llama.head_dim / 2.0;  // per TP rank
  auto l = bytes_of(llama);
  REQUIRE(l["rope"].size() == 1);
  CHECK(l["rope"][0] == Approx(4 * tokens * (q + k)));
  CHECK(l["rope backward"][0] == Approx(4 * tokens * (q + k)));
  CHECK(l["residual"][0] == Approx(6 * tokens * h / 2));  // sequence parallel: b s / t tokens
  CHECK(l["residual+norm"][0] == Approx(10 * tokens * h / 2));
  CHECK(l["norm backward"][0] == Approx(12 * tokens * h / 2));
  CHECK(l["mlp activation"][0] == Approx(2 * tokens * (2 * f + f) / 2));
  CHECK(l["mlp activation backward"][0] == Approx(2 * tokens * (4 * f + f) / 2));
  CHECK(l.count("dropout backward") == 0);

  TransformerConfig gpt = llama;
  gpt.family = Family::kGpt;
  gpt.learned_positions = true;
  gpt.activation = MlpActivation::kGelu;
  auto g = bytes_of(gpt);
  CHECK(g.count("rope") == 0);
  CHECK(g["residual"][0] == Approx(7 * tokens * h / 2));
  REQUIRE(g["dropout backward"].size() == 2);  // after the MLP and after attention
  CHECK(g["dropout backward"][0] == Approx(5 * tokens * h / 2));
  CHECK(g["mlp activation"][0] == Approx(2 * tokens * (f + f) / 2));
}

TEST_CASE("TP overlap runs Transformer Engine's userbuffers: chunked GEMMs beside the TP collectives",
          "[lowering]") {
  const TransformerConfig model = small_model(2);
  const TrainingSpec training{1024, 2, Dtype::kBf16};
  ParallelStrategy s;
  s.tp = 4, s.dp = 1, s.sequence_parallel = true, s.tp_overlap = true;
  const LoweredTraining lowered = lower_training(model, training, s, 4);
  std::map<std::string, int> count;
  std::map<std::string, double> rows;
  std::map<std::string, std::int64_t> reserved;
  int exchanges = 0, gathers = 0, scatters = 0;
  for (const Task& t : lowered.graph.tasks) {
    if (t.rank != 0) continue;
    if (t.type == TaskType::kCollective && t.stream == static_cast<int>(Stream::kTensorParallel)) {
      exchanges += t.collective.op == CollectiveOp::kSendRecv;
      gathers += t.collective.op == CollectiveOp::kAllGather;
      scatters += t.collective.op == CollectiveOp::kReduceScatter;
    }
    if (t.type != TaskType::kCompute || t.compute.kind != ComputeKind::kGemm) continue;
    const std::string name = t.name.substr(0, t.name.find(" chunk"));
    count[name] += 1;
    rows[name] = static_cast<double>(t.compute.gemm.m);
    reserved[name] = t.compute.gemm.reserved_sms;
  }
  const int passes = 2 * 2;  // layers x micro-batches
  // ring_exchange: tp chunks of one rank's 256 rows, 3 send-recv steps per gathered GEMM (qkv, mlp up
  // forward; attention out, mlp down data gradients backward).
  CHECK(count["qkv"] == 4 * passes);
  CHECK(rows["qkv"] == 256);
  CHECK(count["attention out dgrad"] == 4 * passes);
  CHECK(exchanges == 4 * 3 * passes);
  // pipeline: 4 chunks of 256 rows on the SMs the reduce-scatter leaves, one reduce-scatter per chunk.
  CHECK(count["attention out"] == 4 * passes);
  CHECK(reserved["attention out"] == 16);
  CHECK(reserved["qkv"] == 0);
  // bulk: the saved input's all-gather beside the data gradient, the input gradient's reduce-scatter beside
  // the weight gradient, both GEMMs whole and 16 SMs short.
  CHECK(count["qkv dgrad"] == passes);
  CHECK(rows["qkv dgrad"] == 1024);
  CHECK(reserved["qkv wgrad"] == 16);
  CHECK(gathers == 2 * passes);
  CHECK(scatters == (2 * 4 + 2) * passes);
}

TEST_CASE("a step too long for one graph is bad input, found before it is built", "[lowering]") {
  const TransformerConfig model = small_model(4);
  ParallelStrategy strategy;
  strategy.pp = 2;
  const TrainingSpec training{64, 64, Dtype::kBf16};
  const std::size_t whole = lower_training(model, training, strategy, 2).graph.tasks.size();
  CHECK(lower_training(model, training, strategy, 2, RankSet::kSymmetricOnce, whole).graph.tasks.size() ==
        whole);
  // A limit between the floor (2 x 8 tasks per layer and micro-batch) and the real size: found while
  // building.
  const std::size_t floor = 2 * kMinTasksPerLayerPass * 64 * 4;
  REQUIRE(whole > floor + 2);
  const std::size_t limit = (whole + floor) / 2;
  const std::string message =
      error_of([&] { lower_training(model, training, strategy, 2, RankSet::kSymmetricOnce, limit); });
  CHECK(message.find("a step of 64 micro-batches over 4 layers needs about ") != std::string::npos);
  CHECK(message.find("more than the " + std::to_string(limit) + " one graph may hold") != std::string::npos);
  // lower_training_within says so as a value, for callers that extrapolate instead.
  const LoweringOutcome outcome =
      lower_training_within(model, training, strategy, 2, RankSet::kSymmetricOnce, limit);
  CHECK_FALSE(outcome.lowered.has_value());
  CHECK(message.find(outcome.too_large) != std::string::npos);
  CHECK(lower_training_within(model, training, strategy, 2, RankSet::kSymmetricOnce, whole)
            .lowered.has_value());
  // Below the floor of kMinTasksPerLayerPass forward and backward tasks per layer and micro-batch (here
  // 2 x 8 x 64 x 4), nothing is built at all.
  CHECK(error_of([&] {
          lower_training(model, training, strategy, 2, RankSet::kSymmetricOnce, 100);
        }).find("needs at least 4096 simulated tasks, more than the 100") != std::string::npos);
}

TEST_CASE("the refusal floor stays below every lowering's real task count", "[lowering]") {
  const TrainingSpec training{64, 16, Dtype::kBf16};
  TransformerConfig no_rotary = small_model(4);
  no_rotary.alibi = true;
  const auto check = [&](const TransformerConfig& model, const std::function<void(ParallelStrategy&)>& set,
                         int gpus, RankSet ranks) {
    ParallelStrategy s;
    set(s);
    const LoweredTraining lowered = lower_training(model, training, s, gpus, ranks);
    const double floor = 2.0 * kMinTasksPerLayerPass * static_cast<double>(lowered.microbatches) *
                         model.layers * (ranks == RankSet::kAll ? s.stage_ranks() : 1);
    INFO(model.name << " tp" << s.tp << " pp" << s.pp << " dp" << s.dp << " z" << s.zero);
    CHECK(static_cast<double>(lowered.graph.tasks.size()) >= floor);
  };
  for (const TransformerConfig& model : {small_model(4), small_moe_model(4, 4), no_rotary}) {
    check(
        model, [](ParallelStrategy& s) { s.dp = 2; }, 2, RankSet::kSymmetricOnce);
    check(
        model, [](ParallelStrategy& s) { s.dp = 2, s.zero = 3; }, 2, RankSet::kAll);
    check(
        model, [](ParallelStrategy& s) { s.tp = 2, s.sequence_parallel = true, s.tp_overlap = true; }, 2,
        RankSet::kAll);
    check(
        model, [](ParallelStrategy& s) { s.pp = 2, s.recompute = Recompute::kFull; }, 2, RankSet::kAll);
    check(
        model, [](ParallelStrategy& s) { s.cp = 2; }, 2, RankSet::kAll);
  }
}
