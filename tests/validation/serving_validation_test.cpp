// The shipped serving validation cases (scenarios/validation/serving_*.json, built from
// shared/reference/published_inference.json by tools/validation/make_serving_cases.py): prints every case's
// error, guards each group's MAPE against regressions, holds the bar (no case beyond 25%) on the
// dense models and checks that the published ordering of workloads comes out.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/runner/validation.hpp"
#include "validation_files.hpp"

using namespace strata;

namespace {

// Regression guard: the serving MAPE when it was last moved (only down, with a better model).
// 2026-12-07: 30 dense TensorRT-LLM cases (Llama 3.1 8B, 3.3 70B, 3.1 405B on H100 FP8): 5.1%, worst 16.2%,
// 53% optimistic.
constexpr double kMapeGuardPct = 5.5;
constexpr double kWorstCasePct = 25.0;  // issue 20's bar
// 2026-12-07: 22 MoE cases (Qwen3-235B-A22B and Llama 4 Maverick with attention dp and ep 8, Llama 4 Scout
// tp 4): 33.0%, worst 46.4%, every one optimistic. Outside the bar: a known gap, guarded against getting
// worse until a sourced mechanism closes it (scenarios/validation/README.md).
constexpr double kMoeMapeGuardPct = 34.0;
// 2026-12-07: 11 Azure static-batch cases (Mistral 7B, Llama 3 8B, 70B, 405B; 128 + 8 tokens; A100 40GB
// fp16 and H100): 15.5%, worst 26.7%, 55% optimistic; A100 -0.4..+12.4%, H100 -12.9..-26.7% (the FP8 H100
// runs; scenarios/validation/README.md).
constexpr double kAzureMapeGuardPct = 16.0;
constexpr const char* kAzureGroup = "Azure benchmarking guide (TensorRT-LLM, static batches)";
constexpr const char* kDenseGroup = "TensorRT-LLM perf-overview (H100 FP8)";
constexpr const char* kMoeGroup = "TensorRT-LLM perf-overview, MoE (H100 FP8)";

const scenarios::ValidationGroup& group(const scenarios::ValidationSummary& summary,
                                        const std::string& name) {
  for (const auto& g : summary.groups) {
    if (g.name == name) return g;
  }
  FAIL("no validation group " << name);
  throw std::logic_error("unreachable");
}

// Requests per input/output length in trtllm-bench's published runs (the source's benchmark settings): a
// case's output tokens are requests x output length.
const std::map<std::string, double> kRequests = {
    {"128_2048", 3000}, {"2048_2048", 1500}, {"2048_128", 3000}, {"20000_2000", 1000}};
const std::map<std::string, double> kOutputLen = {
    {"128_2048", 2048}, {"2048_2048", 2048}, {"2048_128", 128}, {"20000_2000", 2000}};

}  // namespace

TEST_CASE("published serving runs: every case's error, MAPE and published orderings",
          "[validation][serving]") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::ModelCatalog presets(STRATA_SOURCE_PRESET_DIR);
  const auto summary = scenarios::run_validation(
      shipped_cases(STRATA_SOURCE_VALIDATION_DIR, CaseKind::kServing), profiles, presets);
  std::printf("%s", scenarios::validation_table(summary).c_str());
  REQUIRE(summary.cases.size() == 63);
  check_shipped_residuals(summary, scenarios::Workload::kServing);
  const scenarios::ValidationGroup& dense = group(summary, kDenseGroup);
  REQUIRE(dense.cases == 30);
  CHECK(dense.mape_pct <= kMapeGuardPct);
  CHECK(dense.max_abs_error_pct <= kWorstCasePct);
  CHECK(dense.optimistic_share >= 0.35);
  CHECK(dense.optimistic_share <= 0.65);
  const scenarios::ValidationGroup& moe = group(summary, kMoeGroup);
  REQUIRE(moe.cases == 22);
  CHECK(moe.mape_pct <= kMoeMapeGuardPct);
  const scenarios::ValidationGroup& azure = group(summary, kAzureGroup);
  REQUIRE(azure.cases == 11);
  CHECK(azure.mape_pct <= kAzureMapeGuardPct);
  CHECK(azure.optimistic_share < 1.0);  // it errs both ways: A100 runs come out slower, H100 runs faster

  // For every model the published output tokens/s fall from short prompts with long outputs to long prompts
  // with short outputs: 128/2048 > 2048/2048 > 2048/128 > 20000/2000 (8B: 22714 > 9305 > 3450 > 1351; 70B:
  // 6651 > 3082 > 762 > 437; 405B: 4340 > 2296 > 453 > 345).
  std::map<std::string, double> rate;
  for (const auto& c : summary.cases) {
    for (const auto& [lengths, requests] : kRequests) {
      if (c.name.ends_with("_" + lengths))
        rate[c.name] = requests * kOutputLen.at(lengths) / c.predicted_step_s;
    }
  }
  for (const char* model : {"Llama_3.1_8B_H100_tp1", "Llama_3.3_70B_H100_tp2", "Llama_3.1_405B_H100_tp8"}) {
    INFO(model);
    const auto of = [&](const char* lengths) {
      return rate.at(std::string("serving_") + model + "_FP8_" + lengths);
    };
    CHECK(of("128_2048") > of("2048_2048"));
    CHECK(of("2048_2048") > of("2048_128"));
    CHECK(of("2048_128") > of("20000_2000"));
  }

  // Azure's static batches: Llama 3 70B on 8 GPUs serves more output tokens/s at batch 64 than 32 than 16
  // (A100: 299 < 417 < 492; H100: 625 < 825 < 1078). A case's output tokens are batch x 8.
  for (const char* gpu : {"A100", "H100"}) {
    INFO(gpu);
    std::map<int, double> by_batch;
    for (const auto& c : summary.cases) {
      for (int batch : {16, 32, 64}) {
        if (c.name == std::string("serving_azure_infer_Llama_3_70B_") + gpu + "_bs" + std::to_string(batch))
          by_batch[batch] = batch * 8.0 / c.predicted_step_s;
      }
    }
    REQUIRE(by_batch.size() == 3);
    CHECK(by_batch[16] < by_batch[32]);
    CHECK(by_batch[32] < by_batch[64]);
  }
}
