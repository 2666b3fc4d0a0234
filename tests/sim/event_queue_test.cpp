#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <stdexcept>
#include <vector>

#include "sim/error.hpp"
#include "sim/event_queue.hpp"

using strata::sim::EventId;
using strata::sim::EventQueue;
using strata::sim::SimTime;
using strata::sim::SimulationError;

namespace {
SimTime ps(std::int64_t value) { return SimTime::from_ps(value); }
}  // namespace

TEST_CASE("events run in time order, ties in scheduling order", "[queue]") {
  EventQueue queue;
  std::vector<int> order;
  queue.schedule_at(ps(20), [&] { order.push_back(3); });
  queue.schedule_at(ps(10), [&] { order.push_back(1); });
  queue.schedule_at(ps(20), [&] { order.push_back(4); });
  queue.schedule_at(ps(10), [&] { order.push_back(2); });
  queue.schedule_at(ps(20), [&] { order.push_back(5); });
  CHECK(queue.pending() == 5);
  CHECK(queue.run() == 5);
  CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(queue.now() == ps(20));
  CHECK(queue.empty());
}

TEST_CASE("an event scheduled at now runs after those already scheduled for now", "[queue]") {
  EventQueue queue;
  std::vector<int> order;
  queue.schedule_at(ps(5), [&] {
    order.push_back(1);
    queue.schedule_in(SimTime::zero(), [&] { order.push_back(3); });
  });
  queue.schedule_at(ps(5), [&] { order.push_back(2); });
  queue.run();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("cancelled events do not run, cancel is idempotent", "[queue]") {
  EventQueue queue;
  std::vector<int> order;
  const EventId a = queue.schedule_at(ps(1), [&] { order.push_back(1); });
  const EventId b = queue.schedule_at(ps(2), [&] { order.push_back(2); });
  queue.schedule_at(ps(3), [&] { order.push_back(3); });
  CHECK(queue.is_pending(b));
  CHECK(queue.cancel(b));
  CHECK_FALSE(queue.cancel(b));
  CHECK_FALSE(queue.is_pending(b));
  CHECK(queue.pending() == 2);
  queue.run();
  CHECK(order == std::vector<int>{1, 3});
  CHECK_FALSE(queue.cancel(a));  // already ran
  CHECK_FALSE(queue.cancel(EventId{}));
}

TEST_CASE("a callback can cancel a later event at the same time", "[queue]") {
  EventQueue queue;
  std::vector<int> order;
  EventId later;
  queue.schedule_at(ps(4), [&] {
    order.push_back(1);
    queue.cancel(later);
  });
  later = queue.schedule_at(ps(4), [&] { order.push_back(2); });
  queue.run();
  CHECK(order == std::vector<int>{1});
}

TEST_CASE("a reused slot does not revive a cancelled id", "[queue]") {
  EventQueue queue;
  int runs = 0;
  const EventId first = queue.schedule_at(ps(1), [&] { ++runs; });
  queue.cancel(first);
  const EventId second = queue.schedule_at(ps(1), [&] { ++runs; });
  CHECK(second.slot == first.slot);
  CHECK_FALSE(queue.is_pending(first));
  CHECK_FALSE(queue.cancel(first));
  queue.run();
  CHECK(runs == 1);
}

TEST_CASE("scheduling in the past is an error", "[queue]") {
  EventQueue queue;
  queue.schedule_at(ps(100), [] {});
  queue.run();
  CHECK_THROWS_AS(queue.schedule_at(ps(99), [] {}), SimulationError);
  CHECK_THROWS_AS(queue.schedule_in(ps(-1), [] {}), SimulationError);
  CHECK_THROWS_AS(queue.schedule_at(ps(100), EventQueue::Callback{}), SimulationError);
  CHECK_NOTHROW(queue.schedule_at(ps(100), [] {}));
}

TEST_CASE("run_until runs events at the limit and advances the clock to it", "[queue]") {
  EventQueue queue;
  std::vector<std::int64_t> times;
  for (std::int64_t t : {5, 10, 15}) queue.schedule_at(ps(t), [&] { times.push_back(queue.now().ps()); });
  // An event at the limit scheduled while running also runs.
  queue.schedule_at(ps(10), [&] { queue.schedule_at(ps(10), [&] { times.push_back(-10); }); });
  CHECK(queue.run_until(ps(10)) == 4);
  CHECK(times == std::vector<std::int64_t>{5, 10, -10});
  CHECK(queue.now() == ps(10));
  CHECK(queue.run_until(ps(12)) == 0);
  CHECK(queue.now() == ps(12));
  CHECK(queue.next_time() == ps(15));
  // A limit before now leaves the clock alone.
  CHECK(queue.run_until(ps(3)) == 0);
  CHECK(queue.now() == ps(12));
  queue.run();
  CHECK(queue.now() == ps(15));
  CHECK(queue.next_time() == SimTime::max());
}

TEST_CASE("re-entrant run is refused, exceptions leave the queue usable", "[queue]") {
  EventQueue queue;
  queue.schedule_at(ps(1), [&] { queue.run(); });
  CHECK_THROWS_AS(queue.run(), SimulationError);
  int later = 0;
  queue.schedule_at(ps(2), [] { throw std::runtime_error("model failure"); });
  queue.schedule_at(ps(3), [&] { ++later; });
  CHECK_THROWS_AS(queue.run(), std::runtime_error);
  CHECK(queue.now() == ps(2));
  queue.run();
  CHECK(later == 1);
}

TEST_CASE("two queues are independent", "[queue]") {
  EventQueue first;
  EventQueue second;
  first.schedule_at(ps(7), [] {});
  second.schedule_at(ps(3), [] {});
  first.run();
  CHECK(first.now() == ps(7));
  CHECK(second.now() == ps(0));
  CHECK(second.pending() == 1);
}

TEST_CASE("mass cancellation keeps memory bounded and order intact", "[queue]") {
  EventQueue queue;
  std::vector<int> order;
  for (int round = 0; round < 20'000; ++round) {
    const EventId id = queue.schedule_at(ps(1'000'000 + round), [] {});
    queue.cancel(id);
  }
  queue.schedule_at(ps(2), [&] { order.push_back(2); });
  queue.schedule_at(ps(1), [&] { order.push_back(1); });
  CHECK(queue.pending() == 2);
  CHECK(queue.run() == 2);
  CHECK(order == std::vector<int>{1, 2});
}

// A deliberately naive queue: a list scanned for the minimum (time, sequence). The reference for the
// randomised comparison below.
namespace {
struct NaiveQueue {
  struct Item {
    std::int64_t time;
    std::uint64_t sequence;
    int label;
    bool cancelled;
  };
  std::vector<Item> items;
  std::uint64_t next_sequence = 0;
  std::int64_t now = 0;

  std::size_t schedule(std::int64_t time, int label) {
    items.push_back({time, next_sequence++, label, false});
    return items.size() - 1;
  }
  // Returns the label of the next live event, or -1.
  int pop() {
    std::size_t best = items.size();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].cancelled) continue;
      if (best == items.size() || items[i].time < items[best].time ||
          (items[i].time == items[best].time && items[i].sequence < items[best].sequence)) {
        best = i;
      }
    }
    if (best == items.size()) return -1;
    items[best].cancelled = true;
    now = items[best].time;
    return items[best].label;
  }
};
}  // namespace

TEST_CASE("random schedules match a naive reference queue", "[queue]") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937_64 rng(seed);
    EventQueue queue;
    NaiveQueue reference;
    std::vector<int> executed;
    std::vector<EventId> ids;
    std::vector<std::size_t> reference_ids;
    int next_label = 0;
    // Few distinct times make ties frequent; a wide range exercises the high buckets.
    const std::int64_t spread = seed % 2 == 0 ? 8 : 1'000'000'000;
    std::uniform_int_distribution<std::int64_t> delay(0, spread);
    const auto schedule_one = [&] {
      const std::int64_t when = queue.now().ps() + delay(rng);
      const int label = next_label++;
      ids.push_back(queue.schedule_at(ps(when), [&executed, label] { executed.push_back(label); }));
      reference_ids.push_back(reference.schedule(when, label));
    };
    for (int i = 0; i < 200; ++i) schedule_one();
    std::vector<int> expected;
    for (int step = 0; step < 3'000; ++step) {
      const auto action = rng() % 10;
      if (action < 4) {
        schedule_one();
      } else if (action < 5 && !ids.empty()) {
        const std::size_t victim = rng() % ids.size();
        const bool was_pending = queue.is_pending(ids[victim]);
        CHECK(queue.cancel(ids[victim]) == was_pending);
        reference.items[reference_ids[victim]].cancelled = true;
      } else {
        const int label = reference.pop();
        const bool ran = queue.step();
        CHECK(ran == (label >= 0));
        if (label >= 0) expected.push_back(label);
        CHECK(queue.now().ps() == reference.now);
      }
    }
    for (int label = reference.pop(); label >= 0; label = reference.pop()) expected.push_back(label);
    queue.run();
    CHECK(executed == expected);
  }
}
