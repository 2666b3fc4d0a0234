#include "models/strategy/pipeline_schedule.hpp"

#include "sim/error.hpp"

namespace strata::models {

void PipelineScheduleKind::validate(const ParallelStrategy&, std::int64_t, const Fail&) const {}

std::vector<std::vector<PipelinePass>> PipelineScheduleKind::orders(const ParallelStrategy& s,
                                                                    std::int64_t microbatches) const {
  std::vector<std::vector<PipelinePass>> all;
  for (int stage = 0; stage < s.pp; ++stage) all.push_back(order(s, microbatches, stage));
  return all;
}

const PipelineScheduleKind* find_pipeline_schedule(std::string_view name) {
  for (const PipelineScheduleKind* schedule : pipeline_schedules()) {
    if (schedule->name() == name) return schedule;
  }
  return nullptr;
}

std::string pipeline_schedule_names() {
  std::string names;
  for (const PipelineScheduleKind* schedule : pipeline_schedules()) {
    names += (names.empty() ? "" : ", ") + std::string(schedule->name());
  }
  return names;
}

const PipelineScheduleKind& pipeline_schedule(std::string_view name) {
  if (const PipelineScheduleKind* schedule = find_pipeline_schedule(name)) return *schedule;
  throw sim::InputError(
      "", "/schedule",
      "expected one of " + pipeline_schedule_names() + ", found \"" + std::string(name) + "\"");
}

void validate_schedule(const ParallelStrategy& s, std::int64_t microbatches,
                       const PipelineScheduleKind::Fail& fail) {
  const PipelineScheduleKind& schedule = *s.schedule;
  const std::string name(schedule.name());
  if (s.vpp < schedule.min_vpp()) {
    fail("vpp", "the " + name + " schedule needs vpp >= " + std::to_string(schedule.min_vpp()) + ", got " +
                    std::to_string(s.vpp));
  }
  if (s.vpp > schedule.max_vpp()) {
    fail("vpp", schedule.max_vpp() == 1
                    ? name + " runs one model chunk per stage (vpp 1); virtual stages need another schedule"
                    : "the " + name + " schedule takes vpp <= " + std::to_string(schedule.max_vpp()));
  }
  if (schedule.even_vpp() && s.vpp % 2 != 0)
    fail("vpp", "the " + name + " schedule needs an even vpp, got " + std::to_string(s.vpp));
  schedule.validate(s, microbatches, fail);
}

int pass_virtual_stage(const ParallelStrategy& s, int chunk, int stage) {
  return s.schedule->virtual_stage(s, chunk, stage);
}
int chunks_per_rank(const ParallelStrategy& s) { return s.schedule->chunks_per_rank(s); }
int virtual_stages(const ParallelStrategy& s) { return s.schedule->virtual_stages(s); }
std::vector<PipelinePass> pipeline_order(const ParallelStrategy& s, std::int64_t microbatches, int stage) {
  return s.schedule->order(s, microbatches, stage);
}

}  // namespace strata::models
