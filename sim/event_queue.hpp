// The discrete-event queue: the clock and the ordered set of pending events of one simulation.
//
// Contract (after ns-3's Simulator and SimGrid's engine):
//  - Events run in order of (time, insertion sequence): two events at the same time run in the order they
//    were scheduled (FIFO), so a run is deterministic.
//  - schedule_at() with a time before now() throws SimulationError; scheduling at now() is allowed and runs
//    after every event already scheduled for now().
//  - cancel() is O(1) and lazy: the entry stays in the heap and is skipped when it surfaces.
//  - No global state: any number of queues can live in one process.
//  - Callbacks may schedule and cancel events; they may not call run()/run_until()/step() re-entrantly.
//    An exception thrown by a callback propagates out of run() with the queue still consistent.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/radix_event_heap.hpp"
#include "sim/sim_time.hpp"

namespace strata::sim {

// Names one scheduled event. A default-constructed id names nothing (is_pending() is false).
struct EventId {
  std::uint64_t sequence = 0;  // unique per scheduled event, starting at 1
  std::uint32_t slot = 0;
  friend bool operator==(const EventId&, const EventId&) = default;
};

class EventQueue {
 public:
  using Callback = std::function<void()>;

  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  SimTime now() const { return now_; }

  EventId schedule_at(SimTime when, Callback callback);
  EventId schedule_in(SimTime delay, Callback callback);  // delay must be >= 0

  // Returns true if the event was pending and is now cancelled; false if it already ran or was cancelled.
  bool cancel(EventId id);
  bool is_pending(EventId id) const;

  std::size_t pending() const { return live_events_; }
  bool empty() const { return live_events_ == 0; }
  // Time of the next live event; SimTime::max() when none is pending.
  SimTime next_time();

  // Runs the next live event, if any. Returns false when none was pending.
  bool step();
  // Runs until no event is pending. Returns the number of events run by this call.
  std::uint64_t run();
  // Runs every event with time <= limit (including those scheduled at <= limit while running), then
  // advances the clock to `limit` if it is later than now(). Returns the number of events run by this call.
  std::uint64_t run_until(SimTime limit);

  std::uint64_t executed() const { return executed_; }

 private:
  struct Slot {
    Callback callback;
    std::uint64_t sequence = 0;  // 0 while the slot is free
  };

  bool is_live(const PendingEvent& entry) const { return slots_[entry.slot].sequence == entry.sequence; }

  void discard_stale_top();
  void compact_if_mostly_stale();
  void run_top();

  RadixEventHeap pending_;  // live and cancelled (stale) entries
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  SimTime now_ = SimTime::zero();
  std::uint64_t next_sequence_ = 1;
  std::uint64_t executed_ = 0;
  std::size_t live_events_ = 0;
  bool running_ = false;
};

}  // namespace strata::sim
