#include "sim/timeline_recorder.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "sim/error.hpp"
#include "sim/json_text.hpp"

namespace strata::sim {
namespace {

double to_microseconds(SimTime time) { return static_cast<double>(time.ps()) / 1e6; }

nlohmann::json args_to_json(const std::vector<TimelineArg>& args) {
  nlohmann::json object = nlohmann::json::object();
  for (const TimelineArg& arg : args) {
    std::visit([&](const auto& value) { object[arg.key] = value; }, arg.value);
  }
  return object;
}

}  // namespace

TimelineRecorder::TrackIds TimelineRecorder::track_ids(std::string_view track) {
  if (auto found = tracks_.find(track); found != tracks_.end()) return found->second;
  const std::size_t slash = track.find('/');
  const std::string process(track.substr(0, slash));
  const std::string thread(slash == std::string_view::npos ? track : track.substr(slash + 1));
  std::uint32_t pid = 0;
  for (std::size_t i = 0; i < process_names_.size(); ++i) {
    if (process_names_[i] == process) pid = static_cast<std::uint32_t>(i + 1);
  }
  if (pid == 0) {
    process_names_.push_back(process);
    pid = static_cast<std::uint32_t>(process_names_.size());
  }
  thread_names_.emplace_back(pid, thread);
  const TrackIds ids{pid, static_cast<std::uint32_t>(thread_names_.size())};
  tracks_.emplace(std::string(track), ids);
  return ids;
}

void TimelineRecorder::add_span(std::string_view track, std::string name, SimTime start, SimTime end,
                                std::vector<TimelineArg> args) {
  if (end < start) throw SimulationError("timeline span \"" + name + "\" ends before it starts");
  spans_.push_back(Span{track_ids(track), std::move(name), start, end, std::move(args)});
}

void TimelineRecorder::add_async_span(std::string_view track, std::string name, SimTime start, SimTime end,
                                      std::vector<TimelineArg> args) {
  if (end < start) throw SimulationError("timeline span \"" + name + "\" ends before it starts");
  async_spans_.push_back(Span{track_ids(track), std::move(name), start, end, std::move(args)});
}

void TimelineRecorder::add_counter(std::string_view track, std::string name, SimTime at, double value) {
  counters_.push_back(Counter{track_ids(track), std::move(name), at, value});
}

void TimelineRecorder::add_flow(std::string_view from_track, SimTime from, std::string_view to_track,
                                SimTime to, std::string name) {
  if (to < from) throw SimulationError("timeline flow \"" + name + "\" arrives before it leaves");
  const TrackIds source = track_ids(from_track);
  flows_.push_back(Flow{source, from, track_ids(to_track), to, std::move(name)});
}

SimTime TimelineRecorder::end_time() const {
  SimTime latest;
  for (const Span& span : spans_) latest = std::max(latest, span.end);
  for (const Span& span : async_spans_) latest = std::max(latest, span.end);
  return latest;
}

std::vector<TimelineRecorder::SpanRecord> TimelineRecorder::spans_between(SimTime from, SimTime to,
                                                                          std::size_t limit) const {
  std::vector<SpanRecord> out;
  for (const Span& span : spans_) {
    if (out.size() >= limit) break;
    if (span.end <= from || span.start >= to) continue;
    const auto& [pid, thread] = thread_names_[span.track.tid - 1];
    out.push_back(SpanRecord{process_names_[pid - 1], thread, span.name, span.start, span.end});
  }
  return out;
}

void TimelineRecorder::write_chrome_trace(std::ostream& out) const {
  nlohmann::json events = nlohmann::json::array();
  for (std::size_t i = 0; i < process_names_.size(); ++i) {
    const auto pid = static_cast<std::uint32_t>(i + 1);
    events.push_back(
        {{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"args", {{"name", process_names_[i]}}}});
    events.push_back(
        {{"ph", "M"}, {"name", "process_sort_index"}, {"pid", pid}, {"args", {{"sort_index", pid}}}});
  }
  for (std::size_t i = 0; i < thread_names_.size(); ++i) {
    const auto tid = static_cast<std::uint32_t>(i + 1);
    const auto& [pid, name] = thread_names_[i];
    events.push_back(
        {{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}});
    events.push_back({{"ph", "M"},
                      {"name", "thread_sort_index"},
                      {"pid", pid},
                      {"tid", tid},
                      {"args", {{"sort_index", tid}}}});
  }
  for (const Span& span : spans_) {
    nlohmann::json event = {{"ph", "X"},
                            {"name", span.name},
                            {"pid", span.track.pid},
                            {"tid", span.track.tid},
                            {"ts", to_microseconds(span.start)},
                            {"dur", to_microseconds(span.end - span.start)}};
    if (!span.args.empty()) event["args"] = args_to_json(span.args);
    events.push_back(std::move(event));
  }
  for (std::size_t i = 0; i < async_spans_.size(); ++i) {
    const Span& span = async_spans_[i];
    nlohmann::json begin = {{"ph", "b"},
                            {"cat", "async"},
                            {"id", i + 1},
                            {"name", span.name},
                            {"pid", span.track.pid},
                            {"tid", span.track.tid},
                            {"ts", to_microseconds(span.start)}};
    if (!span.args.empty()) begin["args"] = args_to_json(span.args);
    events.push_back(std::move(begin));
    events.push_back({{"ph", "e"},
                      {"cat", "async"},
                      {"id", i + 1},
                      {"name", span.name},
                      {"pid", span.track.pid},
                      {"tid", span.track.tid},
                      {"ts", to_microseconds(span.end)}});
  }
  for (const Counter& counter : counters_) {
    events.push_back({{"ph", "C"},
                      {"name", counter.name},
                      {"pid", counter.track.pid},
                      {"tid", counter.track.tid},
                      {"ts", to_microseconds(counter.at)},
                      {"args", {{"value", counter.value}}}});
  }
  for (std::size_t i = 0; i < flows_.size(); ++i) {
    const Flow& flow = flows_[i];
    events.push_back({{"ph", "s"},
                      {"id", i + 1},
                      {"name", flow.name},
                      {"cat", "flow"},
                      {"pid", flow.from.pid},
                      {"tid", flow.from.tid},
                      {"ts", to_microseconds(flow.from_at)}});
    events.push_back({{"ph", "f"},
                      {"bp", "e"},
                      {"id", i + 1},
                      {"name", flow.name},
                      {"cat", "flow"},
                      {"pid", flow.to.pid},
                      {"tid", flow.to.tid},
                      {"ts", to_microseconds(flow.to_at)}});
  }
  const nlohmann::json document = {{"displayTimeUnit", "ns"}, {"traceEvents", std::move(events)}};
  out << json_text(document, 1) << '\n';
}

}  // namespace strata::sim
