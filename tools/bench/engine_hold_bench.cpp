// engine.hold: the classic hold model for event queues (Vaucher and Duval, "A comparison of simulation event
// list algorithms", CACM 1975): keep N events pending; each event, when run, schedules one new event at
// now + a random delay. Reports events run per second of wall time.
//
// Delays are exponential with a mean of 1 us, drawn once into a table so that the figure measures the queue
// and not the random-number generator. The headline figure (engine.hold.*) keeps 1M events pending; the
// sweep (engine.hold.pending_<N>.events_per_s) shows how the rate depends on the pending-set size, since
// simulations of a few thousand ranks keep 1e3..1e5 events pending.
// Usage: engine_hold_bench [--pending N] [--events M]   (with --pending, only that size is run)
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "bench_args.hpp"
#include "sim/event_queue.hpp"

namespace {

struct HoldModel {
  strata::sim::EventQueue queue;
  std::vector<strata::sim::SimTime> delays;
  std::size_t next_delay = 0;

  strata::sim::SimTime draw() {
    const strata::sim::SimTime delay = delays[next_delay];
    next_delay = (next_delay + 1) & (delays.size() - 1);
    return delay;
  }
  void hold() {
    queue.schedule_in(draw(), [this] { hold(); });
  }
};

}  // namespace

namespace {

// Runs the hold model with `pending` events for `events` steps; returns events per second of wall time.
double events_per_second(std::int64_t pending, std::int64_t events) {
  HoldModel model;
  std::mt19937_64 rng(20261122);
  std::exponential_distribution<double> exponential(1.0 / 1e6);  // mean 1e6 ps = 1 us
  model.delays.resize(std::size_t{1} << 16);
  for (auto& delay : model.delays) delay = strata::sim::SimTime::from_ps_rounded(exponential(rng));
  for (std::int64_t i = 0; i < pending; ++i) model.hold();

  const auto start = std::chrono::steady_clock::now();
  std::int64_t run = 0;
  while (run < events && model.queue.step()) ++run;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(run) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  using strata::tools::integer_argument;
  using strata::tools::print_figure;
  const std::int64_t pending = integer_argument(argc, argv, "--pending", 0);
  const std::int64_t events = integer_argument(argc, argv, "--events", 10'000'000);
  if (pending > 0) {
    print_figure("engine.hold.events_per_s", events_per_second(pending, events), "events/s");
    return 0;
  }
  for (std::int64_t size : {1'000, 10'000, 100'000}) {
    const std::string name = "engine.hold.pending_" + std::to_string(size) + ".events_per_s";
    print_figure(name.c_str(), events_per_second(size, events), "events/s");
  }
  const double headline = events_per_second(1'000'000, events);
  print_figure("engine.hold.pending_events", 1e6, "events");
  print_figure("engine.hold.events_per_s", headline, "events/s");
  print_figure("engine.hold.ns_per_event", 1e9 / headline, "ns");
  return 0;
}
