// The pending-event set behind EventQueue: a monotone radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, "Faster
// algorithms for the shortest path problem", JACM 1990) keyed by time, with FIFO order among equal times.
//
// Monotone: every pushed time must be >= the time of the last entry taken out (the simulation clock never
// goes back), which EventQueue guarantees. Entries live in 65 buckets: bucket 0 holds entries whose time
// equals the last minimum; bucket i (1..64) those whose time first differs from it at bit i-1. Pushing is an
// append; when bucket 0 runs dry the lowest non-empty bucket is split around its minimum. Every access is a
// sequential scan or an append, so the structure stays fast when the pending set is far larger than the
// caches, where a binary heap pays a cache miss per level. Each entry moves at most 64 times in its life
// (amortised O(log C)).
//
// Ties: entries of equal time come out in increasing `sequence` (EventQueue numbers events in scheduling
// order), so same-time events run first-scheduled first.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace strata::sim {

struct PendingEvent {
  std::int64_t time_ps;
  std::uint64_t sequence;
  std::uint32_t slot;
};

class RadixEventHeap {
 public:
  // Precondition: entry.time_ps >= the time of the last entry returned by top() (checked: SimulationError).
  void push(const PendingEvent& entry);
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // The earliest entry (lowest time, then lowest sequence). Precondition: !empty(). May reorganise buckets.
  const PendingEvent& top();
  // Removes top(). Precondition: !empty() and top() was called since the last change.
  void pop();
  // Removes every entry for which `keep` returns false, keeping the order of the rest.
  template <class Keep>
  void filter(Keep keep);

 private:
  std::size_t bucket_of(std::int64_t time_ps) const {
    const auto difference = static_cast<std::uint64_t>(time_ps) ^ static_cast<std::uint64_t>(last_time_ps_);
    return difference == 0 ? 0 : static_cast<std::size_t>(64 - __builtin_clzll(difference));
  }
  void refill_front();

  std::array<std::vector<PendingEvent>, 65> buckets_;
  std::size_t front_read_ = 0;  // entries of bucket 0 before this index have been popped
  std::int64_t last_time_ps_ = 0;
  std::size_t size_ = 0;
};

template <class Keep>
void RadixEventHeap::filter(Keep keep) {
  std::vector<PendingEvent>& front = buckets_[0];
  front.erase(front.begin(), front.begin() + static_cast<std::ptrdiff_t>(front_read_));
  front_read_ = 0;
  size_ = 0;
  for (std::vector<PendingEvent>& bucket : buckets_) {
    std::erase_if(bucket, [&](const PendingEvent& entry) { return !keep(entry); });
    size_ += bucket.size();
  }
}

}  // namespace strata::sim
