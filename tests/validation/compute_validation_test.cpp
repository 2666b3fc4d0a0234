// Compute-kernel predictions against published measurements (shared/reference/hardware_measurements.json).
//
// Independence: the profiles take their GEMM efficiency from the MAMF best-shape records and their memory
// efficiency from STREAM triad. The GEMM cases below come from a different source (Azure's cuBLASLt shape
// sweeps), so they test the shape model (tile and wave quantization, memory roofline, launch overhead). The
// STREAM cases test copy/scale/add against a model fitted on triad of the same run, a weaker check; one
// efficiency for all four kernels leaves about 5% between them (read/write mix), hence the 10% bar.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/cost/compute_cost.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "reference_data.hpp"

using namespace strata::models;

namespace {

struct Case {
  std::string label;
  double measured;
  double predicted;
  double error_percent() const { return (predicted - measured) / measured * 100.0; }
};

double mean_absolute(const std::vector<Case>& cases) {
  double sum = 0;
  for (const Case& c : cases) sum += std::fabs(c.error_percent());
  return sum / static_cast<double>(cases.size());
}

void print(const char* title, const std::vector<Case>& cases, const char* unit) {
  std::printf("\n%s\n  %-44s %12s %12s %9s\n", title, "case", "measured", "predicted", "error");
  for (const Case& c : cases) {
    std::printf("  %-44s %9.2f %s %9.2f %s %+8.1f%%\n", c.label.c_str(), c.measured, unit, c.predicted, unit,
                c.error_percent());
  }
  std::printf("  mean absolute error %.1f%% over %zu cases\n", mean_absolute(cases), cases.size());
}

}  // namespace

TEST_CASE("GEMM shape sweeps: predicted TFLOP/s against cuBLASLt measurements", "[validation][gemm]") {
  const ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  const nlohmann::json records = reference_records();
  const std::vector<std::tuple<std::string, std::string, Dtype>> sweeps{
      {"gemm_cublaslt_Azure_ND_A100_v4_FP16", "a100-sxm4-80gb", Dtype::kFp16},
      {"gemm_cublaslt_Azure_ND_H100_v5_FP8", "h100-sxm5-80gb", Dtype::kFp8},
      {"gemm_cublaslt_Azure_ND_H200_v5_FP8", "h200-sxm5-141gb", Dtype::kFp8},
      {"gemm_cublaslt_Azure_ND_GB200_v6_FP8", "gb200", Dtype::kFp8},
  };
  std::vector<Case> cases;
  std::vector<Case> large_square;
  for (const auto& [record_id, gpu_name, dtype] : sweeps) {
    const GpuProfile gpu = catalog.gpu(gpu_name);
    const auto& measured = records.at(record_id)["measured"];
    for (std::size_t i = 0; i < measured["shapes_mnk"].size(); ++i) {
      const auto& mnk = measured["shapes_mnk"][i];
      const GemmShape shape{mnk[0].get<std::int64_t>(), mnk[1].get<std::int64_t>(),
                            mnk[2].get<std::int64_t>()};
      const double predicted = shape.flops() / gemm_time(gpu, shape, dtype).total.seconds() / 1e12;
      const Case c{gpu_name + " " + std::string(dtype_name(dtype)) + " " + std::to_string(shape.m) + "x" +
                       std::to_string(shape.n) + "x" + std::to_string(shape.k),
                   measured["tflops"][i].get<double>(), predicted};
      cases.push_back(c);
      if (shape.m == shape.n && shape.n == shape.k && shape.m >= 2048) large_square.push_back(c);
    }
  }
  print("GEMM (TFLOP/s), profiles from MAMF records, cases from Azure cuBLASLt sweeps:", cases, "TF");
  CHECK(cases.size() == 35);
  CHECK(mean_absolute(cases) <= 15.0);
  for (const Case& c : large_square) {
    INFO(c.label << ": " << c.error_percent() << "%");
    CHECK(std::fabs(c.error_percent()) <= 30.0);
  }
  for (const Case& c : cases) {
    INFO(c.label << ": " << c.error_percent() << "%");
    CHECK(std::fabs(c.error_percent()) <= 50.0);
  }
}

TEST_CASE("STREAM kernels: predicted bandwidth against measured", "[validation][memory]") {
  const ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  const nlohmann::json records = reference_records();
  const std::map<std::string, std::string> runs{{"hbm_stream_Azure_ND_A100_v4", "a100-sxm4-80gb"},
                                                {"hbm_stream_Azure_ND_H100_v5", "h100-sxm5-80gb"},
                                                {"hbm_stream_Azure_ND_H200_v5", "h200-sxm5-141gb"}};
  // STREAM kernels over 2 GiB arrays: copy and scale ("mul") move 2 arrays, add and triad 3.
  const std::int64_t array = std::int64_t{2} << 30;
  std::vector<Case> cases;
  for (const auto& [record_id, gpu_name] : runs) {
    const GpuProfile gpu = catalog.gpu(gpu_name);
    const auto& measured = records.at(record_id)["measured"];
    for (const auto& [kernel, arrays] :
         std::map<std::string, int>{{"copy", 2}, {"mul", 2}, {"add", 3}, {"triad", 3}}) {
      const auto bytes = strata::sim::Bytes::from_count(array * arrays);
      const double predicted = bytes.as_double() / memory_bound_time(gpu, bytes).total.seconds() / 1e12;
      cases.push_back({gpu_name + " " + kernel, measured[kernel + "_TBps"].get<double>(), predicted});
    }
  }
  print("STREAM (TB/s), memory efficiency from triad of the same run:", cases, "TB/s");
  for (const Case& c : cases) {
    INFO(c.label << ": " << c.error_percent() << "%");
    CHECK(std::fabs(c.error_percent()) <= 10.0);
  }
}
