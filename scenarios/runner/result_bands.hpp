// Every prediction of a report with its error band (error_band.hpp): `strata run` and `strata search` read
// the shipped validation residuals and attach each result's band before the report is printed or written.
#pragma once

#include <vector>

#include "scenarios/runner/error_band.hpp"
#include "scenarios/runner/inference_run.hpp"
#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

void attach_error_bands(const ValidationResiduals& residuals, const Scenario& scenario,
                        std::vector<StrategyResult>& results);
void attach_error_bands(const ValidationResiduals& residuals, const Scenario& scenario,
                        std::vector<InferenceResult>& results);

}  // namespace strata::scenarios
