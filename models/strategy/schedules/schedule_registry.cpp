// The pipeline schedules, in the order messages and searches list them. A schedule is one file in this
// folder defining its descriptor and accessor; it is registered by declaring the accessor here and adding
// it to the list.
#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {

const PipelineScheduleKind& one_f_one_b_schedule();
const PipelineScheduleKind& gpipe_schedule();
const PipelineScheduleKind& interleaved_schedule();
const PipelineScheduleKind& zero_bubble_h1_schedule();
const PipelineScheduleKind& dualpipe_schedule();
const PipelineScheduleKind& breadth_first_schedule();
const PipelineScheduleKind& hanayo_schedule();
const PipelineScheduleKind& bitpipe_schedule();

std::span<const PipelineScheduleKind* const> pipeline_schedules() {
  static const PipelineScheduleKind* const kSchedules[] = {
      &one_f_one_b_schedule(), &gpipe_schedule(),         &interleaved_schedule(), &zero_bubble_h1_schedule(),
      &dualpipe_schedule(),    &breadth_first_schedule(), &hanayo_schedule(),      &bitpipe_schedule(),
  };
  return kSchedules;
}

const PipelineScheduleKind& default_pipeline_schedule(int vpp) {
  return vpp > 1 ? interleaved_schedule() : one_f_one_b_schedule();
}

}  // namespace strata::models
