#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <tuple>
#include <vector>

#include "sim/error.hpp"
#include "sim/radix_event_heap.hpp"

using strata::sim::PendingEvent;
using strata::sim::RadixEventHeap;

namespace {
bool earlier(const PendingEvent& a, const PendingEvent& b) {
  return std::tie(a.time_ps, a.sequence) < std::tie(b.time_ps, b.sequence);
}
}  // namespace

TEST_CASE("radix heap returns entries by time, then sequence", "[radix]") {
  RadixEventHeap heap;
  std::uint64_t sequence = 1;
  for (std::int64_t time : std::initializer_list<std::int64_t>{40, 3, 3, 1'000'000'000'000, 0, 17, 3, 40})
    heap.push({time, sequence++, 0});
  std::vector<std::pair<std::int64_t, std::uint64_t>> out;
  while (!heap.empty()) {
    out.emplace_back(heap.top().time_ps, heap.top().sequence);
    heap.pop();
  }
  const std::vector<std::pair<std::int64_t, std::uint64_t>> expected{
      {0, 5}, {3, 2}, {3, 3}, {3, 7}, {17, 6}, {40, 1}, {40, 8}, {1'000'000'000'000, 4}};
  CHECK(out == expected);
}

TEST_CASE("radix heap rejects a time before the last minimum", "[radix]") {
  RadixEventHeap heap;
  heap.push({10, 1, 0});
  heap.push({20, 2, 0});
  CHECK(heap.top().time_ps == 10);
  heap.pop();
  CHECK_THROWS_AS(heap.push({9, 3, 0}), strata::sim::SimulationError);
  CHECK_NOTHROW(heap.push({10, 4, 0}));
  CHECK(heap.top().sequence == 4);
}

TEST_CASE("radix heap interleaved with pushes matches sorting, with filtering", "[radix]") {
  std::mt19937_64 rng(99);
  RadixEventHeap heap;
  std::vector<PendingEvent> reference;
  std::uint64_t sequence = 1;
  std::int64_t now = 0;
  for (int step = 0; step < 20'000; ++step) {
    const auto action = rng() % 8;
    if (action < 4 || reference.empty()) {
      // Delays from 0 (ties) up to 2^40 ps exercise many buckets.
      const std::int64_t delay = action == 0 ? 0 : static_cast<std::int64_t>(rng() >> (24 + rng() % 40));
      const PendingEvent entry{now + delay, sequence++, static_cast<std::uint32_t>(step)};
      heap.push(entry);
      reference.push_back(entry);
    } else if (action == 7 && step % 97 == 0) {
      const auto keep = [](const PendingEvent& entry) { return entry.slot % 3 != 0; };
      heap.filter(keep);
      std::erase_if(reference, [&](const PendingEvent& entry) { return !keep(entry); });
      REQUIRE(heap.size() == reference.size());
    } else {
      const auto expected = std::min_element(reference.begin(), reference.end(), earlier);
      REQUIRE(heap.size() == reference.size());
      const PendingEvent got = heap.top();
      CHECK(got.time_ps == expected->time_ps);
      CHECK(got.sequence == expected->sequence);
      heap.pop();
      now = expected->time_ps;
      reference.erase(expected);
    }
  }
}
