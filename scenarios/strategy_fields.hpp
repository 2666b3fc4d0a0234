// Every key of a scenario's strategies[] entries, declared once: how its value is read (type, range, words),
// what it is when absent, what the report's `config` writes for it (the same key and words, so a report's
// config pastes back into a scenario), and, for the search dimensions, how one value of a search list is
// read.
//
// Defaults are ParallelStrategy's member initialisers, except where they depend on other input, which the
// field's `absent` says: the schedule (Megatron-LM's choice for the strategy's vpp) and the gradient dtype
// (the training dtype's, models::default_gradient_bytes). Fields are read in table order, so a default that
// depends on another field comes after it (schedule after vpp, dp_bucket after gradient_dtype).
//
// Adding a strategy field: its member in ParallelStrategy (with its default), its entry in
// strategy_fields.cpp, its checks in validate_strategy (models/strategy/parallel_strategy.cpp) and its words
// in scenarios/README.md.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "models/strategy/parallel_strategy.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {

struct SearchSpace;

struct StrategyField {
  std::string_view key;
  // Reads the value at `at` into the strategy (the value is present); fails at `at` when it does not fit.
  void (*read)(const nlohmann::json& value, const sim::JsonLocation& at, models::ParallelStrategy& s,
               const models::TrainingSpec& training);
  // Sets what the field is when the key is absent (null: the member's initialiser stands).
  void (*absent)(models::ParallelStrategy& s, const models::TrainingSpec& training);
  // The value as a scenario writes it.
  nlohmann::json (*write)(const models::ParallelStrategy& s, const models::TrainingSpec& training);
  // For a search dimension: reads one value of the search's list into the space (null: not searched).
  void (*search)(const nlohmann::json& value, const sim::JsonLocation& at, SearchSpace& space);
};

// In reading order.
std::span<const StrategyField> strategy_fields();

// Reads every field of the strategy object `r` (marking their keys read; `name` and the rest are the
// caller's).
void read_strategy_fields(sim::JsonObjectReader& r, models::ParallelStrategy& s,
                          const models::TrainingSpec& training);
// The strategy's `config`: every field, defaults included.
nlohmann::json strategy_fields_json(const models::ParallelStrategy& s, const models::TrainingSpec& training);

}  // namespace strata::scenarios
