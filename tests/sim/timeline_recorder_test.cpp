#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/error.hpp"
#include "sim/timeline_recorder.hpp"

using namespace strata::sim;

TEST_CASE("the Chrome trace names processes and threads and places spans in microseconds", "[timeline]") {
  TimelineRecorder timeline;
  timeline.add_span("gpu0/compute", "gemm", SimTime::from_ns(1500), SimTime::from_us(4),
                    {{"flops", std::int64_t{42}}});
  timeline.add_span("gpu0/comm", "all-reduce", SimTime::from_us(1), SimTime::from_us(3));
  timeline.add_span("gpu1/compute", "gemm", SimTime::zero(), SimTime::from_us(2));
  timeline.add_span("host", "step", SimTime::zero(), SimTime::from_us(5));
  timeline.add_counter("gpu0/memory", "hbm_bytes", SimTime::from_us(2), 1024.0);
  std::ostringstream out;
  timeline.write_chrome_trace(out);
  const auto trace = nlohmann::json::parse(out.str());
  REQUIRE(trace.contains("traceEvents"));
  int spans = 0;
  int counters = 0;
  std::map<int, std::string> processes;
  std::map<int, std::string> threads;
  for (const auto& event : trace["traceEvents"]) {
    const std::string phase = event["ph"];
    if (phase == "M" && event["name"] == "process_name") processes[event["pid"]] = event["args"]["name"];
    if (phase == "M" && event["name"] == "thread_name") threads[event["tid"]] = event["args"]["name"];
    if (phase == "X") ++spans;
    if (phase == "C") ++counters;
    if (phase == "X" && event["name"] == "gemm" && event["pid"] == 1) {
      CHECK(event["ts"].get<double>() == Approx(1.5));
      CHECK(event["dur"].get<double>() == Approx(2.5));
      CHECK(event["args"]["flops"] == 42);
    }
  }
  CHECK(spans == 4);
  CHECK(counters == 1);
  CHECK(processes == std::map<int, std::string>{{1, "gpu0"}, {2, "gpu1"}, {3, "host"}});
  CHECK(threads.at(1) == "compute");
  CHECK(threads.at(2) == "comm");
  CHECK(threads.at(5) == "memory");
}

TEST_CASE("the trace is deterministic and rejects backwards spans", "[timeline]") {
  const auto render = [] {
    TimelineRecorder timeline;
    timeline.add_span("b/x", "one", SimTime::zero(), SimTime::from_ps(3));
    timeline.add_span("a/y", "two", SimTime::from_ps(1), SimTime::from_ps(2));
    std::ostringstream out;
    timeline.write_chrome_trace(out);
    return out.str();
  };
  CHECK(render() == render());
  TimelineRecorder timeline;
  CHECK_THROWS_AS(timeline.add_span("t", "back", SimTime::from_ps(5), SimTime::from_ps(4)), SimulationError);
}

TEST_CASE("spans_between returns the spans overlapping a window, with their tracks, up to a limit",
          "[timeline]") {
  TimelineRecorder timeline;
  timeline.add_span("gpu0/compute", "a", SimTime::from_us(0), SimTime::from_us(10));
  timeline.add_span("gpu0/dp", "b", SimTime::from_us(5), SimTime::from_us(20));
  timeline.add_span("gpu1/compute", "c", SimTime::from_us(30), SimTime::from_us(40));
  const auto window = timeline.spans_between(SimTime::from_us(8), SimTime::from_us(30), 10);
  REQUIRE(window.size() == 2);  // c starts exactly at the window's end: outside
  CHECK(window[0].process == "gpu0");
  CHECK(window[0].thread == "compute");
  CHECK(window[1].name == "b");
  CHECK(window[1].end == SimTime::from_us(20));
  CHECK(timeline.spans_between(SimTime::zero(), SimTime::from_us(100), 1).size() == 1);
}

TEST_CASE("a flow is an arrow between the slices of two tracks, and cannot arrive before it leaves",
          "[timeline]") {
  TimelineRecorder timeline;
  timeline.add_span("gpu0/pp-send", "send", SimTime::from_us(1), SimTime::from_us(3));
  timeline.add_span("gpu1/pp-recv", "recv", SimTime::zero(), SimTime::from_us(3));
  timeline.add_flow("gpu0/pp-send", SimTime::from_us(2), "gpu1/pp-recv", SimTime::from_us(2), "send -> recv");
  CHECK_THROWS_AS(timeline.add_flow("gpu0/pp-send", SimTime::from_us(2), "gpu1/pp-recv", SimTime::from_us(1),
                                    "backwards"),
                  SimulationError);
  CHECK(timeline.flow_count() == 1);
  std::ostringstream out;
  timeline.write_chrome_trace(out);
  const nlohmann::json trace = nlohmann::json::parse(out.str());
  std::map<std::string, nlohmann::json> ends;
  for (const auto& event : trace["traceEvents"])
    if (event["ph"] == "s" || event["ph"] == "f") ends[event["ph"].get<std::string>()] = event;
  REQUIRE(ends.size() == 2);
  CHECK(ends["s"]["id"] == ends["f"]["id"]);
  CHECK(ends["s"]["pid"] != ends["f"]["pid"]);
  CHECK(ends["f"]["bp"] == "e");  // binds to the receive's enclosing slice
  CHECK(ends["s"]["ts"].get<double>() == Approx(2.0));
}

TEST_CASE("async spans overlap on one track as Chrome b and e events with one id each", "[timeline]") {
  TimelineRecorder timeline;
  timeline.add_async_span("gpu0/requests", "request 0", SimTime::zero(), SimTime::from_us(10),
                          {{"input_len", std::int64_t{128}}});
  timeline.add_async_span("gpu0/requests", "request 1", SimTime::from_us(2), SimTime::from_us(30));
  CHECK(timeline.async_span_count() == 2);
  CHECK(timeline.span_count() == 0);
  CHECK(timeline.end_time() == SimTime::from_us(30));
  CHECK_THROWS_AS(timeline.add_async_span("gpu0/requests", "x", SimTime::from_us(2), SimTime::from_us(1)),
                  SimulationError);
  std::ostringstream out;
  timeline.write_chrome_trace(out);
  const auto trace = nlohmann::json::parse(out.str());
  std::map<std::int64_t, std::pair<double, double>> by_id;  // id -> (begin, end) in us
  for (const auto& event : trace["traceEvents"]) {
    if (event["ph"] == "b") {
      CHECK(event["cat"] == "async");
      by_id[event["id"]].first = event["ts"];
    }
    if (event["ph"] == "e") by_id[event["id"]].second = event["ts"];
  }
  REQUIRE(by_id.size() == 2);
  CHECK(by_id.at(1) == std::pair<double, double>{0.0, 10.0});
  CHECK(by_id.at(2) == std::pair<double, double>{2.0, 30.0});
}
