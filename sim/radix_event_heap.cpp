#include "sim/radix_event_heap.hpp"

#include <algorithm>

#include "sim/error.hpp"

namespace strata::sim {

void RadixEventHeap::push(const PendingEvent& entry) {
  if (entry.time_ps < last_time_ps_) {
    throw SimulationError("event set is monotone: time " + std::to_string(entry.time_ps) +
                          " ps is before the last minimum " + std::to_string(last_time_ps_) + " ps");
  }
  buckets_[bucket_of(entry.time_ps)].push_back(entry);
  ++size_;
}

const PendingEvent& RadixEventHeap::top() {
  STRATA_ASSERT(size_ > 0, "top() of an empty event set");
  if (front_read_ == buckets_[0].size()) refill_front();
  return buckets_[0][front_read_];
}

void RadixEventHeap::pop() {
  STRATA_ASSERT(front_read_ < buckets_[0].size(), "pop() without a top()");
  ++front_read_;
  --size_;
  if (front_read_ == buckets_[0].size()) {
    buckets_[0].clear();
    front_read_ = 0;
  }
}

// Bucket 0 is empty: find the lowest non-empty bucket, make its minimum time the new reference, and spread
// its entries over lower buckets (each lands strictly lower). Entries that tie with the minimum land in
// bucket 0, where they are put in sequence order; later pushes at that time append with higher sequences.
void RadixEventHeap::refill_front() {
  buckets_[0].clear();
  front_read_ = 0;
  std::size_t index = 1;
  while (buckets_[index].empty()) ++index;  // size_ > 0 guarantees a non-empty bucket
  std::vector<PendingEvent> splitting;
  splitting.swap(buckets_[index]);
  std::int64_t minimum = splitting.front().time_ps;
  for (const PendingEvent& entry : splitting) minimum = std::min(minimum, entry.time_ps);
  last_time_ps_ = minimum;
  for (const PendingEvent& entry : splitting) buckets_[bucket_of(entry.time_ps)].push_back(entry);
  splitting.clear();
  splitting.swap(buckets_[index]);  // give the (now empty) bucket its storage back
  std::vector<PendingEvent>& front = buckets_[0];
  if (front.size() > 1) {
    std::sort(front.begin(), front.end(),
              [](const PendingEvent& a, const PendingEvent& b) { return a.sequence < b.sequence; });
  }
}

}  // namespace strata::sim
