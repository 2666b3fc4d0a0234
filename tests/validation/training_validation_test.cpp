// The shipped training validation cases (scenarios/validation, built from shared/reference by
// tools/validation/make_cases.py): prints every case's error, guards the suite's MAPE against regressions,
// and checks that strategies the publications compare come out in the published order.
#define CATCH_CONFIG_MAIN
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/runner/validation.hpp"
#include "validation_files.hpp"

using namespace strata;

namespace {

// Regression guards, per validation group (one source and its framework) and over all cases: each group's
// MAPE when its guard was last moved. They only move down, with a better model, never to admit a
// regression. Goals (issue 18): 10% overall, 15% per group, no case over 25%, 35-65% optimistic.
// 2026-12-06: 133 cases, 17.2% (the Megatron-Bridge, llm-foundry and SC21 ZeRO-3 groups added, 17.5%; then
// DeepSpeed 0.3's per-tensor, unprefetched ZeRO-3 took SC21 ZeRO-3 from 60.8% to 47.6%). The 42 older cases
// 8.3% (10.7% over 34 on 2026-11-22).
// 2026-12-07: NCCL kernels hold their channels' SMs (models/executor/sm_sharing.hpp): 16.3%; llm-foundry
// 23.0 -> 21.3, NeMo 11.5 -> 11.0, Megatron-Core README 10.1 -> 9.9, Megatron-Bridge 14.3 -> 14.4.
// 2026-12-07: llm-foundry's benchmarks ran the Triton FlashAttention kernel (training.attention "triton",
// models/cost/compute_cost.hpp): llm-foundry 21.3 -> 7.4, all cases 16.3 -> 10.0.
// 2026-12-07: DeepSpeed 0.3's host loop over the ranks (framework zero3_host_time_per_rank), its re-gathers
// after the recompute forward (zero3_max_reuse_distance) and device synchronisations that wait for the
// gradient reductions too: SC21 ZeRO-3 47.0 -> 12.1, all cases 10.0 -> 9.2.
constexpr double kMapeGuardPct = 9.5;
const std::map<std::string, double> kGroupMapeGuardPct = {
    {"Korthikanti 2022 Megatron-LM (A100)", 4.0},
    {"Megatron-Bridge Megatron-Core (H100)", 14.5},
    {"Megatron-Core README (H100)", 10.0},
    {"Megatron-LM 2020 (A100)", 9.5},
    {"NeMo 24.07 Megatron-Core (H100)", 11.5},
    {"SC21 DeepSpeed ZeRO-3 (A100)", 12.5},
    {"SC21 Megatron-LM (A100)", 7.5},
    {"llm-foundry PyTorch FSDP (A100)", 7.5},
};

// Every k-th case when STRATA_VALIDATION_SAMPLE is k > 1. The sanitizer test preset (CMakePresets.json) sets
// it to 4: under ASan and UBSan the cases' code paths are what is checked, at a quarter of the 610 s that
// every case took there; the numbers, guards and orderings need every case and are the release suite's.
int sample_stride() {
  const char* value = std::getenv("STRATA_VALIDATION_SAMPLE");
  return value == nullptr ? 1 : std::max(1, std::atoi(value));
}

}  // namespace

TEST_CASE("published training runs: every case's error, MAPE and published orderings",
          "[validation][training]") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::ModelCatalog presets(STRATA_SOURCE_PRESET_DIR);
  std::vector<std::filesystem::path> cases = shipped_cases(STRATA_SOURCE_VALIDATION_DIR, CaseKind::kTraining);
  if (const int stride = sample_stride(); stride > 1) {
    std::vector<std::filesystem::path> sampled;
    for (std::size_t i = 0; i < cases.size(); i += static_cast<std::size_t>(stride))
      sampled.push_back(cases[i]);
    const auto summary = scenarios::run_validation(sampled, profiles, presets);
    std::printf("every %d-th case (STRATA_VALIDATION_SAMPLE)\n%s", stride,
                scenarios::validation_table(summary).c_str());
    CHECK(summary.cases.size() == sampled.size());
    return;
  }
  const auto summary = scenarios::run_validation(cases, profiles, presets);
  std::printf("%s", scenarios::validation_table(summary).c_str());
  REQUIRE(summary.cases.size() >= 130);
  check_shipped_residuals(summary, scenarios::Workload::kTraining);
  CHECK(summary.mape_pct <= kMapeGuardPct);
  // Every group has a guard, and every guard a group: a new source comes with its own.
  REQUIRE(summary.groups.size() == kGroupMapeGuardPct.size());
  for (const auto& group : summary.groups) {
    INFO(group.name);
    REQUIRE(kGroupMapeGuardPct.count(group.name) == 1);
    CHECK(group.mape_pct <= kGroupMapeGuardPct.at(group.name));
  }

  // Korthikanti et al. 2022, Table 5: selective recompute with sequence parallelism beats full recompute for
  // every model size, by 29-32%.
  std::map<std::string, double> step;
  for (const auto& c : summary.cases) step[c.name] = c.predicted_step_s;
  for (const char* size : {"22B", "175B", "530B", "1T"}) {
    INFO(size);
    const double full = step.at(std::string("korthikanti_") + size + "_full_recompute");
    const double selective = step.at(std::string("korthikanti_") + size + "_selective_sp");
    CHECK(selective < full);
    CHECK(full / selective > 1.15);
  }
  // Megatron-LM README (2020): 128-way data parallelism adds to every model's step (1B 1.076 s -> 1.153 s,
  // 2B 1.026 -> 1.101, 4B 1.162 -> 1.242, 8B 1.343 -> 1.380).
  for (const char* size : {"1B", "2B", "4B", "8B"}) {
    INFO(size);
    CHECK(step.at(std::string("megatron_readme_2020_dgxa100_dp_") + size) >
          step.at(std::string("megatron_readme_2020_dgxa100_") + size));
  }
  // Its tensor-parallel weak scaling inside one DGX A100 (1B on 1 GPU, 2B on 2, 4B on 4, 8B on 8, batch 16):
  // the 2B step is the shortest, then 1B, 4B, 8B (1.026 < 1.076 < 1.162 < 1.343 s).
  CHECK(step.at("megatron_readme_2020_dgxa100_2B") < step.at("megatron_readme_2020_dgxa100_1B"));
  CHECK(step.at("megatron_readme_2020_dgxa100_1B") < step.at("megatron_readme_2020_dgxa100_4B"));
  CHECK(step.at("megatron_readme_2020_dgxa100_4B") < step.at("megatron_readme_2020_dgxa100_8B"));
  // NeMo 24.07: GPT-3 175B on 512 GPUs (micro-batch 2) reaches more tokens/s per GPU than on 128 (micro-batch
  // 1): 825 against 716. Tokens per GPU per step: 2048 x 256 / 128 and 2048 x 2048 / 512.
  const double small = 2048.0 * 256 / 128 / step.at("nemo2407_pretrain_GPT3-175B__128gpu");
  const double large = 2048.0 * 2048 / 512 / step.at("nemo2407_pretrain_GPT3-175B__512gpu");
  CHECK(large > small);
}
