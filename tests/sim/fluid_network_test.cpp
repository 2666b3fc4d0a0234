// The fluid network in time. Expected completion times are derived by hand in the comments
// (rate = max-min share; bytes moved = rate * elapsed; a flow ends when its bytes are gone).
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "sim/error.hpp"
#include "sim/event_queue.hpp"
#include "sim/fluid_network.hpp"
#include "sim/max_min_fair_solver.hpp"
#include "sim/unit_parse.hpp"

using namespace strata::sim;

namespace {

struct Fixture {
  EventQueue queue;
  FluidNetwork network{queue, std::make_unique<MaxMinFairSolver>()};
  std::vector<std::pair<std::string, SimTime>> done;

  // Starts a flow now; records (name, completion time).
  FlowId start(const std::string& name, std::vector<ResourceId> path, const char* size,
               std::optional<Bandwidth> cap = std::nullopt) {
    return network.start_flow(
        path, parse_bytes(size), [this, name](FlowId) { done.emplace_back(name, queue.now()); }, cap);
  }
  SimTime finished(const std::string& name) const {
    for (const auto& [flow, time] : done) {
      if (flow == name) return time;
    }
    FAIL("flow " << name << " did not finish");
    return SimTime::zero();
  }
};

SimTime seconds(double value) { return SimTime::from_seconds(value); }

}  // namespace

TEST_CASE("a single flow takes size / capacity", "[fluid]") {
  // 100 MB at 50 GB/s = 2 ms.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("50GB/s"));
  f.start("a", {link}, "100MB");
  f.queue.run();
  CHECK(f.finished("a") == SimTime::from_ms(2));
  CHECK(f.network.active_flow_count() == 0);
}

TEST_CASE("a multi-hop flow runs at its slowest link", "[fluid]") {
  // Path over 10 GB/s and 5 GB/s: 5 GB/s; 1 GB takes 0.2 s.
  Fixture f;
  const ResourceId fast = f.network.add_resource("fast", parse_bandwidth("10GB/s"));
  const ResourceId slow = f.network.add_resource("slow", parse_bandwidth("5GB/s"));
  f.start("a", {fast, slow}, "1GB");
  f.queue.run();
  CHECK(f.finished("a") == seconds(0.2));
}

TEST_CASE("flows joining and leaving share the link", "[fluid]") {
  // Link 10 GB/s. A = 10 GB from t=0; B = 2 GB from t=0.5 s.
  // 0..0.5 s: A alone at 10 GB/s moves 5 GB (5 GB left).
  // From 0.5 s both at 5 GB/s: B needs 0.4 s -> ends at 0.9 s; A moves 2 GB meanwhile (3 GB left).
  // From 0.9 s A alone at 10 GB/s: 0.3 s -> ends at 1.2 s.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("10GB/s"));
  f.start("A", {link}, "10GB");
  f.queue.schedule_at(seconds(0.5), [&] { f.start("B", {link}, "2GB"); });
  f.queue.run();
  CHECK(f.finished("B") == seconds(0.9));
  CHECK(f.finished("A") == seconds(1.2));
  CHECK(f.done.front().first == "B");
}

TEST_CASE("two concurrent transfers on the same link each get half", "[fluid]") {
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("100GB/s"));
  const FlowId a = f.start("a", {link}, "1GB");
  const FlowId b = f.start("b", {link}, "1GB");
  CHECK(f.network.rate(a).gb_per_s() == Approx(50.0));
  CHECK(f.network.rate(b).gb_per_s() == Approx(50.0));
  CHECK(f.network.load(link).gb_per_s() == Approx(100.0));
  f.queue.run();
  // 1 GB at 50 GB/s = 20 ms each; they finish together, in start order.
  CHECK(f.finished("a") == SimTime::from_ms(20));
  CHECK(f.finished("b") == SimTime::from_ms(20));
  CHECK(f.done[0].first == "a");
  CHECK(f.done[1].first == "b");
}

TEST_CASE("a weighted flow stands for that many like flows", "[fluid]") {
  // A bundle of weight 3 beside one plain flow on a 100 GB/s link: four shares, so the bundle's rate (one
  // member's) is 25 GB/s, it uses 75 GB/s of the link, and its 1 GB member ends with the plain flow at 40 ms.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("100GB/s"));
  const ResourceId other = f.network.add_resource("other", parse_bandwidth("100GB/s"));
  const std::vector<ResourceId> path{link, other};
  const std::vector<double> weights{3.0, 1.5};
  const FlowId bundle = f.network.start_flow(path, weights, parse_bytes("1GB"),
                                             [&](FlowId) { f.done.emplace_back("bundle", f.queue.now()); });
  const FlowId plain = f.start("plain", {link}, "1GB");
  CHECK(f.network.rate(bundle).gb_per_s() == Approx(25.0));
  CHECK(f.network.rate(plain).gb_per_s() == Approx(25.0));
  CHECK(f.network.load(link).gb_per_s() == Approx(100.0));
  CHECK(f.network.load(other).gb_per_s() == Approx(37.5));
  f.queue.run();
  CHECK(f.finished("bundle") == SimTime::from_ms(40));
  CHECK(f.finished("plain") == SimTime::from_ms(40));
  const std::vector<double> bad{1.0};
  CHECK_THROWS_AS(f.network.start_flow(path, bad, parse_bytes("1GB"), nullptr), SimulationError);
  const std::vector<double> zero{1.0, 0.0};
  CHECK_THROWS_AS(f.network.start_flow(path, zero, parse_bytes("1GB"), nullptr), SimulationError);
}

TEST_CASE("a capacity change mid-flow changes the rate from then on", "[fluid]") {
  // 10 GB at 10 GB/s; at 0.5 s the link drops to 5 GB/s: 5 GB left at 5 GB/s = 1 s -> ends at 1.5 s.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("10GB/s"));
  f.start("a", {link}, "10GB");
  f.queue.schedule_at(seconds(0.5), [&] { f.network.set_capacity(link, parse_bandwidth("5GB/s")); });
  f.queue.run();
  CHECK(f.finished("a") == seconds(1.5));
  CHECK_THROWS_AS(f.network.set_capacity(link, Bandwidth{}), SimulationError);
}

TEST_CASE("cancelling a flow speeds up the others and skips its callback", "[fluid]") {
  // Two 10 GB flows on 10 GB/s; at 1 s (5 GB each moved) B is cancelled: A's 5 GB left at 10 GB/s -> 1.5 s.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("10GB/s"));
  f.start("A", {link}, "10GB");
  const FlowId b = f.start("B", {link}, "10GB");
  f.queue.schedule_at(seconds(1.0), [&] {
    CHECK(f.network.remaining_bytes(b) == Approx(5e9));
    CHECK(f.network.cancel_flow(b));
    CHECK_FALSE(f.network.cancel_flow(b));
  });
  f.queue.run();
  CHECK(f.finished("A") == seconds(1.5));
  CHECK(f.done.size() == 1);
}

TEST_CASE("a rate cap limits a flow below its fair share", "[fluid]") {
  // Link 10 GB/s, flow capped at 1 GB/s: 1 GB takes 1 s. A second uncapped flow gets the other 9 GB/s:
  // 9 GB in 1 s as well.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("10GB/s"));
  f.start("capped", {link}, "1GB", parse_bandwidth("1GB/s"));
  f.start("free", {link}, "9GB");
  f.queue.run();
  CHECK(f.finished("capped") == seconds(1.0));
  CHECK(f.finished("free") == seconds(1.0));
  // A cap alone (no path) is a pure rate limit.
  Fixture g;
  g.start("limited", {}, "2GB", parse_bandwidth("4GB/s"));
  g.queue.run();
  CHECK(g.finished("limited") == seconds(0.5));
}

TEST_CASE("zero-size flows complete at the current time", "[fluid]") {
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("1GB/s"));
  f.queue.schedule_at(SimTime::from_us(3), [&] { f.start("empty", {link}, "0"); });
  f.queue.run();
  CHECK(f.finished("empty") == SimTime::from_us(3));
}

TEST_CASE("completion rounds up to the next picosecond", "[fluid]") {
  // 1 byte at 3 B/s = 0.333... s: the flow completes at the first picosecond after that, 333333333334 ps.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", Bandwidth::from_bytes_per_s(3.0));
  f.start("odd", {link}, "1");
  f.queue.run();
  CHECK(f.finished("odd").ps() == 333'333'333'334);
}

TEST_CASE("chained transfers: a callback starts the next flow", "[fluid]") {
  // Three 1 GB transfers back to back at 10 GB/s: 0.1 s each, ends at 0.3 s.
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("10GB/s"));
  std::function<void(int)> send = [&](int left) {
    f.network.start_flow(std::vector<ResourceId>{link}, parse_bytes("1GB"), [&, left](FlowId) {
      if (left > 1) send(left - 1);
    });
  };
  send(3);
  f.queue.run();
  CHECK(f.queue.now() == seconds(0.3));
}

TEST_CASE("flows started at one instant are solved once", "[fluid]") {
  Fixture f;
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("100GB/s"));
  for (int i = 0; i < 100; ++i) f.start("f" + std::to_string(i), {link}, "1GB");
  f.queue.run();
  // One solve for the 100 starts, one after they all finish together.
  CHECK(f.network.solve_count() == 2);
  CHECK(f.queue.now() == seconds(1.0));  // 100 GB at 100 GB/s
}

TEST_CASE("bad network input is refused", "[fluid]") {
  Fixture f;
  CHECK_THROWS_AS(f.network.add_resource("dead", Bandwidth{}), SimulationError);
  const ResourceId link = f.network.add_resource("link", parse_bandwidth("1GB/s"));
  CHECK_THROWS_AS(f.start("nowhere", {ResourceId{7}}, "1GB"), SimulationError);
  CHECK_THROWS_AS(f.start("unbounded", {}, "1GB"), SimulationError);
  CHECK_THROWS_AS(f.start("stuck", {link}, "1GB", Bandwidth{}), SimulationError);
  CHECK_THROWS_AS(f.network.rate(FlowId{}), SimulationError);
  CHECK(f.network.resource_name(link) == "link");
  CHECK(f.network.capacity(link).gb_per_s() == Approx(1.0));
}
