#include "scenarios/runner/error_band.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {
namespace {

constexpr int kResidualsFormatVersion = 1;
constexpr std::size_t kMaxResiduals = 100'000;  // far above any validation suite; bounds a hostile file
constexpr double kResidualDecimals = 1e4;       // residuals are written to 1e-4 (0.01 percentage points)
constexpr double kLowQuantile = 0.1;
constexpr double kHighQuantile = 0.9;

ParallelismKind parallelism_kind(bool moe, int pp, int tp, int cp) {
  if (moe) return ParallelismKind::kMoe;
  if (pp > 1) return ParallelismKind::kPipeline;
  if (tp > 1 || cp > 1) return ParallelismKind::kTensor;
  return ParallelismKind::kData;
}

// How far a band's basis reaches: the whole family, then one key fewer at a time.
enum class Breadth { kFamily, kNoParallelism, kFrameworkOnly, kWorkloadOnly };

bool matches(const PredictionFamily& a, const PredictionFamily& b, Breadth breadth) {
  if (a.workload != b.workload) return false;
  if (breadth == Breadth::kWorkloadOnly) return true;
  if (a.framework != b.framework) return false;
  if (breadth == Breadth::kFrameworkOnly) return true;
  if (a.architecture != b.architecture) return false;
  return breadth == Breadth::kNoParallelism || a.parallelism == b.parallelism;
}

std::string basis_text(const PredictionFamily& f, Breadth breadth) {
  std::string text;
  if (breadth != Breadth::kWorkloadOnly) text += f.framework + " ";
  if (breadth == Breadth::kFamily || breadth == Breadth::kNoParallelism)
    text += std::string(models::kGpuArchitectureNames.name(f.architecture)) + " ";
  if (breadth == Breadth::kFamily) text += std::string(kParallelismKindNames.name(f.parallelism)) + " ";
  return text + std::string(kWorkloadNames.name(f.workload));
}

ValidationResidual read_residual(sim::JsonObjectReader& entry) {
  ValidationResidual r;
  r.name = entry.required_string("name");
  if (r.name.empty()) entry.location_of("name").fail("a case name is required");
  r.family.workload =
      sim::json_word(entry.required("workload"), entry.location_of("workload"), kWorkloadNames);
  r.family.framework = entry.required_string("framework");
  if (r.family.framework.empty()) entry.location_of("framework").fail("a framework name is required");
  r.family.architecture = sim::json_word(entry.required("architecture"), entry.location_of("architecture"),
                                         models::kGpuArchitectureNames);
  r.family.parallelism =
      sim::json_word(entry.required("parallelism"), entry.location_of("parallelism"), kParallelismKindNames);
  r.residual = entry.required_number("residual");
  if (!(std::isfinite(r.residual) && r.residual > -1.0 && r.residual < 100.0))
    entry.location_of("residual")
        .fail("expected published / predicted - 1, above -1 and below 100, found " +
              std::to_string(r.residual));
  entry.finish();
  return r;
}

}  // namespace

PredictionFamily training_family(const ClusterSpec& cluster, const models::TransformerConfig& model,
                                 const models::ParallelStrategy& strategy) {
  return {Workload::kTraining, strategy.framework.name, cluster.gpu.architecture.value,
          parallelism_kind(model.moe.experts > 0, strategy.pp, strategy.tp, strategy.cp)};
}

PredictionFamily serving_family(const ClusterSpec& cluster, const models::TransformerConfig& model,
                                const models::Deployment& deployment) {
  return {Workload::kServing, std::string(models::kServingFramework), cluster.gpu.architecture.value,
          parallelism_kind(model.moe.experts > 0, deployment.pp, deployment.tp, 1)};
}

ValidationResiduals::ValidationResiduals(std::vector<ValidationResidual> residuals)
    : residuals_(std::move(residuals)) {}

ValidationResiduals ValidationResiduals::read(const std::filesystem::path& path) {
  const nlohmann::json document = sim::read_json_file(path);
  sim::JsonObjectReader root(document, sim::JsonLocation{path.string(), ""});
  const auto version = root.required_integer("strata_residuals", 0, std::numeric_limits<int>::max());
  if (version != kResidualsFormatVersion)
    root.location_of("strata_residuals")
        .fail("unsupported residuals format version " + std::to_string(version) + " (this Strata reads " +
              std::to_string(kResidualsFormatVersion) + ")");
  root.required_string("definition");
  const sim::JsonLocation cases_at = root.location_of("cases");
  const auto& cases = sim::json_array(root.required("cases"), cases_at);
  if (cases.size() > kMaxResiduals)
    cases_at.fail(std::to_string(cases.size()) + " cases: at most " + std::to_string(kMaxResiduals));
  root.finish();
  std::vector<ValidationResidual> residuals;
  std::set<std::string> names;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    sim::JsonObjectReader entry(cases[i], cases_at.child(i));
    ValidationResidual r = read_residual(entry);
    if (!names.insert(r.name).second)
      cases_at.child(i).child("name").fail("case \"" + r.name + "\" appears twice");
    residuals.push_back(std::move(r));
  }
  return ValidationResiduals(std::move(residuals));
}

nlohmann::json ValidationResiduals::to_json() const {
  nlohmann::json cases = nlohmann::json::array();
  for (const ValidationResidual& r : residuals_) {
    cases.push_back({{"name", r.name},
                     {"workload", kWorkloadNames.name(r.family.workload)},
                     {"framework", r.family.framework},
                     {"architecture", models::kGpuArchitectureNames.name(r.family.architecture)},
                     {"parallelism", kParallelismKindNames.name(r.family.parallelism)},
                     {"residual", std::round(r.residual * kResidualDecimals) / kResidualDecimals}});
  }
  return {{"strata_residuals", kResidualsFormatVersion},
          {"definition",
           "published / predicted - 1 of each validation case's step time (serving: run time), written by "
           "strata validate --residuals-out (scenarios/runner/error_band.hpp)"},
          {"cases", cases}};
}

std::optional<ErrorBand> ValidationResiduals::band(const PredictionFamily& family) const {
  for (const Breadth breadth :
       {Breadth::kFamily, Breadth::kNoParallelism, Breadth::kFrameworkOnly, Breadth::kWorkloadOnly}) {
    std::vector<double> values;
    for (const ValidationResidual& r : residuals_) {
      if (matches(r.family, family, breadth)) values.push_back(r.residual);
    }
    if (static_cast<int>(values.size()) < kMinBandCases) continue;
    return ErrorBand{quantile(values, kLowQuantile), quantile(values, kHighQuantile),
                     static_cast<int>(values.size()), basis_text(family, breadth)};
  }
  return std::nullopt;
}

std::vector<std::pair<PredictionFamily, ErrorBand>> ValidationResiduals::family_bands() const {
  std::vector<std::pair<PredictionFamily, ErrorBand>> out;
  for (const ValidationResidual& r : residuals_) {
    const bool seen = std::any_of(out.begin(), out.end(), [&](const auto& f) { return f.first == r.family; });
    if (seen) continue;
    if (const auto found = band(r.family)) out.emplace_back(r.family, *found);
  }
  return out;
}

std::string family_text(const PredictionFamily& family) { return basis_text(family, Breadth::kFamily); }

double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

std::string band_text(const ErrorBand& band, BandMetric kind) {
  const double low = kind == BandMetric::kTime ? band.low : 1 / (1 + band.high) - 1;
  const double high = kind == BandMetric::kTime ? band.high : 1 / (1 + band.low) - 1;
  char text[48];  // whole percents, rounded first so that -0.4% reads +0%
  std::snprintf(text, sizeof text, "%+ld%%..%+ld%%", std::lround(100 * low), std::lround(100 * high));
  return text;
}

std::string band_note(const std::vector<const ErrorBand*>& bands) {
  std::vector<std::string> bases;
  for (const ErrorBand* band : bands) {
    if (band == nullptr) continue;
    const std::string basis = band->basis + " (" + std::to_string(band->cases) + " cases)";
    if (std::find(bases.begin(), bases.end(), basis) == bases.end()) bases.push_back(basis);
  }
  if (bases.empty()) return "";
  std::string text =
      "expected error: measured / predicted - 1 in the middle 80% of the validation cases (strata validate) "
      "of ";
  for (std::size_t i = 0; i < bases.size(); ++i)
    text += (i == 0 ? "" : (i + 1 == bases.size() ? " or " : ", ")) + bases[i];
  return text;
}

nlohmann::json error_band_json(const ErrorBand& band, const std::string& metric, double predicted,
                               BandMetric kind) {
  const double low = kind == BandMetric::kTime ? predicted * (1 + band.low) : predicted / (1 + band.high);
  const double high = kind == BandMetric::kTime ? predicted * (1 + band.high) : predicted / (1 + band.low);
  return {{"low_pct", 100 * band.low},
          {"high_pct", 100 * band.high},
          {metric, {{"low", low}, {"high", high}}},
          {"cases", band.cases},
          {"basis", band.basis}};
}

}  // namespace strata::scenarios
