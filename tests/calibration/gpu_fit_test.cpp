#include <catch2/catch.hpp>

#include "models/cost/compute_cost.hpp"
#include <filesystem>
#include <fstream>
#include <unistd.h>

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
    for (const auto& [dtype, peak] : original.peak_flops) CHECK(copy.peak_flops.at(dtype).value == peak.value);
    CHECK(copy.gemm_max_efficiency.at(models::Dtype::kBf16).value == original.gemm_max_efficiency.at(models::Dtype::kBf16).value);
    CHECK(copy.memory_efficiency.source == original.memory_efficiency.source);
  }
  fs::remove_all(dir);
}

TEST_CASE("probe measurements become efficiencies against the datasheet peaks", "[fit]") {
  const models::ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  const models::GpuProfile base = catalog.gpu("h100-sxm5-80gb");
  const models::GpuProfile fitted = calibration::fit_gpu_profile(base, fixture(), "m.json", "my-h100");
  CHECK(fitted.name == "my-h100");
  // fp8: one shape, 8192^3 at 1249.4 TFLOP/s; tf32 was skipped, so the base value stays. The efficiency is the
  // one with which the GEMM model, tile overhead included, reproduces the measured time of the shape; it lies
  // above the plain ratio to the peak, which the overhead lowers. bf16: the best of two shapes (8192^3 at 695.9,
  // 4096^3 at 651.4): one is reproduced exactly, the other predicted no slower than measured.
  const models::GemmShape cube{8192, 8192, 8192};
  const models::GemmShape small{4096, 4096, 4096};
  CHECK(models::gemm_time(fitted, cube, models::Dtype::kFp8).compute.seconds() == Approx(cube.flops() / 1249.4e12).epsilon(1e-6));
  const double big_ratio = models::gemm_time(fitted, cube, models::Dtype::kBf16).compute.seconds() / (cube.flops() / 695.9e12);
  const double small_ratio = models::gemm_time(fitted, small, models::Dtype::kBf16).compute.seconds() / (small.flops() / 651.4e12);
  CHECK(std::max(big_ratio, small_ratio) == Approx(1.0).epsilon(1e-6));
  CHECK(std::min(big_ratio, small_ratio) <= 1.0);
  CHECK(fitted.gemm_efficiency(models::Dtype::kBf16) > 695.9 / 989);
  CHECK(fitted.gemm_max_efficiency.at(models::Dtype::kBf16).source.rfind("probe: NVIDIA H100 80GB HBM3 x1, driver 560.35.03", 0) == 0);
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
  CHECK_THROWS_AS(calibration::fit_gpu_profile(catalog.gpu("h100-sxm5-80gb"), bad, "m.json", "x"), sim::InputError);
}
