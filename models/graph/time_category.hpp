// What a task's time counts as (Task::category) in the executor's time breakdown, and the words for them.
// Graph files carry the words; the lowering, the executor's attribution and the reports read them from this
// one table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sim/name_table.hpp"

namespace strata::models {

enum class TimeCategory {
  kCompute,         // kernels of the model
  kOptimizer,       // the optimizer step
  kTensorParallel,  // exposed communication, by kind ...
  kDataParallel,
  kPipeline,  // pipeline send/recv
  kContextParallel,
  kExpertParallel,
  kOffload,  // transfers between memory tiers and work on the host
  kMemory,   // allocation bookkeeping (takes no time)
  kBubble,   // waiting for other pipeline stages
  kWait,     // waiting not explained by one of the above
  kOther,    // a task without a category
};

inline constexpr sim::NameTable<TimeCategory, 12> kTimeCategoryNames{{{
    {TimeCategory::kCompute, "compute"},
    {TimeCategory::kOptimizer, "optimizer"},
    {TimeCategory::kTensorParallel, "tp"},
    {TimeCategory::kDataParallel, "dp"},
    {TimeCategory::kPipeline, "pp"},
    {TimeCategory::kContextParallel, "cp"},
    {TimeCategory::kExpertParallel, "ep"},
    {TimeCategory::kOffload, "offload"},
    {TimeCategory::kMemory, "memory"},
    {TimeCategory::kBubble, "bubble"},
    {TimeCategory::kWait, "wait"},
    {TimeCategory::kOther, "other"},
}}};

inline std::string category_name(TimeCategory category) {
  return std::string(kTimeCategoryNames.name(category));
}

// What a category's seconds are, for sentences in reports ("loses 0.9 s to <phrase>").
inline std::string_view category_phrase(TimeCategory category) {
  switch (category) {
    case TimeCategory::kCompute: return "compute";
    case TimeCategory::kOptimizer: return "the optimizer step";
    case TimeCategory::kTensorParallel: return "exposed tensor-parallel communication";
    case TimeCategory::kDataParallel: return "exposed data-parallel communication";
    case TimeCategory::kPipeline: return "exposed pipeline sends";
    case TimeCategory::kContextParallel: return "exposed context-parallel communication";
    case TimeCategory::kExpertParallel: return "exposed expert-parallel all-to-alls";
    case TimeCategory::kOffload: return "offload transfers";
    case TimeCategory::kMemory: return "memory bookkeeping";
    case TimeCategory::kBubble: return "the pipeline bubble";
    case TimeCategory::kWait: return "waiting";
    case TimeCategory::kOther: return "other work";
  }
  return "other work";
}

// Communication categories: time a rank waits on one of them is that kind's exposed communication.
inline bool is_communication(TimeCategory category) {
  switch (category) {
    case TimeCategory::kTensorParallel:
    case TimeCategory::kDataParallel:
    case TimeCategory::kPipeline:
    case TimeCategory::kContextParallel:
    case TimeCategory::kExpertParallel:
    case TimeCategory::kOffload: return true;
    default: return false;
  }
}

// The same for a task's category word (a graph file may carry words of its own: not communication).
inline bool is_communication_category(std::string_view word) {
  const std::optional<TimeCategory> category = kTimeCategoryNames.value(word);
  return category && is_communication(*category);
}

}  // namespace strata::models
