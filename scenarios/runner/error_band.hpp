// Error bands (issue 18, "Uncertainty"): how far to trust a prediction, from how far the predictions of its
// family erred on published runs (scenarios/README.md, "Error bands").
//
// A validation case's residual is published / predicted - 1 of its step time (a serving case: its run time,
// the inverse of output tokens/s): the factor that turns the prediction into what was measured. Cases are
// grouped into families (workload, framework, GPU architecture, parallelism kind); `strata validate
// --residuals-out FILE` writes every case's family and residual, and the shipped file
// (calibration/residuals/validation.json) is checked against the validation suite by its tests.
//
// A prediction's band is the 10th and the 90th percentile (linear interpolation between order statistics,
// numpy's default) of its family's residuals: the middle 80% of how its family erred. When the family has
// fewer than kMinBandCases cases, the band widens its basis one key at a time: without the parallelism kind,
// then without the GPU architecture, then every case of the workload (training or serving).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/serving/deployment.hpp"
#include "models/strategy/parallel_strategy.hpp"
#include "models/workload/transformer_config.hpp"
#include "scenarios/cluster_fields.hpp"
#include "sim/name_table.hpp"

namespace strata::scenarios {

enum class Workload { kTraining, kServing };
inline constexpr sim::NameTable<Workload, 2> kWorkloadNames{{{
    {Workload::kTraining, "training"},
    {Workload::kServing, "serving"},
}}};

// The parallelism that shapes a run's communication, the first that applies: experts (an MoE model), a
// pipeline (pp > 1), tensor or context parallelism within a stage, else data parallelism alone (ZeRO and
// FSDP included).
enum class ParallelismKind { kMoe, kPipeline, kTensor, kData };
inline constexpr sim::NameTable<ParallelismKind, 4> kParallelismKindNames{{{
    {ParallelismKind::kMoe, "moe"},
    {ParallelismKind::kPipeline, "pipeline"},
    {ParallelismKind::kTensor, "tensor"},
    {ParallelismKind::kData, "data"},
}}};

struct PredictionFamily {
  Workload workload = Workload::kTraining;
  std::string framework;  // the training framework profile's name; serving: models::kServingFramework
  models::GpuArchitecture architecture = models::GpuArchitecture::kHopper;
  ParallelismKind parallelism = ParallelismKind::kData;
  bool operator==(const PredictionFamily&) const = default;
};

PredictionFamily training_family(const ClusterSpec& cluster, const models::TransformerConfig& model,
                                 const models::ParallelStrategy& strategy);
PredictionFamily serving_family(const ClusterSpec& cluster, const models::TransformerConfig& model,
                                const models::Deployment& deployment);

// One validation case's residual.
struct ValidationResidual {
  std::string name;  // the validation case
  PredictionFamily family;
  double residual = 0;  // published / predicted - 1, > -1
};

// The band around a prediction: what was measured is expected between prediction x (1 + low) and
// prediction x (1 + high).
struct ErrorBand {
  double low = 0;
  double high = 0;
  int cases = 0;      // residuals it came from
  std::string basis;  // which cases, e.g. "megatron-core hopper pipeline training"
};

inline constexpr int kMinBandCases = 3;  // fewer: two values give no 10th and 90th percentile worth the name

class ValidationResiduals {
 public:
  explicit ValidationResiduals(std::vector<ValidationResidual> residuals);
  // Reads a residuals file (the format `to_json` writes); InputError naming the file and JSON path for
  // anything else, e.g. an unknown word or a residual that is not above -1.
  static ValidationResiduals read(const std::filesystem::path& path);
  nlohmann::json to_json() const;
  const std::vector<ValidationResidual>& residuals() const { return residuals_; }
  // The family's band, widened as the header says; none when even the workload has too few cases.
  std::optional<ErrorBand> band(const PredictionFamily& family) const;
  // Every family present, in first-seen order, with the band a prediction of it gets.
  std::vector<std::pair<PredictionFamily, ErrorBand>> family_bands() const;

 private:
  std::vector<ValidationResidual> residuals_;
};

// The q-quantile (q in [0, 1]) of `values`, linear between order statistics; `values` must not be empty.
double quantile(std::vector<double> values, double q);

// A report's "error_band": the band in percent, its basis, and the range of `metric` it implies for the
// predicted value (a time scales with 1 + residual; a rate, e.g. tokens/s, with its inverse).
enum class BandMetric { kTime, kRate };

// "-9%..+4%": where measured / predicted - 1 of a time (kTime) or of a rate (kRate) is expected.
std::string band_text(const ErrorBand& band, BandMetric kind);
// What a table's "expected error" column means and where each of its bands came from (each basis once);
// empty when no result has a band.
std::string band_note(const std::vector<const ErrorBand*>& bands);
// "megatron-core hopper pipeline training": a family in words.
std::string family_text(const PredictionFamily& family);

nlohmann::json error_band_json(const ErrorBand& band, const std::string& metric, double predicted,
                               BandMetric kind);

}  // namespace strata::scenarios
