// Records what happened when: spans (a task on a track, from start to end) and counters (a value on a track
// at a time), and exports them as Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and
// chrome://tracing open.
//
// A track is named "process/thread" (e.g. "gpu3/compute", "link/nvswitch0-up"); a name without '/' is both.
// Processes and threads get ids in order of first appearance, so the export is deterministic.
// Format: Chrome "Trace Event Format" (JSON object form, traceEvents array; ts and dur in microseconds).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/sim_time.hpp"

namespace strata::sim {

struct TimelineArg {
  std::string key;
  std::variant<std::string, std::int64_t, double> value;
};

class TimelineRecorder {
 public:
  // end must not be before start (SimulationError).
  void add_span(std::string_view track, std::string name, SimTime start, SimTime end,
                std::vector<TimelineArg> args = {});
  void add_counter(std::string_view track, std::string name, SimTime at, double value);
  // An arrow from the slice on `from_track` enclosing `from` to the slice on `to_track` enclosing `to` (a
  // send to its receive); Chrome flow events "s" and "f" (binding to the enclosing slice).
  void add_flow(std::string_view from_track, SimTime from, std::string_view to_track, SimTime to,
                std::string name);

  // A span that may overlap others on its track (a request in flight while other requests are): Chrome
  // async events "b" and "e" with the span's index as id, which Perfetto shows on rows of their own.
  void add_async_span(std::string_view track, std::string name, SimTime start, SimTime end,
                      std::vector<TimelineArg> args = {});
  std::size_t span_count() const { return spans_.size(); }
  std::size_t async_span_count() const { return async_spans_.size(); }
  // The latest end of any span (async ones too); zero when none was recorded.
  SimTime end_time() const;

  // The spans that overlap [from, to), at most `limit` of them in recording order, with their track names
  // ("process/thread"). For excerpts in reports.
  struct SpanRecord {
    std::string process;
    std::string thread;
    std::string name;
    SimTime start;
    SimTime end;
  };
  std::vector<SpanRecord> spans_between(SimTime from, SimTime to, std::size_t limit) const;
  std::size_t counter_count() const { return counters_.size(); }
  std::size_t flow_count() const { return flows_.size(); }

  // Writes the whole timeline as one JSON document.
  void write_chrome_trace(std::ostream& out) const;

 private:
  struct TrackIds {
    std::uint32_t pid;
    std::uint32_t tid;
  };
  struct Span {
    TrackIds track;
    std::string name;
    SimTime start;
    SimTime end;
    std::vector<TimelineArg> args;
  };
  struct Counter {
    TrackIds track;
    std::string name;
    SimTime at;
    double value;
  };
  struct Flow {
    TrackIds from;
    SimTime from_at;
    TrackIds to;
    SimTime to_at;
    std::string name;
  };

  TrackIds track_ids(std::string_view track);

  std::vector<std::string> process_names_;                           // pid - 1 -> name
  std::vector<std::pair<std::uint32_t, std::string>> thread_names_;  // tid - 1 -> (pid, name)
  std::map<std::string, TrackIds, std::less<>> tracks_;
  std::vector<Span> spans_;
  std::vector<Span> async_spans_;
  std::vector<Counter> counters_;
  std::vector<Flow> flows_;
};

}  // namespace strata::sim
