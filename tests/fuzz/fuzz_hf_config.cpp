// HuggingFace config.json files: read, then the counts every command derives from a model.
#include "fuzz_input.hpp"
#include "models/workload/hf_config.hpp"
#include "models/workload/transformer_config.hpp"
#include "sim/json_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  return fuzz::expect_input_errors_only([&] {
    const nlohmann::json document = sim::parse_json_text(fuzz::as_text(data, size), "config.json");
    const models::TransformerConfig config =
        models::read_hf_config(document, sim::JsonLocation{"config.json", ""}, "fuzz");
    models::count_parameters(config);
    models::model_flops_per_step(config, 8, 4096);
    if (config.layers > 0) models::layer_operators(config, 0, 4096);
  });
}
