#include <catch2/catch.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "sim/error.hpp"
#include "sim/event_queue.hpp"
#include "sim/serial_resource.hpp"
#include "sim/timeline_recorder.hpp"

using namespace strata::sim;

TEST_CASE("tasks run one at a time in submission order", "[stream]") {
  // Three tasks of 2, 3, 1 us submitted at t=0 end at 2, 5 and 6 us.
  EventQueue queue;
  SerialResource stream(queue, "gpu0/compute");
  std::vector<std::pair<int, std::int64_t>> ends;
  stream.submit("a", SimTime::from_us(2), [&] { ends.emplace_back(1, queue.now().ps()); });
  stream.submit("b", SimTime::from_us(3), [&] { ends.emplace_back(2, queue.now().ps()); });
  stream.submit("c", SimTime::from_us(1), [&] { ends.emplace_back(3, queue.now().ps()); });
  CHECK(stream.busy());
  CHECK(stream.queued() == 2);
  queue.run();
  CHECK(ends == std::vector<std::pair<int, std::int64_t>>{{1, 2'000'000}, {2, 5'000'000}, {3, 6'000'000}});
  CHECK(stream.busy_time() == SimTime::from_us(6));
  CHECK(stream.completed() == 3);
  CHECK_FALSE(stream.busy());
}

TEST_CASE("two streams overlap, an idle stream starts a task at once", "[stream]") {
  // compute: 4 us task from t=0. comm: a 3 us task submitted at t=1 us runs 1..4 us, in parallel.
  EventQueue queue;
  SerialResource compute(queue, "gpu0/compute");
  SerialResource comm(queue, "gpu0/comm");
  SimTime comm_end;
  compute.submit("gemm", SimTime::from_us(4));
  queue.schedule_at(SimTime::from_us(1),
                    [&] { comm.submit("all-reduce", SimTime::from_us(3), [&] { comm_end = queue.now(); }); });
  queue.run();
  CHECK(comm_end == SimTime::from_us(4));
  CHECK(queue.now() == SimTime::from_us(4));
}

TEST_CASE("asynchronous tasks hold the resource until completed", "[stream]") {
  // An async task completed by an event at 10 us holds the stream; the next 1 us task ends at 11 us.
  EventQueue queue;
  SerialResource stream(queue, "gpu0/comm");
  SimTime second_end;
  std::optional<TaskCompletion> pending;
  stream.submit_async("collective", [&](TaskCompletion done) {
    queue.schedule_at(SimTime::from_us(10), [done] { done(); });
    pending = done;
  });
  stream.submit("next", SimTime::from_us(1), [&] { second_end = queue.now(); });
  queue.run();
  CHECK(second_end == SimTime::from_us(11));
  CHECK_THROWS_AS((*pending)(), SimulationError);  // completing twice
}

TEST_CASE("a task completing inside its own start frees the stream at once", "[stream]") {
  EventQueue queue;
  SerialResource stream(queue, "s");
  int ran = 0;
  for (int i = 0; i < 10'000; ++i)
    stream.submit_async("instant", [&](TaskCompletion done) {
      ++ran;
      done();
    });
  CHECK(ran == 10'000);  // no recursion depth problem, no event needed
  CHECK_FALSE(stream.busy());
  CHECK_THROWS_AS(stream.submit("neg", SimTime::from_ps(-1)), SimulationError);
  CHECK_THROWS_AS(stream.submit_async("none", {}), SimulationError);
}

TEST_CASE("tasks become timeline spans on the resource's track", "[stream]") {
  EventQueue queue;
  TimelineRecorder timeline;
  SerialResource stream(queue, "gpu1/compute", &timeline);
  stream.submit("fwd", SimTime::from_us(2));
  stream.submit("bwd", SimTime::from_us(4));
  queue.run();
  CHECK(timeline.span_count() == 2);
  std::ostringstream out;
  timeline.write_chrome_trace(out);
  CHECK(out.str().find("\"bwd\"") != std::string::npos);
}

TEST_CASE("a priced task takes the duration its pricer gives when it starts, not when it was queued",
          "[stream]") {
  // The pricer reads `rate_us`, which changes at 1 us: task 1 starts at 0 (2 us), task 2 queued at 0 starts
  // at 2 us and takes the new price (5 us); each callback gets its start.
  EventQueue queue;
  SerialResource stream(queue, "gpu0/compute");
  std::int64_t rate_us = 2;
  stream.set_pricer(
      [&](std::uint64_t key) { return SimTime::from_us(rate_us * static_cast<std::int64_t>(key)); });
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;  // (start, end) in ps
  const auto record = [&](SimTime start) { spans.emplace_back(start.ps(), queue.now().ps()); };
  stream.submit_priced("first", 1, record);
  stream.submit_priced("second", 1, record);
  queue.schedule_at(SimTime::from_us(1), [&] { rate_us = 5; });
  queue.run();
  CHECK(spans == std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 2'000'000}, {2'000'000, 7'000'000}});
  SerialResource unpriced(queue, "gpu1/compute");
  CHECK_THROWS_AS(unpriced.submit_priced("x", 1, record), SimulationError);
}
