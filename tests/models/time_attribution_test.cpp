#include "models/executor/time_attribution.hpp"

#include <catch2/catch.hpp>

using strata::models::TimeAttribution;
using strata::models::TimeBreakdown;
using strata::sim::SimTime;

namespace {

constexpr int kGather = 1;
constexpr int kReduce = 2;

// One rank: compute until 10 us, then the gradient reductions run 10-30 us on their stream and a gather
// 30-40 us on its own, starting at `gather_start`; the compute stream resumes when the gather ends.
TimeBreakdown gap_after_reductions(SimTime gather_start) {
  TimeAttribution attribution(1, 3);
  attribution.ran(0, TimeAttribution::kComputeStream, "compute", SimTime::zero(), SimTime::from_us(10), true);
  attribution.ran(0, kReduce, "dp", SimTime::from_us(10), SimTime::from_us(30), false);
  attribution.ran(0, kGather, "dp", gather_start, SimTime::from_us(40), false);
  attribution.compute_stream_resumed(0, SimTime::from_us(40), "dp", kGather);
  attribution.ran(0, TimeAttribution::kComputeStream, "compute", SimTime::from_us(40), SimTime::from_us(50),
                  true);
  return attribution.finish(SimTime::from_us(50)).at(0);
}

}  // namespace

TEST_CASE("a gather that waited for the reductions exposes both as communication", "[attribution]") {
  // The gather began as the reductions ended: the compute stream's 30 us gap is all data-parallel traffic.
  const TimeBreakdown chained = gap_after_reductions(SimTime::from_us(30));
  CHECK(chained.at("dp") == Approx(30e-6));
  CHECK(chained.count("wait") == 0);
  CHECK(chained.at("compute") == Approx(20e-6));
  // A gather that began later (waiting on another rank) counts from its own start; the rest is waiting.
  const TimeBreakdown apart = gap_after_reductions(SimTime::from_us(35));
  CHECK(apart.at("dp") == Approx(5e-6));
  CHECK(apart.at("wait") == Approx(25e-6));
}
