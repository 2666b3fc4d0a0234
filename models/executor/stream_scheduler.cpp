#include "models/executor/stream_scheduler.hpp"

#include "sim/error.hpp"

namespace strata::models {

StreamScheduler::StreamScheduler(sim::EventQueue& queue, std::vector<std::string> stream_names,
                                 Dispatch dispatch, sim::TimelineRecorder* timeline)
    : queue_(queue), names_(std::move(stream_names)), dispatch_(std::move(dispatch)), timeline_(timeline) {}

void StreamScheduler::add_rank(int gpu) {
  for (const std::string& stream : names_) {
    streams_.push_back(
        std::make_unique<sim::SerialResource>(queue_, "gpu" + std::to_string(gpu) + "/" + stream, timeline_));
    program_.emplace_back();
    cursor_.push_back(0);
  }
}

void StreamScheduler::add(TaskId id, int rank, int stream, std::span<const TaskId> deps) {
  STRATA_ASSERT(id == slot_of_.size(), "task ids are dense and added in order");
  const std::size_t s = slot(rank, stream);
  STRATA_ASSERT(s < streams_.size(), "the task's rank and stream exist");
  slot_of_.push_back(s);
  dependents_.emplace_back();
  finished_.push_back(0);
  std::uint32_t waiting = 0;
  for (TaskId dep : deps) {
    if (finished_[dep]) continue;
    ++waiting;
    dependents_[dep].push_back(id);
  }
  remaining_.push_back(waiting);
  program_[s].push_back(id);
  if (started_ && waiting == 0) issue(s, std::nullopt);
}

void StreamScheduler::start() {
  STRATA_ASSERT(!started_, "the scheduler starts once");
  started_ = true;
  for (std::size_t s = 0; s < program_.size(); ++s) issue(s, std::nullopt);
}

void StreamScheduler::issue(std::size_t s, std::optional<TaskId> blocker) {
  bool first = true;
  // program_[s] is indexed afresh each time: a dispatch may add tasks (and ranks) while this runs.
  while (cursor_[s] < program_[s].size() && remaining_[program_[s][cursor_[s]]] == 0) {
    const TaskId id = program_[s][cursor_[s]++];
    sim::SerialResource& stream = *streams_[s];
    const bool resumed = first && !stream.busy() && stream.queued() == 0;
    first = false;
    dispatch_(id, stream, resumed, blocker);
  }
}

void StreamScheduler::finished(TaskId id) {
  finished_[id] = 1;
  for (TaskId next : dependents_[id]) {
    if (--remaining_[next] == 0) issue(slot_of_[next], id);
  }
}

std::optional<TaskId> StreamScheduler::stuck() const {
  for (std::size_t s = 0; s < program_.size(); ++s) {
    if (cursor_[s] < program_[s].size() || streams_[s]->busy()) {
      return program_[s][std::min(cursor_[s], program_[s].size() - 1)];
    }
  }
  return std::nullopt;
}

}  // namespace strata::models
