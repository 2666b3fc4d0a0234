// Error bands (scenarios/runner/error_band.hpp): families, quantiles, the widening of a thin family's basis,
// the residuals file's round trip and its errors, and the bands `strata run` attaches.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "../support/input_error.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/runner/error_band.hpp"
#include "scenarios/runner/result_bands.hpp"
#include "scenarios/scenario_file.hpp"
#include "small_llama.hpp"

using namespace strata;
using scenarios::ParallelismKind;
using scenarios::PredictionFamily;
using scenarios::ValidationResidual;
using scenarios::ValidationResiduals;
using scenarios::Workload;
namespace fs = std::filesystem;

namespace {

PredictionFamily family(const std::string& framework, models::GpuArchitecture architecture,
                        ParallelismKind parallelism, Workload workload = Workload::kTraining) {
  return {workload, framework, architecture, parallelism};
}

const PredictionFamily kHopperPipeline =
    family("megatron-core", models::GpuArchitecture::kHopper, ParallelismKind::kPipeline);
const PredictionFamily kHopperTensor =
    family("megatron-core", models::GpuArchitecture::kHopper, ParallelismKind::kTensor);
const PredictionFamily kAmpereData =
    family("megatron-core", models::GpuArchitecture::kAmpere, ParallelismKind::kData);
const PredictionFamily kFsdp =
    family("pytorch-fsdp", models::GpuArchitecture::kAmpere, ParallelismKind::kData);

ValidationResiduals sample() {
  return ValidationResiduals({{"p1", kHopperPipeline, -0.10},
                              {"p2", kHopperPipeline, 0.00},
                              {"p3", kHopperPipeline, 0.10},
                              {"p4", kHopperPipeline, 0.30},
                              {"t1", kHopperTensor, 0.50},
                              {"a1", kAmpereData, -0.20},
                              {"s1",
                               family("tensorrt-llm", models::GpuArchitecture::kHopper,
                                      ParallelismKind::kTensor, Workload::kServing),
                               0.9}});
}

fs::path write(const std::string& name, const nlohmann::json& document) {
  const fs::path path = fs::temp_directory_path() / ("strata-" + name + "-" + std::to_string(::getpid()));
  std::ofstream(path) << document.dump();
  return path;
}

}  // namespace

TEST_CASE("quantile interpolates between order statistics as numpy does", "[error_band]") {
  // Sorted: -0.1, 0, 0.1, 0.3. q = 0.1: position 0.3 -> -0.1 + 0.3 * 0.1 = -0.07; q = 0.9: position 2.7 ->
  // 0.1 + 0.7 * 0.2 = 0.24.
  const std::vector<double> values{0.3, -0.1, 0.1, 0.0};
  CHECK(scenarios::quantile(values, 0.1) == Approx(-0.07));
  CHECK(scenarios::quantile(values, 0.9) == Approx(0.24));
  CHECK(scenarios::quantile(values, 0.0) == Approx(-0.1));
  CHECK(scenarios::quantile(values, 1.0) == Approx(0.3));
  CHECK(scenarios::quantile({0.25}, 0.9) == Approx(0.25));
}

TEST_CASE("a family with enough cases gives its own band", "[error_band]") {
  const auto band = sample().band(kHopperPipeline);
  REQUIRE(band);
  CHECK(band->cases == 4);
  CHECK(band->low == Approx(-0.07));
  CHECK(band->high == Approx(0.24));
  CHECK(band->basis == "megatron-core hopper pipeline training");
  CHECK(scenarios::band_text(*band, scenarios::BandMetric::kTime) == "-7%..+24%");
  // A rate is the inverse of a time: 1 / 1.24 - 1 = -19%, 1 / 0.93 - 1 = +8%.
  CHECK(scenarios::band_text(*band, scenarios::BandMetric::kRate) == "-19%..+8%");
  const nlohmann::json json =
      scenarios::error_band_json(*band, "step_time_s", 10.0, scenarios::BandMetric::kTime);
  CHECK(json.at("step_time_s").at("low").get<double>() == Approx(9.3));
  CHECK(json.at("step_time_s").at("high").get<double>() == Approx(12.4));
  CHECK(json.at("cases") == 4);
  const nlohmann::json rate =
      scenarios::error_band_json(*band, "output_tokens_per_s", 1240.0, scenarios::BandMetric::kRate);
  CHECK(rate.at("output_tokens_per_s").at("low").get<double>() == Approx(1000.0));
  CHECK(rate.at("output_tokens_per_s").at("high").get<double>() == Approx(1240.0 / 0.93));
}

TEST_CASE("a thin family widens its basis one key at a time, never across workloads", "[error_band]") {
  const ValidationResiduals residuals = sample();
  // One tensor case: the Hopper Megatron-Core cases (5) without the parallelism kind.
  const auto tensor = residuals.band(kHopperTensor);
  REQUIRE(tensor);
  CHECK(tensor->cases == 5);
  CHECK(tensor->basis == "megatron-core hopper training");
  // One Ampere case: every Megatron-Core case (6).
  const auto ampere = residuals.band(kAmpereData);
  REQUIRE(ampere);
  CHECK(ampere->cases == 6);
  CHECK(ampere->basis == "megatron-core training");
  // A framework with no case: every training case (6), the serving one left out.
  const auto fsdp = residuals.band(kFsdp);
  REQUIRE(fsdp);
  CHECK(fsdp->cases == 6);
  CHECK(fsdp->basis == "training");
  // One serving case in all: no band.
  CHECK_FALSE(residuals.band(
      family("tensorrt-llm", models::GpuArchitecture::kHopper, ParallelismKind::kMoe, Workload::kServing)));
  CHECK(scenarios::band_note({nullptr}).empty());
  const std::string note = scenarios::band_note({&*tensor, &*tensor, &*fsdp});
  CHECK(note.find("megatron-core hopper training (5 cases) or training (6 cases)") != std::string::npos);
}

TEST_CASE("the residuals file round-trips and refuses what it cannot mean", "[error_band]") {
  const nlohmann::json document = sample().to_json();
  const fs::path path = write("residuals.json", document);
  const ValidationResiduals read = ValidationResiduals::read(path);
  REQUIRE(read.residuals().size() == 7);
  CHECK(read.residuals()[0].name == "p1");
  CHECK(read.residuals()[0].family == kHopperPipeline);
  CHECK(read.residuals()[6].family.workload == Workload::kServing);
  CHECK(read.band(kHopperPipeline)->high == Approx(0.24));

  const auto error_with = [&](const std::string& pointer, const nlohmann::json& value) {
    nlohmann::json edited = document;
    edited[nlohmann::json::json_pointer(pointer)] = value;
    return error_of([&] { ValidationResiduals::read(write("bad-residuals.json", edited)); });
  };
  CHECK(error_with("/cases/1/residual", -1.0).find("/cases/1/residual") != std::string::npos);
  CHECK(error_with("/cases/1/residual", "0.1").find("/cases/1/residual") != std::string::npos);
  CHECK(error_with("/cases/0/architecture", "kepler").find("volta, ampere, hopper or blackwell") !=
        std::string::npos);
  CHECK(error_with("/cases/0/parallelism", "3d").find("/cases/0/parallelism") != std::string::npos);
  CHECK(error_with("/cases/0/workload", "eval").find("training or serving") != std::string::npos);
  CHECK(error_with("/cases/2/name", "p1").find("appears twice") != std::string::npos);
  CHECK(error_with("/cases/0/colour", "red").find("/cases/0/colour") != std::string::npos);
  CHECK(error_with("/strata_residuals", 2).find("unsupported residuals format version 2") !=
        std::string::npos);
  CHECK(error_with("/cases", nlohmann::json::object()).find("/cases") != std::string::npos);
  const fs::path missing = fs::temp_directory_path() / "strata-no-such-residuals.json";
  CHECK(error_of([&] { ValidationResiduals::read(missing); }).find(missing.string()) != std::string::npos);
}

TEST_CASE("families follow the model, the GPU's architecture and the strategy", "[error_band]") {
  const nlohmann::json document = {{"name", "families"},
                                   {"cluster", {{"system", "dgx-a100"}, {"nodes", 1}}},
                                   {"model", small_llama()},
                                   {"training", {{"seq_len", 2048}, {"global_batch", 16}}},
                                   {"strategies",
                                    {{{"name", "dp"}, {"dp", 8}, {"zero", 3}, {"framework", "pytorch-fsdp"}},
                                     {{"name", "tp"}, {"tp", 2}, {"dp", 4}},
                                     {{"name", "cp"}, {"cp", 2}, {"dp", 4}},
                                     {{"name", "pp"}, {"tp", 2}, {"pp", 2}, {"dp", 2}}}}};
  const scenarios::Scenario s = scenarios::read_scenario_document(
      document, "families.json", models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
      models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
  const auto of = [&](std::size_t i) {
    return scenarios::training_family(s.cluster, s.model.config, s.strategies[i].strategy);
  };
  CHECK(of(0) == family("pytorch-fsdp", models::GpuArchitecture::kAmpere, ParallelismKind::kData));
  CHECK(of(1) == family("megatron-core", models::GpuArchitecture::kAmpere, ParallelismKind::kTensor));
  CHECK(of(2).parallelism == ParallelismKind::kTensor);
  CHECK(of(3).parallelism == ParallelismKind::kPipeline);
  models::TransformerConfig moe = s.model.config;
  moe.moe.experts = 8;
  CHECK(scenarios::training_family(s.cluster, moe, s.strategies[3].strategy).parallelism ==
        ParallelismKind::kMoe);
  models::Deployment deployment;
  deployment.tp = 2;
  const PredictionFamily serving = scenarios::serving_family(s.cluster, s.model.config, deployment);
  CHECK(serving == family("tensorrt-llm", models::GpuArchitecture::kAmpere, ParallelismKind::kTensor,
                          Workload::kServing));

  // attach_error_bands gives every result its family's band.
  std::vector<scenarios::StrategyResult> results(2);
  results[0].strategy = s.strategies[0].strategy;
  results[1].strategy = s.strategies[1].strategy;
  const ValidationResiduals residuals({{"f1", of(0), 0.1}, {"f2", of(0), 0.2}, {"f3", of(0), 0.3}});
  scenarios::attach_error_bands(residuals, s, results);
  REQUIRE(results[0].error_band);
  CHECK(results[0].error_band->basis == "pytorch-fsdp ampere data training");
  REQUIRE(results[1].error_band);
  CHECK(results[1].error_band->basis == "training");
}
