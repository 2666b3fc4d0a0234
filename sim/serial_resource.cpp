#include "sim/serial_resource.hpp"

#include "sim/error.hpp"

namespace strata::sim {

void TaskCompletion::operator()() const { resource_->complete(task_); }

SerialResource::SerialResource(EventQueue& queue, std::string name, TimelineRecorder* timeline)
    : queue_(queue), name_(std::move(name)), timeline_(timeline) {}

void SerialResource::submit(std::string_view label, SimTime duration, DoneCallback on_done) {
  if (duration < SimTime::zero()) {
    throw SimulationError("task \"" + std::string(label) + "\" on " + name_ + " has negative duration " +
                          duration.to_string());
  }
  enqueue(label, StartCallback(), duration, std::move(on_done));
}

void SerialResource::submit_async(std::string_view label, StartCallback start) {
  if (!start)
    throw SimulationError("task \"" + std::string(label) + "\" on " + name_ + " has no start function");
  enqueue(label, std::move(start), SimTime::zero(), DoneCallback());
}

void SerialResource::submit_priced(std::string_view label, std::uint64_t key, PricedDone on_done) {
  if (!pricer_)
    throw SimulationError("task \"" + std::string(label) + "\" on " + name_ +
                          " is priced, but there is no pricer");
  Task task;
  task.id = next_task_id_++;
  if (timeline_ != nullptr) task.label = std::string(label);
  task.priced = true;
  task.key = key;
  task.on_priced_done = std::move(on_done);
  waiting_.push_back(std::move(task));
  if (!running_ && !starting_) start_next();
}

void SerialResource::enqueue(std::string_view label, StartCallback start, SimTime duration,
                             DoneCallback on_done) {
  waiting_.push_back(Task{next_task_id_++, timeline_ != nullptr ? std::string(label) : std::string(),
                          std::move(start), SimTime::zero(), duration, std::move(on_done), false, 0,
                          PricedDone()});
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
    const std::uint64_t id = running_->id;
    if (!running_->start) {
      if (running_->priced) {
        running_->duration = pricer_(running_->key);
        if (running_->duration < SimTime::zero())
          throw SimulationError("a priced task on " + name_ + " has negative duration " +
                                running_->duration.to_string());
      }
      queue_.schedule_in(running_->duration, [this, id] { complete(id); });
      continue;
    }
    StartCallback start = std::move(running_->start);
    start(TaskCompletion(*this, id));
  }
  starting_ = false;
}

// Frees the resource (which may start the next task), then runs a known-duration task's callback.
void SerialResource::complete(std::uint64_t task) {
  if (!running_ || running_->id != task) {
    throw SimulationError("task #" + std::to_string(task) + " on " + name_ +
                          " completed twice or not running");
  }
  DoneCallback on_done = std::move(running_->on_done);
  PricedDone on_priced_done = std::move(running_->on_priced_done);
  const SimTime started_at = running_->started_at;
  const SimTime duration = queue_.now() - running_->started_at;
  busy_time_ += duration;
  ++completed_;
  if (timeline_ != nullptr)
    timeline_->add_span(name_, std::move(running_->label), running_->started_at, queue_.now());
  running_.reset();
  if (!starting_) start_next();
  if (on_done) on_done();
  if (on_priced_done) on_priced_done(started_at);
}

}  // namespace strata::sim
