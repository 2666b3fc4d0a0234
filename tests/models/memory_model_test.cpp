// Memory accounting against the ZeRO paper and the Korthikanti et al. memory records
// (shared/reference/published_training.json, korthikanti_memory_*). Those records are numbers, copied below
// with their ids; the formulas are in models/memory/memory_model.hpp.
#include <catch2/catch.hpp>

#include "models/memory/memory_model.hpp"
#include "models/workload/model_catalog.hpp"

using namespace strata::models;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

TransformerConfig preset(const std::string& name) {
  return ModelCatalog(STRATA_SOURCE_PRESET_DIR).preset(name).config;
}

// GPT as Korthikanti et al. trained it: dropout, no fused attention.
ActivationInputs gpt_2022(std::int64_t micro_batch, bool sp, Recompute recompute) {
  ActivationInputs in;
  in.seq_len = 2048;
  in.micro_batch = micro_batch;
  in.tp = 8;
  in.sequence_parallel = sp;
  in.recompute = recompute;
  in.fused_attention = false;
  in.dropout = true;
  return in;
}

}  // namespace

TEST_CASE("ZeRO model states: 2 + 2 + 12 bytes per parameter, sharded by stage", "[memory]") {
  // 7.5B parameters on 64 data-parallel GPUs (the ZeRO paper's running example, Figure 1):
  // baseline 16 x 7.5e9 = 120 GB; ZeRO-1 4 + 12/64 = 4.1875 -> 31.4 GB; ZeRO-2 2 + 14/64 -> 16.6 GB;
  // ZeRO-3 16/64 -> 1.9 GB.
  const auto bytes = [](int stage) { return model_state_bytes({7.5e9, 64, stage, 2}).total(); };
  CHECK(bytes(0) == Approx(120e9));
  CHECK(bytes(1) == Approx(7.5e9 * (4 + 12.0 / 64)));
  CHECK(bytes(2) == Approx(7.5e9 * (2 + 14.0 / 64)));
  CHECK(bytes(3) == Approx(7.5e9 * 16.0 / 64));
}

TEST_CASE("activation memory matches Korthikanti et al. on all four models", "[memory]") {
  struct Case {
    const char* record;
    const char* model;
    int pp;
    int vpp;  // not published; 3 reproduces both 175B and 530B (see below)
    std::int64_t micro_batch;
    double no_recompute_gib;
    double sp_selective_gib;
  };
  // First pipeline stage, 1F1B: p micro-batches in flight of L/p layers = L layers' worth.
  // The 175B and 530B figures are 31/24 and 139/105 times the 1F1B value, which is exactly the interleaved
  // schedule's 1 + (p-1)/(p v) at v = 3 for both (p = 8 and p = 35): the runs used 3 virtual stages.
  const Case cases[] = {
      {"korthikanti_memory_22B", "gpt-22b", 1, 1, 4, 59.25, 9.5625},
      {"korthikanti_memory_175B", "gpt3-175b", 8, 3, 1, 66.84375, 12.3515625},
      {"korthikanti_memory_530B", "mt-nlg-530b", 35, 3, 1, 114.0234375, 23.076171875},
      {"korthikanti_memory_1T", "gpt-1t", 64, 1, 1, 131.25, 26.5625},
  };
  for (const Case& c : cases) {
    INFO(c.record);
    const TransformerConfig model = preset(c.model);
    const double stage =
        static_cast<double>(model.layers) / c.pp * in_flight_microbatches(c.pp, c.vpp, 1000, false);
    const double none =
        stage * layer_activation_bytes(model, 0, gpt_2022(c.micro_batch, false, Recompute::kNone)) / kGiB;
    const double best =
        stage * layer_activation_bytes(model, 0, gpt_2022(c.micro_batch, true, Recompute::kSelective)) / kGiB;
    CHECK(none == Approx(c.no_recompute_gib).epsilon(0.05));
    CHECK(best == Approx(c.sp_selective_gib).epsilon(0.05));
  }
}

TEST_CASE("recompute and sequence parallelism shares of the baseline (22B record)", "[memory]") {
  // korthikanti_memory_22B: sequence parallel 66.84%, selective 49.42%, both 16.18%, full 7.64% of baseline.
  const TransformerConfig model = preset("gpt-22b");
  const double base = layer_activation_bytes(model, 0, gpt_2022(4, false, Recompute::kNone));
  const auto share = [&](bool sp, Recompute r) {
    return 100.0 * layer_activation_bytes(model, 0, gpt_2022(4, sp, r)) / base;
  };
  CHECK(share(true, Recompute::kNone) == Approx(66.84).margin(1.0));
  CHECK(share(false, Recompute::kSelective) == Approx(49.42).margin(1.0));
  CHECK(share(true, Recompute::kSelective) == Approx(16.18).margin(1.0));
  CHECK(share(false, Recompute::kFull) == Approx(7.64).margin(1.0));
}

TEST_CASE("parameters plus optimizer match Korthikanti et al. with Megatron's 18 bytes per parameter",
          "[memory]") {
  // The records equal 18 bytes x 12 l h^2 / (t p): Megatron's fp32 gradients (2 + 4 + 12), no ZeRO. Our
  // per-GPU parameters also count biases and norms (and, on the first stage, the embedding): within 5%.
  struct Case {
    const char* model;
    int pp;
    double gib;
  };
  for (const Case& c : {Case{"gpt-22b", 1, 45.5625}, Case{"gpt3-175b", 8, 45.5625},
                        Case{"mt-nlg-530b", 35, 31.640625}, Case{"gpt-1t", 64, 32.958984375}}) {
    INFO(c.model);
    const TransformerConfig model = preset(c.model);
    const ParameterCounts counts = count_parameters(model);
    const double layer_params = (counts.attention + counts.mlp + counts.norms) / (8.0 * c.pp);
    const double bytes = model_state_bytes({layer_params, 1, 0, 4}).total();
    CHECK(bytes / kGiB == Approx(c.gib).epsilon(0.05));
  }
}

TEST_CASE("pipeline schedules: in-flight micro-batches", "[memory]") {
  CHECK(in_flight_microbatches(4, 1, 16, false) == 4);  // 1F1B: p
  CHECK(in_flight_microbatches(4, 1, 2, false) == 2);   // fewer micro-batches than stages
  CHECK(in_flight_microbatches(4, 1, 16, true) == 16);  // GPipe: all
  CHECK(in_flight_microbatches(8, 3, 64, false) == Approx(8 * (1 + 7.0 / 24)));
}

TEST_CASE("modern settings: fused attention and no dropout keep less", "[memory]") {
  // Llama-3-8B, s = 8192, b = 1, t = 1: attention 2sbh + 2sb(4096 + 1024 + 1024 + 4096) + 4asb (fp32 stats);
  // MLP 2sbh + 4 x 2sb x 14336; norms 4sbh.
  const TransformerConfig llama = preset("llama3-8b");
  ActivationInputs in;
  in.seq_len = 8192;
  const double s = 8192, h = 4096;
  const double expected =
      2 * s * h + 2 * s * (4096 + 1024 + 1024 + 4096) + 4 * 32 * s + 2 * s * h + 8 * s * 14336 + 4 * s * h;
  CHECK(layer_activation_bytes(llama, 0, in) == Approx(expected));
  in.recompute = Recompute::kFull;
  CHECK(layer_activation_bytes(llama, 0, in) == Approx(2 * s * h));
}

TEST_CASE("FP8 training keeps linear-layer inputs in one byte", "[memory]") {
  // Llama-3-8B as above with Transformer Engine's FP8: the QKV input (sh), the output-projection input
  // (s x 4096), the MLP input (sh) and the MLP-down input (SwiGLU product, s x 14336) drop to 1 byte; q, k,
  // v, the gate and up outputs, their activation, the statistics and the norms' inputs stay as they were.
  const TransformerConfig llama = preset("llama3-8b");
  ActivationInputs in;
  in.seq_len = 8192;
  const double s = 8192, h = 4096;
  const double bf16 = layer_activation_bytes(llama, 0, in);
  in.fp8_linear_inputs = true;
  CHECK(bf16 - layer_activation_bytes(llama, 0, in) == Approx(s * h + s * 4096 + s * h + s * 14336));
  // Full recompute keeps the layer input, a norm's input: still 2 bytes.
  in.recompute = Recompute::kFull;
  CHECK(layer_activation_bytes(llama, 0, in) == Approx(2 * s * h));
}
