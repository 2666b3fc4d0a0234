#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include "models/cost/compute_cost.hpp"

#include "calibration/fit/gpu_fit.hpp"
#include "calibration/fit/profile_writer.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/hardware/profile_reader.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace fs = std::filesystem;
using namespace strata;

namespace {
nlohmann::json fixture() {
  return sim::read_json_file(std::string(STRATA_CALIBRATION_FIXTURES) + "/h100_measurements.json");
}
}  // namespace

TEST_CASE("every shipped GPU profile survives a write/read round trip", "[fit]") {
  const models::ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  const fs::path dir = fs::temp_directory_path() / ("strata-writer-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const std::string& name : catalog.gpu_names()) {
    INFO(name);
    const models::GpuProfile original = catalog.gpu(name);
    std::ofstream(dir / (name + ".json")) << calibration::gpu_profile_json(original).dump(2);
    const models::GpuProfile copy = models::read_gpu_profile(dir / (name + ".json"));
    CHECK(copy.memory_bandwidth.value == original.memory_bandwidth.value);
    CHECK(copy.memory_capacity.value == original.memory_capacity.value);
    CHECK(copy.kernel_launch_overhead.value == original.kernel_launch_overhead.value);
    CHECK(copy.peak_flops.size() == original.peak_flops.size());
    for (const auto& [dtype, peak] : original.peak_flops)
      CHECK(copy.peak_flops.at(dtype).value == peak.value);
    CHECK(copy.gemm_max_efficiency.at(models::Dtype::kBf16).value ==
          original.gemm_max_efficiency.at(models::Dtype::kBf16).value);
    CHECK(copy.memory_efficiency.source == original.memory_efficiency.source);
  }
  fs::remove_all(dir);
}

TEST_CASE("probe measurements become efficiencies against the datasheet peaks", "[fit]") {
  const models::ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  const models::GpuProfile base = catalog.gpu("h100-sxm5-80gb");
  const models::GpuProfile fitted = calibration::fit_gpu_profile(base, fixture(), "m.json", "my-h100");
  CHECK(fitted.name == "my-h100");
  // fp8: one shape, 8192^3 at 1249.4 TFLOP/s; tf32 was skipped, so the base value stays. The efficiency is
  // the one with which the GEMM model, tile overhead included, reproduces the measured time of the shape; it
  // lies above the plain ratio to the peak, which the overhead lowers. bf16: the best of two shapes (8192^3
  // at 695.9, 4096^3 at 651.4): one is reproduced exactly, the other predicted no slower than measured.
  const models::GemmShape cube{8192, 8192, 8192};
  const models::GemmShape small{4096, 4096, 4096};
  CHECK(models::gemm_time(fitted, cube, models::Dtype::kFp8).compute.seconds() ==
        Approx(cube.flops() / 1249.4e12).epsilon(1e-6));
  const double big_ratio =
      models::gemm_time(fitted, cube, models::Dtype::kBf16).compute.seconds() / (cube.flops() / 695.9e12);
  const double small_ratio =
      models::gemm_time(fitted, small, models::Dtype::kBf16).compute.seconds() / (small.flops() / 651.4e12);
  CHECK(std::max(big_ratio, small_ratio) == Approx(1.0).epsilon(1e-6));
  CHECK(std::min(big_ratio, small_ratio) <= 1.0);
  CHECK(fitted.gemm_efficiency(models::Dtype::kBf16) > 695.9 / 989);
  CHECK(fitted.gemm_max_efficiency.at(models::Dtype::kBf16)
            .source.rfind("probe: NVIDIA H100 80GB HBM3 x1, driver 560.35.03", 0) == 0);
  // Memory: best copy/triad at >= 256 MiB is the 2929.7 GB/s triad (the faster "read" kernel does not count).
  CHECK(fitted.memory_efficiency.value == Approx(2929.7 / 3350));
  CHECK(fitted.kernel_launch_overhead.value == sim::SimTime::from_ps(2'450'000));
  // Untouched: datasheet values and their sources.
  CHECK(fitted.peak_flops.at(models::Dtype::kBf16).source == base.peak_flops.at(models::Dtype::kBf16).source);
}

TEST_CASE("impossible measurements point at the wrong base profile", "[fit]") {
  const models::ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  // H100 measurements against the A100 profile: 695.9 TFLOP/s bf16 is far above the A100's 312 peak.
  try {
    calibration::fit_gpu_profile(catalog.gpu("a100-sxm4-80gb"), fixture(), "m.json", "x");
    FAIL("no error");
  } catch (const sim::InputError& error) {
    CHECK(std::string(error.what()).find("wrong base profile?") != std::string::npos);
  }
  nlohmann::json bad = fixture();
  bad["strata_measurements"] = 2;
  CHECK_THROWS_AS(calibration::fit_gpu_profile(catalog.gpu("h100-sxm5-80gb"), bad, "m.json", "x"),
                  sim::InputError);
}

TEST_CASE("cuDNN attention rows give the attention efficiency: median over cases with both passes", "[fit]") {
  const models::ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  const models::GpuProfile base = catalog.gpu("h100-sxm5-80gb");
  const nlohmann::json measurements = fixture();
  // Forward plus backward rate of each case with both passes; seq 16384's backward is unsupported, so that
  // case does not count.
  std::map<std::int64_t, std::pair<double, double>> cases;  // seq_len -> (flops, seconds)
  for (const auto& row : measurements["attention"]["rows"]) {
    if (row.contains("status")) continue;
    auto& sums = cases[row["seq_len"].get<std::int64_t>()];
    sums.first += row["flops"].get<double>();
    sums.second += row["median_us"].get<double>() * 1e-6;
  }
  std::vector<double> efficiencies;
  for (const auto& [seq, sums] : cases) {
    if (seq != 16384) efficiencies.push_back(sums.first / sums.second / 989e12);
  }
  REQUIRE(efficiencies.size() == 3);
  std::sort(efficiencies.begin(), efficiencies.end());
  const models::GpuProfile fitted = calibration::fit_gpu_profile(base, measurements, "m.json", "my-h100");
  CHECK(fitted.attention_efficiency.value == Approx(efficiencies[1]));
  CHECK(fitted.attention_efficiency.value != Approx(base.attention_efficiency.value));
  CHECK(fitted.attention_efficiency.source.find("median of 3 cases") != std::string::npos);
  // The Triton kernel's rate keeps its published ratio to the fused kernel's.
  REQUIRE(base.attention_triton_efficiency);
  REQUIRE(fitted.attention_triton_efficiency);
  CHECK(fitted.attention_efficiency.value / fitted.attention_triton_efficiency->value ==
        Approx(base.attention_efficiency.value / base.attention_triton_efficiency->value));
  CHECK(fitted.attention_triton_efficiency->source.find("the base profile's ratio") != std::string::npos);
  // The model then reproduces a measured case's forward time within the spread of the three cases.
  const double forward_flops = 4.0 * 2 * 16 * 4096.0 * 4096.0 * 128;
  const double predicted =
      models::fused_attention_time(fitted, sim::Flops::from_count(forward_flops), sim::Bytes::from_count(0))
          .compute.seconds();
  CHECK(predicted == Approx(forward_flops / (efficiencies[1] * 989e12)));

  SECTION("a missing probe keeps the base profile's value and source") {
    nlohmann::json missing = measurements;
    missing["attention"] = {{"status", "missing"}, {"reason", "the probe was built without cuDNN"}};
    const models::GpuProfile kept = calibration::fit_gpu_profile(base, missing, "m.json", "x");
    CHECK(kept.attention_efficiency.value == base.attention_efficiency.value);
    CHECK(kept.attention_efficiency.source == base.attention_efficiency.source);
  }
  SECTION("a row without its timing names the JSON path") {
    nlohmann::json broken = measurements;
    broken["attention"]["rows"][2].erase("median_us");
    try {
      calibration::fit_gpu_profile(base, broken, "m.json", "x");
      FAIL("no error");
    } catch (const sim::InputError& error) {
      INFO(error.what());
      CHECK(std::string(error.what()).find("/attention/rows/2: missing required key \"median_us\"") !=
            std::string::npos);
    }
  }
  SECTION("a rate above the bf16 peak points at the wrong base profile") {
    CHECK_THROWS_WITH(calibration::fit_gpu_profile(
                          catalog.gpu("a100-sxm4-80gb"),
                          [&] {
                            nlohmann::json only_attention = measurements;
                            only_attention.erase("gemm");
                            only_attention.erase("memory");
                            return only_attention;
                          }(),
                          "m.json", "x"),
                      Catch::Contains("wrong base profile?"));
  }
}
