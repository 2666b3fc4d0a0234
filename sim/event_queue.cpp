#include "sim/event_queue.hpp"

#include <limits>
#include <string>

#include "sim/error.hpp"

namespace strata::sim {
namespace {

// Marks the queue as running for the lifetime of the guard; rejects re-entrant runs.
class RunningGuard {
 public:
  explicit RunningGuard(bool& running) : running_(running) {
    if (running_) throw SimulationError("EventQueue::run called from inside an event callback");
    running_ = true;
  }
  ~RunningGuard() { running_ = false; }
  RunningGuard(const RunningGuard&) = delete;
  RunningGuard& operator=(const RunningGuard&) = delete;

 private:
  bool& running_;
};

}  // namespace

EventId EventQueue::schedule_at(SimTime when, Callback callback) {
  if (when < now_) {
    throw SimulationError("event scheduled in the past: at " + when.to_string() + " while the clock is at " +
                          now_.to_string());
  }
  if (!callback) throw SimulationError("event scheduled with an empty callback");
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    STRATA_ASSERT(slots_.size() < std::numeric_limits<std::uint32_t>::max(), "too many pending events");
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  const std::uint64_t sequence = next_sequence_++;
  slots_[slot].callback = std::move(callback);
  slots_[slot].sequence = sequence;
  pending_.push(PendingEvent{when.ps(), sequence, slot});
  ++live_events_;
  return EventId{sequence, slot};
}

EventId EventQueue::schedule_in(SimTime delay, Callback callback) {
  if (delay < SimTime::zero())
    throw SimulationError("event scheduled with negative delay " + delay.to_string());
  return schedule_at(now_ + delay, std::move(callback));
}

bool EventQueue::is_pending(EventId id) const {
  return id.sequence != 0 && id.slot < slots_.size() && slots_[id.slot].sequence == id.sequence;
}

bool EventQueue::cancel(EventId id) {
  if (!is_pending(id)) return false;
  Slot& slot = slots_[id.slot];
  slot.callback = nullptr;
  slot.sequence = 0;
  free_slots_.push_back(id.slot);
  --live_events_;
  compact_if_mostly_stale();
  return true;
}

SimTime EventQueue::next_time() {
  discard_stale_top();
  return pending_.empty() ? SimTime::max() : SimTime::from_ps(pending_.top().time_ps);
}

bool EventQueue::step() {
  RunningGuard guard(running_);
  discard_stale_top();
  if (pending_.empty()) return false;
  run_top();
  return true;
}

std::uint64_t EventQueue::run() {
  RunningGuard guard(running_);
  const std::uint64_t before = executed_;
  for (;;) {
    discard_stale_top();
    if (pending_.empty()) break;
    run_top();
  }
  return executed_ - before;
}

std::uint64_t EventQueue::run_until(SimTime limit) {
  RunningGuard guard(running_);
  const std::uint64_t before = executed_;
  for (;;) {
    discard_stale_top();
    if (pending_.empty() || pending_.top().time_ps > limit.ps()) break;
    run_top();
  }
  if (limit > now_) now_ = limit;
  return executed_ - before;
}

// Precondition: the top entry is live.
void EventQueue::run_top() {
  const PendingEvent top = pending_.top();
  pending_.pop();
  Slot& slot = slots_[top.slot];
  Callback callback = std::move(slot.callback);
  slot.callback = nullptr;
  slot.sequence = 0;
  free_slots_.push_back(top.slot);
  --live_events_;
  now_ = SimTime::from_ps(top.time_ps);
  ++executed_;
  callback();
}

void EventQueue::discard_stale_top() {
  while (!pending_.empty() && !is_live(pending_.top())) pending_.pop();
}

// Cancelled entries stay in the pending set until they surface. When they outnumber live ones by far (e.g. a
// completion event rescheduled many times), drop them all at once so memory stays proportional to live
// events.
void EventQueue::compact_if_mostly_stale() {
  const std::size_t stale = pending_.size() - live_events_;
  if (stale < 1024 || stale < 2 * live_events_) return;
  pending_.filter([this](const PendingEvent& entry) { return is_live(entry); });
}

}  // namespace strata::sim
