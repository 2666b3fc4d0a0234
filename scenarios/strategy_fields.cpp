#include "scenarios/strategy_fields.hpp"

#include <type_traits>

#include "models/strategy/pipeline_schedule.hpp"
#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {
namespace {

using models::ParallelStrategy;
using models::TrainingSpec;

template <auto Member>
using MemberType = std::remove_reference_t<decltype(std::declval<ParallelStrategy&>().*Member)>;

template <auto Member, std::int64_t Min, std::int64_t Max>
void read_integer(const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s,
                  const TrainingSpec&) {
  s.*Member = static_cast<MemberType<Member>>(sim::json_integer(value, at, Min, Max));
}

template <auto Member>
void read_boolean(const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s,
                  const TrainingSpec&) {
  s.*Member = sim::json_bool(value, at);
}

template <auto Member, const auto& Names>
void read_word(const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s,
               const TrainingSpec&) {
  s.*Member = sim::json_word(value, at, Names);
}

template <auto Member>
nlohmann::json write_member(const ParallelStrategy& s, const TrainingSpec&) {
  return s.*Member;
}

template <auto Member, const auto& Names>
nlohmann::json write_word(const ParallelStrategy& s, const TrainingSpec&) {
  return Names.name(s.*Member);
}

template <auto SpaceMember, std::int64_t Min, std::int64_t Max>
void search_integer(const nlohmann::json& value, const sim::JsonLocation& at, SearchSpace& space) {
  using Value = typename std::remove_reference_t<decltype(space.*SpaceMember)>::value_type;
  (space.*SpaceMember).push_back(static_cast<Value>(sim::json_integer(value, at, Min, Max)));
}

// Ranges: parallel degrees and counts up to a million; ZeRO stages 0-3 are checked by validate_strategy.
constexpr std::int64_t kMaxDegree = 1'000'000;

// The schedule: a registry name; absent, Megatron-LM's choice for the strategy's vpp.
const models::PipelineScheduleKind& schedule_named(const nlohmann::json& value, const sim::JsonLocation& at) {
  const std::string name = sim::json_string(value, at);
  if (const models::PipelineScheduleKind* schedule = models::find_pipeline_schedule(name)) return *schedule;
  at.fail("expected one of " + models::pipeline_schedule_names() + ", found \"" + name + "\"");
}

// Gradient buffers: "fp32", or 16 bits ("bf16", "fp16", the same two bytes).
int gradient_bytes_named(const nlohmann::json& value, const sim::JsonLocation& at) {
  const std::string name = sim::json_string(value, at);
  if (name == "fp32") return 4;
  if (name == "bf16" || name == "fp16") return 2;
  at.fail("expected fp32, bf16 or fp16, found \"" + name + "\"");
}

const StrategyField kFields[] = {
    // A framework profile's name (calibration/profiles/frameworks/); read_scenario loads it, since the
    // profiles live in the catalog. Absent: megatron-core.
    {"framework",
     [](const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s, const TrainingSpec&) {
       s.framework.name = sim::json_string(value, at);
       if (s.framework.name.empty()) at.fail("expected a framework profile name");
     },
     nullptr,
     [](const ParallelStrategy& s, const TrainingSpec&) -> nlohmann::json { return s.framework.name; },
     nullptr},
    {"tp", read_integer<&ParallelStrategy::tp, 1, kMaxDegree>, nullptr, write_member<&ParallelStrategy::tp>,
     search_integer<&SearchSpace::tp, 1, kMaxDegree>},
    {"pp", read_integer<&ParallelStrategy::pp, 1, kMaxDegree>, nullptr, write_member<&ParallelStrategy::pp>,
     search_integer<&SearchSpace::pp, 1, kMaxDegree>},
    {"dp", read_integer<&ParallelStrategy::dp, 1, kMaxDegree>, nullptr, write_member<&ParallelStrategy::dp>,
     nullptr},
    {"cp", read_integer<&ParallelStrategy::cp, 1, kMaxDegree>, nullptr, write_member<&ParallelStrategy::cp>,
     search_integer<&SearchSpace::cp, 1, kMaxDegree>},
    {"ep", read_integer<&ParallelStrategy::ep, 1, kMaxDegree>, nullptr, write_member<&ParallelStrategy::ep>,
     search_integer<&SearchSpace::ep, 1, kMaxDegree>},
    {"vpp", read_integer<&ParallelStrategy::vpp, 1, kMaxDegree>, nullptr,
     write_member<&ParallelStrategy::vpp>, search_integer<&SearchSpace::vpp, 1, kMaxDegree>},
    {"micro_batch", read_integer<&ParallelStrategy::micro_batch, 1, kMaxDegree>, nullptr,
     write_member<&ParallelStrategy::micro_batch>, search_integer<&SearchSpace::micro_batch, 1, kMaxDegree>},
    {"schedule",
     [](const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s, const TrainingSpec&) {
       s.schedule = &schedule_named(value, at);
     },
     [](ParallelStrategy& s, const TrainingSpec&) { s.schedule = &models::default_pipeline_schedule(s.vpp); },
     [](const ParallelStrategy& s, const TrainingSpec&) -> nlohmann::json { return s.schedule->name(); },
     [](const nlohmann::json& value, const sim::JsonLocation& at, SearchSpace& space) {
       space.schedule.push_back(&schedule_named(value, at));
     }},
    {"sequence_parallel", read_boolean<&ParallelStrategy::sequence_parallel>, nullptr,
     write_member<&ParallelStrategy::sequence_parallel>,
     [](const nlohmann::json& value, const sim::JsonLocation& at, SearchSpace& space) {
       space.sequence_parallel.push_back(sim::json_bool(value, at));
     }},
    // Axes innermost first ("tp-cp-dp-pp", rank_placement.hpp); reported with every axis.
    {"placement",
     [](const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s, const TrainingSpec&) {
       std::string error;
       const std::optional<models::RankPlacement> placement =
           models::parse_rank_placement(sim::json_string(value, at), error);
       if (!placement) at.fail(error);
       s.placement = *placement;
     },
     nullptr,
     [](const ParallelStrategy& s, const TrainingSpec&) -> nlohmann::json { return s.placement.text(); },
     nullptr},
    {"cp_comm", read_word<&ParallelStrategy::cp_comm, models::kContextParallelCommNames>, nullptr,
     write_word<&ParallelStrategy::cp_comm, models::kContextParallelCommNames>, nullptr},
    {"expert_tp", read_integer<&ParallelStrategy::expert_tp, 1, kMaxDegree>, nullptr,
     write_member<&ParallelStrategy::expert_tp>, nullptr},
    {"moe_imbalance",
     [](const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s, const TrainingSpec&) {
       s.moe_imbalance = sim::json_number(value, at);
     },
     nullptr, write_member<&ParallelStrategy::moe_imbalance>, nullptr},
    {"recompute", read_word<&ParallelStrategy::recompute, models::kRecomputeNames>, nullptr,
     write_word<&ParallelStrategy::recompute, models::kRecomputeNames>,
     [](const nlohmann::json& value, const sim::JsonLocation& at, SearchSpace& space) {
       space.recompute.push_back(sim::json_word(value, at, models::kRecomputeNames));
     }},
    {"zero", read_integer<&ParallelStrategy::zero, 0, kMaxDegree>, nullptr,
     write_member<&ParallelStrategy::zero>, search_integer<&SearchSpace::zero, 0, 3>},
    // 0 (absent): shard over the whole data-parallel group; reported as the shard group's size.
    {"dp_shard", read_integer<&ParallelStrategy::dp_shard, 1, kMaxDegree>, nullptr,
     [](const ParallelStrategy& s, const TrainingSpec&) -> nlohmann::json { return s.zero_shard(); },
     nullptr},
    {"offload", read_word<&ParallelStrategy::offload, models::kOffloadNames>, nullptr,
     write_word<&ParallelStrategy::offload, models::kOffloadNames>, nullptr},
    {"offload_parameters", read_boolean<&ParallelStrategy::offload_parameters>, nullptr,
     write_member<&ParallelStrategy::offload_parameters>, nullptr},
    {"fssdp", read_boolean<&ParallelStrategy::fssdp>, nullptr, write_member<&ParallelStrategy::fssdp>,
     nullptr},
    {"dp_overlap", read_boolean<&ParallelStrategy::dp_overlap>, nullptr,
     write_member<&ParallelStrategy::dp_overlap>, nullptr},
    {"tp_overlap", read_boolean<&ParallelStrategy::tp_overlap>, nullptr,
     write_member<&ParallelStrategy::tp_overlap>, nullptr},
    {"gradient_dtype",
     [](const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s, const TrainingSpec&) {
       s.set_gradient_bytes(gradient_bytes_named(value, at));
     },
     [](ParallelStrategy& s, const TrainingSpec& training) {
       s.set_gradient_bytes(models::default_gradient_bytes(training.dtype));
     },
     [](const ParallelStrategy& s, const TrainingSpec& training) -> nlohmann::json {
       if (s.gradient_bytes == 4) return "fp32";
       return training.dtype == models::Dtype::kFp16 ? "fp16" : "bf16";
     },
     nullptr},
    // Bytes: an integer or a unit string ("160MB"); reported as the integer.
    {"dp_bucket",
     [](const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s, const TrainingSpec&) {
       s.dp_bucket_bytes = sim::json_bytes(value, at).count();
       if (s.dp_bucket_bytes < 1) at.fail("must be at least 1 byte");
     },
     nullptr, write_member<&ParallelStrategy::dp_bucket_bytes>, nullptr},
    // Layers per (virtual) stage; absent or empty: split evenly (split_layers).
    {"stage_layers",
     [](const nlohmann::json& value, const sim::JsonLocation& at, ParallelStrategy& s, const TrainingSpec&) {
       const auto& array = sim::json_array(value, at);
       for (std::size_t i = 0; i < array.size(); ++i) {
         s.stage_layers.push_back(static_cast<int>(sim::json_integer(array[i], at.child(i), 0, 100'000)));
       }
     },
     nullptr, write_member<&ParallelStrategy::stage_layers>, nullptr},
};

}  // namespace

std::span<const StrategyField> strategy_fields() { return kFields; }

void read_strategy_fields(sim::JsonObjectReader& r, ParallelStrategy& s, const TrainingSpec& training) {
  for (const StrategyField& field : strategy_fields()) {
    if (const nlohmann::json* value = r.optional(field.key)) {
      field.read(*value, r.location_of(field.key), s, training);
    } else if (field.absent != nullptr) {
      field.absent(s, training);
    }
  }
}

nlohmann::json strategy_fields_json(const ParallelStrategy& s, const TrainingSpec& training) {
  nlohmann::json config = nlohmann::json::object();
  for (const StrategyField& field : strategy_fields())
    config[std::string(field.key)] = field.write(s, training);
  return config;
}

}  // namespace strata::scenarios
