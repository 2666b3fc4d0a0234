// Activities sharing ports by utilization (sim/port_sharing.hpp). Each expected time is derived by hand in
// the comment above it: speeds are the max-min fair allocation with sum(u * speed) <= 1 per port.
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"
#include "sim/port_sharing.hpp"

using strata::sim::EventQueue;
using strata::sim::MaxMinFairSolver;
using strata::sim::PortSharing;
using strata::sim::PortUse;
using strata::sim::SimTime;

namespace {

struct Fixture {
  EventQueue queue;
  PortSharing ports{queue, std::make_unique<MaxMinFairSolver>()};
  std::vector<std::int64_t> ends;  // ps, in completion order
  void start(std::int64_t us, std::vector<PortUse> uses) {
    ports.start(SimTime::from_us(us), uses, [this] { ends.push_back(queue.now().ps()); });
  }
};

constexpr std::int64_t kUs = 1'000'000;  // ps per microsecond

}  // namespace

TEST_CASE("an activity alone ends exactly its duration after it starts", "[port-sharing]") {
  Fixture f;
  const auto port = f.ports.add_port("nic");
  f.start(10, {{port, 1.0}});
  f.queue.run();
  CHECK(f.ends == std::vector<std::int64_t>{10 * kUs});
  CHECK(f.ports.solve_count() == 0);
}

TEST_CASE("two activities that each fill a port take twice as long side by side", "[port-sharing]") {
  // u = 1 each: speeds 1/2 and 1/2, so 10 us of work takes 20 us.
  Fixture f;
  const auto port = f.ports.add_port("nic");
  f.start(10, {{port, 1.0}});
  f.start(10, {{port, 1.0}});
  f.queue.run();
  CHECK(f.ends == std::vector<std::int64_t>{20 * kUs, 20 * kUs});
}

TEST_CASE("activities whose utilizations fit the port do not slow each other", "[port-sharing]") {
  Fixture f;
  const auto port = f.ports.add_port("nvlink");
  f.start(10, {{port, 0.5}});
  f.start(6, {{port, 0.5}});
  f.queue.run();
  CHECK(f.ends == std::vector<std::int64_t>{6 * kUs, 10 * kUs});
  CHECK(f.ports.solve_count() == 0);
}

TEST_CASE("a late arrival slows the first only while both run", "[port-sharing]") {
  // A: 10 us at t = 0. B: 10 us at t = 5 us. From 5 us both run at 1/2: A's last 5 us take 10 us (ends
  // 15 us); B has done 5 us of work by then and finishes its last 5 us alone (ends 20 us).
  Fixture f;
  const auto port = f.ports.add_port("nic");
  f.start(10, {{port, 1.0}});
  f.queue.schedule_at(SimTime::from_us(5), [&] { f.start(10, {{port, 1.0}}); });
  f.queue.run();
  CHECK(f.ends == std::vector<std::int64_t>{15 * kUs, 20 * kUs});
}

TEST_CASE("a light activity takes a proportional share", "[port-sharing]") {
  // A: 10 us, u = 1; B: 4 us, u = 0.25. 1.25 s <= 1 gives s = 0.8 for both: B ends at 4 / 0.8 = 5 us, when A
  // has done 4 us of work; A's remaining 6 us run at full speed, ending at 11 us.
  Fixture f;
  const auto port = f.ports.add_port("nic");
  f.start(10, {{port, 1.0}});
  f.start(4, {{port, 0.25}});
  f.queue.run();
  CHECK(f.ends == std::vector<std::int64_t>{5 * kUs, 11 * kUs});
}

TEST_CASE("speeds are max-min fair across several ports", "[port-sharing]") {
  // A crosses ports 0 and 1 (u = 1 on each), B port 0 (u = 1), C port 1 (u = 0.5). Filling equally, port 0
  // (weight 2) saturates at 1/2: A and B run at 1/2. Port 1 then has 1 - 1/2 left for C's weight 1/2: C runs
  // at full speed. With 10 us each: C ends at 10 us; A and B at 20 us (after C ends, port 1 does not limit
  // A).
  Fixture f;
  const auto p0 = f.ports.add_port("p0");
  const auto p1 = f.ports.add_port("p1");
  f.start(10, {{p0, 1.0}, {p1, 1.0}});
  f.start(10, {{p0, 1.0}});
  f.start(10, {{p1, 0.5}});
  f.queue.run();
  CHECK(f.ends == std::vector<std::int64_t>{10 * kUs, 20 * kUs, 20 * kUs});
}

TEST_CASE("a finishing activity's callback may start the next", "[port-sharing]") {
  Fixture f;
  const auto port = f.ports.add_port("nic");
  f.ports.start(SimTime::from_us(3), std::vector<PortUse>{{port, 1.0}}, [&] {
    f.ends.push_back(f.queue.now().ps());
    f.start(4, {{port, 1.0}});
  });
  f.queue.run();
  CHECK(f.ends == std::vector<std::int64_t>{3 * kUs, 7 * kUs});
  CHECK(f.ports.active_count() == 0);
  CHECK(f.ports.demand(port) == 0.0);
}

TEST_CASE("port sharing refuses bad utilizations and unknown ports", "[port-sharing]") {
  Fixture f;
  const auto port = f.ports.add_port("nic");
  CHECK_THROWS_AS(f.start(1, {{port, 0.0}}), strata::sim::SimulationError);
  CHECK_THROWS_AS(f.start(1, {{port, 1.5}}), strata::sim::SimulationError);
  CHECK_THROWS_AS(f.start(1, {{port + 1, 0.5}}), strata::sim::SimulationError);
}
