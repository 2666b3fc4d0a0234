// Scenario files: read (with the shipped profiles and presets) and every strategy validated.
#include "fuzz_input.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/strategy/parallel_strategy.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/scenario_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  static const models::ModelCatalog presets(STRATA_SOURCE_PRESET_DIR);
  return fuzz::expect_input_errors_only([&] {
    const scenarios::Scenario scenario = scenarios::read_scenario(
        fuzz::input_file(fuzz::as_text(data, size), "scenario.json"), profiles, presets);
    for (const scenarios::StrategySpec& spec : scenario.strategies)
      models::validate_strategy(scenario.model.config, scenario.training, spec.strategy,
                                scenario.cluster.gpus());
  });
}
