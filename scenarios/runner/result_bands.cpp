#include "scenarios/runner/result_bands.hpp"

namespace strata::scenarios {

void attach_error_bands(const ValidationResiduals& residuals, const Scenario& scenario,
                        std::vector<StrategyResult>& results) {
  for (StrategyResult& r : results)
    r.error_band = residuals.band(training_family(scenario.cluster, scenario.model.config, r.strategy));
}

void attach_error_bands(const ValidationResiduals& residuals, const Scenario& scenario,
                        std::vector<InferenceResult>& results) {
  for (InferenceResult& r : results)
    r.error_band = residuals.band(serving_family(scenario.cluster, scenario.model.config, r.deployment));
}

}  // namespace strata::scenarios
