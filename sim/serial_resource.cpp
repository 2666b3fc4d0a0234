#include "sim/serial_resource.hpp"

#include "sim/error.hpp"

namespace strata::sim {

void TaskCompletion::operator()() const { resource_->complete(task_); }

SerialResource::SerialResource(EventQueue& queue, std::string name, TimelineRecorder* timeline)
    : queue_(queue), name_(std::move(name)), timeline_(timeline) {}

void SerialResource::submit(std::string label, SimTime duration, DoneCallback on_done) {
  if (duration < SimTime::zero()) {
    throw SimulationError("task \"" + label + "\" on " + name_ + " has negative duration " + duration.to_string());
  }
  submit_async(std::move(label), [this, duration, on_done = std::move(on_done)](TaskCompletion done) {
    queue_.schedule_in(duration, [done, on_done] {
      done();
      if (on_done) on_done();
    });
  });
}

void SerialResource::submit_async(std::string label, StartCallback start) {
  if (!start) throw SimulationError("task \"" + label + "\" on " + name_ + " has no start function");
  waiting_.push_back(Task{next_task_id_++, std::move(label), std::move(start), SimTime::zero()});
  if (!running_ && !starting_) start_next();
}

// Starts waiting tasks while the resource is idle. A task that completes inside its own start function frees
// the resource at once; the loop (rather than recursion) keeps the stack flat for long chains of such tasks.
void SerialResource::start_next() {
  starting_ = true;
  while (!running_ && !waiting_.empty()) {
    running_ = std::move(waiting_.front());
    waiting_.pop_front();
    running_->started_at = queue_.now();
    StartCallback start = std::move(running_->start);
    start(TaskCompletion(*this, running_->id));
  }
  starting_ = false;
}

void SerialResource::complete(std::uint64_t task) {
  if (!running_ || running_->id != task) {
    throw SimulationError("task #" + std::to_string(task) + " on " + name_ + " completed twice or not running");
  }
  const SimTime duration = queue_.now() - running_->started_at;
  busy_time_ += duration;
  ++completed_;
  if (timeline_ != nullptr) timeline_->add_span(name_, std::move(running_->label), running_->started_at, queue_.now());
  running_.reset();
  if (!starting_) start_next();
}

}  // namespace strata::sim
