// A model for tests that simulate every rank: Llama-3-8B's layer shapes with 8 layers instead of 32, so the
// same kernels and messages for a quarter of the tasks.
#pragma once

#include <nlohmann/json.hpp>

inline nlohmann::json small_llama() {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"num_hidden_layers", 8},
          {"hidden_size", 4096},
          {"num_attention_heads", 32},
          {"num_key_value_heads", 8},
          {"intermediate_size", 14336},
          {"vocab_size", 128256},
          {"max_position_embeddings", 8192},
          {"hidden_act", "silu"}};
}
