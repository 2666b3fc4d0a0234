#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "sim/error.hpp"
#include "sim/sim_time.hpp"

using strata::sim::OverflowError;
using strata::sim::SimTime;

TEST_CASE("SimTime converts units exactly", "[time]") {
  CHECK(SimTime::from_ns(3).ps() == 3'000);
  CHECK(SimTime::from_us(2).ps() == 2'000'000);
  CHECK(SimTime::from_ms(1).ps() == 1'000'000'000);
  CHECK(SimTime::from_seconds(1.5).ps() == 1'500'000'000'000);
  CHECK(SimTime::from_seconds(1e-12).ps() == 1);
  // Rounds to nearest: 0.4 ps -> 0, 0.6 ps -> 1.
  CHECK(SimTime::from_ps_rounded(0.4).ps() == 0);
  CHECK(SimTime::from_ps_rounded(0.6).ps() == 1);
  CHECK(SimTime::from_us(5).seconds() == Approx(5e-6));
}

TEST_CASE("SimTime arithmetic is checked, never wraps", "[time]") {
  const SimTime max = SimTime::max();
  CHECK((SimTime::from_ps(5) + SimTime::from_ps(7)).ps() == 12);
  CHECK((SimTime::from_ps(5) - SimTime::from_ps(7)).ps() == -2);
  CHECK((SimTime::from_ps(5) * 3).ps() == 15);
  CHECK_THROWS_AS(max + SimTime::from_ps(1), OverflowError);
  CHECK_THROWS_AS(SimTime::from_ps(std::numeric_limits<std::int64_t>::min()) - SimTime::from_ps(1),
                  OverflowError);
  CHECK_THROWS_AS(max * 2, OverflowError);
  CHECK_THROWS_AS(SimTime::from_ms(std::numeric_limits<std::int64_t>::max() / 1000), OverflowError);
  // 2^63 ps is about 106.75 days: 107 days do not fit, 100 do.
  CHECK_THROWS_AS(SimTime::from_seconds(107.0 * 86400), OverflowError);
  CHECK_NOTHROW(SimTime::from_seconds(100.0 * 86400));
  CHECK_THROWS_AS(SimTime::from_seconds(std::nan("")), OverflowError);
  CHECK_THROWS_AS(SimTime::from_seconds(std::numeric_limits<double>::infinity()), OverflowError);
  // The message stays short however far out the time is.
  CHECK_THROWS_WITH(SimTime::from_seconds(1e200), "simulated time overflow: 1e+200 s is outside +-106 days");
}

TEST_CASE("SimTime orders and prints", "[time]") {
  CHECK(SimTime::from_ns(1) < SimTime::from_us(1));
  CHECK(SimTime::zero() == SimTime::from_ps(0));
  CHECK(SimTime::from_us(1500).to_string() == "1.5 ms");
  CHECK(SimTime::from_ps(12).to_string() == "12 ps");
  CHECK(SimTime::zero().to_string() == "0 s");
}
