// A serial resource (a GPU stream, a copy engine, a host thread): tasks run one at a time, in the order they
// were submitted. Overlap between two resources (compute stream vs communication stream) then emerges from
// the simulation instead of from a formula.
//
// Two kinds of task:
//  - submit(label, duration, on_done): occupies the resource for a known duration;
//  - submit_async(label, start): occupies it until the task calls the TaskCompletion it was given (e.g. when
//    the network flows of a collective finish). Completing a task twice is a SimulationError;
//  - submit_priced(label, key, on_done): occupies it for the duration the resource's pricer gives `key` when
//    the task starts (a kernel whose time depends on what runs beside it then); on_done gets the start.
// When a timeline recorder is attached, each task becomes a span on the resource's track.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sim/event_queue.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::sim {

class SerialResource;

// Handed to an asynchronous task's start function; call it once when the task is done.
class TaskCompletion {
 public:
  void operator()() const;

 private:
  friend class SerialResource;
  TaskCompletion(SerialResource& resource, std::uint64_t task) : resource_(&resource), task_(task) {}
  SerialResource* resource_;
  std::uint64_t task_;
};

class SerialResource {
 public:
  using DoneCallback = std::function<void()>;
  using StartCallback = std::function<void(TaskCompletion)>;
  using Pricer = std::function<SimTime(std::uint64_t key)>;
  using PricedDone = std::function<void(SimTime started_at)>;

  // `timeline` may be null (no recording); otherwise it must outlive this resource.
  SerialResource(EventQueue& queue, std::string name, TimelineRecorder* timeline = nullptr);
  SerialResource(const SerialResource&) = delete;
  SerialResource& operator=(const SerialResource&) = delete;

  // The label names the task in errors and, when a timeline is recorded, in its span; it is copied only then.
  void submit(std::string_view label, SimTime duration, DoneCallback on_done = {});
  void submit_async(std::string_view label, StartCallback start);
  // One pricer per resource, set before the first submit_priced; a negative price is a SimulationError.
  void set_pricer(Pricer pricer) { pricer_ = std::move(pricer); }
  bool has_pricer() const { return static_cast<bool>(pricer_); }
  void submit_priced(std::string_view label, std::uint64_t key, PricedDone on_done);

  const std::string& name() const { return name_; }
  bool busy() const { return running_.has_value(); }
  std::size_t queued() const { return waiting_.size(); }  // submitted, not yet started
  SimTime busy_time() const { return busy_time_; }        // total time spent on finished tasks
  std::uint64_t completed() const { return completed_; }

 private:
  friend class TaskCompletion;
  // A task with a known duration keeps it and its callback here rather than in a start function, so that
  // running it schedules one small event instead of wrapping callbacks in callbacks (a search runs millions).
  struct Task {
    std::uint64_t id = 0;
    std::string label;
    StartCallback start;  // empty for a task with a known duration
    SimTime started_at;
    SimTime duration;
    DoneCallback on_done;
    bool priced = false;  // duration from pricer_(key) when it starts
    std::uint64_t key = 0;
    PricedDone on_priced_done;
  };

  void enqueue(std::string_view label, StartCallback start, SimTime duration, DoneCallback on_done);
  void start_next();
  void complete(std::uint64_t task);

  EventQueue& queue_;
  std::string name_;
  Pricer pricer_;
  TimelineRecorder* timeline_;
  std::deque<Task> waiting_;
  std::optional<Task> running_;
  std::uint64_t next_task_id_ = 1;
  std::uint64_t completed_ = 0;
  SimTime busy_time_ = SimTime::zero();
  bool starting_ = false;
};

}  // namespace strata::sim
