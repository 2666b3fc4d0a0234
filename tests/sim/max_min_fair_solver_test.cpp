// Max-min fair sharing as pure math. Each expected allocation is derived by hand in the comment above it
// (progressive filling: raise all unfrozen flows together; freeze at saturation or at a cap).
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "sim/error.hpp"
#include "sim/max_min_fair_solver.hpp"

using strata::sim::MaxMinFairSolver;
using strata::sim::SharingProblem;

namespace {

std::vector<double> solve(const SharingProblem& problem) {
  MaxMinFairSolver solver;
  std::vector<double> rates(problem.flow_count(), -1.0);
  solver.solve(problem, rates);
  return rates;
}

void add(SharingProblem& problem, std::vector<std::uint32_t> path, double cap = SharingProblem::kUncapped) {
  problem.add_flow(path, cap);
}

}  // namespace

TEST_CASE("single bottleneck: equal shares", "[solver]") {
  // One link of 30 shared by 3 flows: all rise to 10 together and saturate it.
  SharingProblem problem;
  problem.capacities = {30.0};
  for (int i = 0; i < 3; ++i) add(problem, {0});
  const auto rates = solve(problem);
  for (double rate : rates) CHECK(rate == Approx(10.0));
}

TEST_CASE("parking lot: the long flow gets half of each link", "[solver]") {
  // Links L0, L1, L2 of capacity 1. Flow 0 crosses all three; flows 1..3 cross one link each.
  // Each link carries 2 flows, so all rise to 0.5 and every link saturates at once: all flows 0.5.
  SharingProblem problem;
  problem.capacities = {1.0, 1.0, 1.0};
  add(problem, {0, 1, 2});
  add(problem, {0});
  add(problem, {1});
  add(problem, {2});
  for (double rate : solve(problem)) CHECK(rate == Approx(0.5));
}

TEST_CASE("parking lot with an uneven link", "[solver]") {
  // L0 = 1 and L1 = 3. Flow 0 crosses both, flow 1 only L0, flow 2 only L1.
  // L0 saturates first at 0.5 (2 flows): flows 0 and 1 freeze at 0.5.
  // L1 has 3 - 0.5 = 2.5 left for flow 2 alone: flow 2 = 2.5.
  SharingProblem problem;
  problem.capacities = {1.0, 3.0};
  add(problem, {0, 1});
  add(problem, {0});
  add(problem, {1});
  const auto rates = solve(problem);
  CHECK(rates[0] == Approx(0.5));
  CHECK(rates[1] == Approx(0.5));
  CHECK(rates[2] == Approx(2.5));
}

TEST_CASE("capped flows leave their share to the others", "[solver]") {
  // Link of 10, flow 0 capped at 2, flows 1 and 2 uncapped. At level 2 flow 0 freezes (link used 6 of 10);
  // the remaining 10 - 2 = 8 is split by flows 1 and 2: 4 each.
  SharingProblem problem;
  problem.capacities = {10.0};
  add(problem, {0}, 2.0);
  add(problem, {0});
  add(problem, {0});
  const auto rates = solve(problem);
  CHECK(rates[0] == Approx(2.0));
  CHECK(rates[1] == Approx(4.0));
  CHECK(rates[2] == Approx(4.0));
}

TEST_CASE("a cap above the fair share does not bind", "[solver]") {
  // Link of 10 and two flows, one capped at 7: the fair share 5 is below 7, so both get 5.
  SharingProblem problem;
  problem.capacities = {10.0};
  add(problem, {0}, 7.0);
  add(problem, {0});
  const auto rates = solve(problem);
  CHECK(rates[0] == Approx(5.0));
  CHECK(rates[1] == Approx(5.0));
}

TEST_CASE("flows crossing two bottlenecks", "[solver]") {
  // X = 10 carries flows a, b; Y = 4 carries flows b, c. Y saturates first at level 2 (2 flows):
  // b = c = 2. X then has 10 - 2 = 8 left for a alone: a = 8.
  SharingProblem problem;
  problem.capacities = {10.0, 4.0};
  add(problem, {0});     // a
  add(problem, {0, 1});  // b
  add(problem, {1});     // c
  const auto rates = solve(problem);
  CHECK(rates[0] == Approx(8.0));
  CHECK(rates[1] == Approx(2.0));
  CHECK(rates[2] == Approx(2.0));
}

TEST_CASE("a path crossing a resource twice counts twice", "[solver]") {
  // Link of 9; flow 0 crosses it twice (a loop), flow 1 once. Load = 2r0 + r1; at level 3, 3*3 = 9: both 3.
  SharingProblem problem;
  problem.capacities = {9.0};
  add(problem, {0, 0});
  add(problem, {0});
  for (double rate : solve(problem)) CHECK(rate == Approx(3.0));
}

TEST_CASE("empty paths: capped gets its cap, uncapped is an error", "[solver]") {
  SharingProblem problem;
  problem.capacities = {1.0};
  add(problem, {}, 5.0);
  CHECK(solve(problem)[0] == Approx(5.0));
  add(problem, {});
  CHECK_THROWS_AS(solve(problem), strata::sim::SimulationError);
}

TEST_CASE("random problems: feasible, and every flow has a bottleneck", "[solver]") {
  // Max-min fairness holds iff every flow is at its cap or crosses a saturated resource on which no other
  // flow has a higher rate (Bertsekas & Gallager, Data Networks, 6.5.2).
  std::mt19937_64 rng(7);
  MaxMinFairSolver solver;  // reused across problems: work buffers must not leak state
  for (int round = 0; round < 200; ++round) {
    SharingProblem problem;
    const std::size_t resources = 1 + rng() % 20;
    for (std::size_t r = 0; r < resources; ++r)
      problem.capacities.push_back(1.0 + static_cast<double>(rng() % 100));
    const std::size_t flows = 1 + rng() % 40;
    for (std::size_t f = 0; f < flows; ++f) {
      std::vector<std::uint32_t> path;
      const std::size_t length = 1 + rng() % 4;
      for (std::size_t i = 0; i < length; ++i) path.push_back(static_cast<std::uint32_t>(rng() % resources));
      const double cap = rng() % 4 == 0 ? 0.5 + static_cast<double>(rng() % 30) : SharingProblem::kUncapped;
      problem.add_flow(path, cap);
    }
    std::vector<double> rates(flows);
    solver.solve(problem, rates);

    std::vector<double> load(resources, 0.0);
    for (std::size_t f = 0; f < flows; ++f) {
      for (auto i = problem.path_offsets[f]; i < problem.path_offsets[f + 1]; ++i)
        load[problem.path_resources[i]] += rates[f];
    }
    for (std::size_t r = 0; r < resources; ++r) CHECK(load[r] <= problem.capacities[r] * (1 + 1e-9));
    for (std::size_t f = 0; f < flows; ++f) {
      CHECK(rates[f] > 0.0);
      CHECK(rates[f] <= problem.rate_caps[f] * (1 + 1e-9));
      bool bottlenecked = rates[f] >= problem.rate_caps[f] * (1 - 1e-9);
      for (auto i = problem.path_offsets[f]; i < problem.path_offsets[f + 1] && !bottlenecked; ++i) {
        const auto r = problem.path_resources[i];
        if (load[r] < problem.capacities[r] * (1 - 1e-9)) continue;
        bool highest = true;
        for (std::size_t g = 0; g < flows; ++g) {
          for (auto j = problem.path_offsets[g]; j < problem.path_offsets[g + 1]; ++j) {
            if (problem.path_resources[j] == r && rates[g] > rates[f] * (1 + 1e-9)) highest = false;
          }
        }
        bottlenecked = highest;
      }
      CHECK(bottlenecked);
    }
  }
}

TEST_CASE("weighted flows: a resource fills at its flows' summed weights", "[solver]") {
  // Capacity 1; flow 0 weight 1, flow 1 weight 0.25, both capped at 1: the common level r saturates the
  // resource when 1.25 r = 1, r = 0.8. A third flow on its own resource (weight 0.5, capacity 1) reaches its
  // cap of 1 first (it would saturate at 2).
  SharingProblem problem;
  problem.capacities = {1.0, 1.0};
  const std::vector<std::uint32_t> shared{0};
  const std::vector<std::uint32_t> own{1};
  problem.add_flow(shared, std::vector<double>{1.0}, 1.0);
  problem.add_flow(shared, std::vector<double>{0.25}, 1.0);
  problem.add_flow(own, std::vector<double>{0.5}, 1.0);
  const auto rates = solve(problem);
  CHECK(rates[0] == Approx(0.8));
  CHECK(rates[1] == Approx(0.8));
  CHECK(rates[2] == 1.0);
}
