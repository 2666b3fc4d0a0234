// HuggingFace config.json -> TransformerConfig. Supported `architectures`: GPT2LMHeadModel, LlamaForCausalLM,
// MistralForCausalLM, Qwen2ForCausalLM, MixtralForCausalLM, Qwen2MoeForCausalLM, Qwen3MoeForCausalLM,
// DeepseekV3ForCausalLM. Keys Strata uses are type-checked and range-checked, each error naming the file and
// JSON path; the many keys it does not use (torch_dtype, rope_scaling, ...) are ignored, as HF configs carry
// dozens of them. An unknown architecture is an error listing the supported ones.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "models/workload/transformer_config.hpp"
#include "sim/json_input.hpp"

namespace strata::models {

TransformerConfig read_hf_config(const nlohmann::json& config, const sim::JsonLocation& where,
                                 std::string name);
TransformerConfig read_hf_config_file(const std::filesystem::path& path);

}  // namespace strata::models
