#include "traces/kineto/kineto_trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "sim/json_input.hpp"
#include "traces/kineto/gemm_operators.hpp"
#include "traces/kineto/kineto_event_stream.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace strata::traces {
namespace {

using sim::JsonLocation;
using sim::JsonObjectReader;
using Type = KinetoRawValue::Type;

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxRanks = 1'000'000;
// Timestamps are microseconds since some epoch (Kineto: the Unix epoch or the process's clock); durations
// beyond a day of one event are not a trace of a training step.
constexpr double kMaxTimestampUs = 1e17;
constexpr double kMaxDurationUs = 86400e6;

// Typed, checked access to one raw event's values. The value's JSON location is built only for a message.
class EventValues {
 public:
  EventValues(const KinetoRawEvent& event, const std::string& source) : event_(event), source_(source) {}

  JsonLocation location() const {
    return JsonLocation{source_, "/traceEvents/" + std::to_string(event_.index)};
  }
  JsonLocation args_location() const { return location().child("args"); }
  JsonLocation location_of(KinetoEventField f) const {
    return location().child(kKinetoEventKeys[static_cast<std::size_t>(f)]);
  }
  JsonLocation location_of(KinetoArgField f) const {
    return args_location().child(kKinetoArgKeys[static_cast<std::size_t>(f)]);
  }

  // The element itself must be an object; "args", where `required`, too.
  void require_object() const {
    if (event_.type != Type::kObject) JsonObjectReader(raw_of(event_.type).to_json(), location());
  }
  bool has_args(bool required) const {
    if (event_.args_type == Type::kAbsent) {
      if (required) location().fail("missing required key \"args\"");
      return false;
    }
    if (event_.args_type != Type::kObject)
      JsonObjectReader(raw_of(event_.args_type).to_json(), args_location());
    return true;
  }

  template <class Field>
  bool has(Field f) const {
    return event_[f].present();
  }
  // An argument kept as JSON (kKinetoCapturedArgs): the list or object it was, or the raw value otherwise.
  nlohmann::json json(KinetoArgField f) const {
    const KinetoRawValue& v = event_[f];
    return v.type == Type::kArray || v.type == Type::kObject ? v.json : v.to_json();
  }
  template <class Field>
  std::optional<std::string_view> optional_string(Field f) const {
    const KinetoRawValue& v = event_[f];
    if (!v.present()) return std::nullopt;
    if (v.type != Type::kString) sim::json_string(v.to_json(), location_of(f));
    return std::string_view(v.text);
  }
  template <class Field>
  std::string_view required_string(Field f) const {
    require(f);
    return *optional_string(f);
  }
  template <class Field>
  double required_number(Field f) const {
    require(f);
    const KinetoRawValue& v = event_[f];
    switch (v.type) {
      case Type::kFloat: return v.number;
      case Type::kInteger: return static_cast<double>(v.integer);
      case Type::kUnsigned: return static_cast<double>(v.unsigned_integer);
      default: return sim::json_number(v.to_json(), location_of(f));
    }
  }
  template <class Field>
  std::optional<std::int64_t> optional_integer(Field f, std::int64_t min, std::int64_t max = kMaxInt) const {
    const KinetoRawValue& v = event_[f];
    if (!v.present()) return std::nullopt;
    if (v.type == Type::kInteger && v.integer >= min && v.integer <= max) return v.integer;
    return sim::json_integer(v.to_json(), location_of(f), min, max);  // unsigned, or a message
  }
  template <class Field>
  std::int64_t required_integer(Field f, std::int64_t min, std::int64_t max = kMaxInt) const {
    require(f);
    return *optional_integer(f, min, max);
  }

  double timestamp() const {
    const double ts = required_number(KinetoEventField::kTs);
    if (!std::isfinite(ts) || std::abs(ts) > kMaxTimestampUs)
      location_of(KinetoEventField::kTs).fail("expected a timestamp in microseconds");
    return ts;
  }
  double duration() const {
    const double dur = required_number(KinetoEventField::kDur);
    if (!(dur >= 0) || dur > kMaxDurationUs)
      location_of(KinetoEventField::kDur).fail("expected a duration of 0 to 86400e6 microseconds");
    return dur;
  }

 private:
  static KinetoRawValue raw_of(Type type) {
    KinetoRawValue v;
    v.type = type;
    return v;
  }
  void require(KinetoEventField f) const {
    if (!event_[f].present())
      location().fail("missing required key \"" + std::string(kKinetoEventKeys[static_cast<std::size_t>(f)]) +
                      "\"");
  }
  void require(KinetoArgField f) const {
    if (!event_[f].present())
      args_location().fail("missing required key \"" +
                           std::string(kKinetoArgKeys[static_cast<std::size_t>(f)]) + "\"");
  }

  const KinetoRawEvent& event_;
  const std::string& source_;
};

// "[0, 1, 2]" (PyTorch writes the group's ranks as a string); each rank below kMaxRanks.
std::vector<int> rank_list(std::string_view text, const EventValues& event) {
  const auto fail = [&](const std::string& detail) {
    event.location_of(KinetoArgField::kGroupRanks).fail(detail);
  };
  std::vector<int> ranks;
  std::string_view rest(text);
  const auto skip_spaces = [&] {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  };
  skip_spaces();
  if (rest.empty() || rest.front() != '[') fail("expected a list of ranks such as \"[0, 1]\"");
  rest.remove_prefix(1);
  skip_spaces();
  while (!rest.empty() && rest.front() != ']') {
    int rank = -1;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), rank);
    if (error != std::errc() || rank < 0 || rank >= kMaxRanks)
      fail("expected ranks from 0 to " + std::to_string(kMaxRanks - 1) + " in \"" + std::string(text) + "\"");
    ranks.push_back(rank);
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    skip_spaces();
    if (!rest.empty() && rest.front() == ',') {
      rest.remove_prefix(1);
      skip_spaces();
    }
    if (ranks.size() > static_cast<std::size_t>(kMaxRanks)) fail("more ranks than a job can have");
  }
  if (rest.empty()) fail("the list of ranks \"" + std::string(text) + "\" has no closing ]");
  return ranks;
}

std::shared_ptr<const KinetoCollective> collective_of(const EventValues& event) {
  const std::optional<std::string_view> name = event.optional_string(KinetoArgField::kCollectiveName);
  if (!name) return nullptr;
  auto collective = std::make_shared<KinetoCollective>();
  KinetoCollective& c = *collective;
  c.name = *name;
  c.in_elements = event.optional_integer(KinetoArgField::kInMsgNelems, 0).value_or(0);
  c.out_elements = event.optional_integer(KinetoArgField::kOutMsgNelems, 0).value_or(0);
  c.dtype = event.optional_string(KinetoArgField::kDtype).value_or("");
  c.group_size =
      static_cast<int>(event.optional_integer(KinetoArgField::kGroupSize, 1, kMaxRanks).value_or(0));
  if (const auto ranks = event.optional_string(KinetoArgField::kGroupRanks))
    c.ranks = rank_list(*ranks, event);
  c.group_name = event.optional_string(KinetoArgField::kGroupName).value_or("");
  c.group_description = event.optional_string(KinetoArgField::kGroupDescription).value_or("");
  return collective;
}

void read_gpu_op(const EventValues& event, GpuOpKind kind, std::size_t index, KinetoTrace& trace,
                 std::optional<std::int64_t>& device) {
  KinetoGpuOp op;
  op.kind = kind;
  op.event = index;
  op.name = trace.names->intern(event.required_string(KinetoEventField::kName));
  op.start_us = event.timestamp();
  op.duration_us = event.duration();
  event.has_args(true);
  op.stream = event.required_integer(KinetoArgField::kStream, 0);
  op.correlation = event.optional_integer(KinetoArgField::kCorrelation, 0);
  if (const auto gpu = event.optional_integer(KinetoArgField::kDevice, 0); gpu && !device) device = gpu;
  if (kind != GpuOpKind::kKernel) op.bytes = event.optional_integer(KinetoArgField::kBytes, 0).value_or(0);
  if (kind == GpuOpKind::kKernel) op.collective = collective_of(event);
  trace.gpu_ops.push_back(std::move(op));
}

// What every span on a CPU thread has (runtime calls, operators): its event, name, thread and time.
template <class CpuSpan>
CpuSpan read_cpu_span(const EventValues& event, std::size_t index, KinetoTrace& trace) {
  CpuSpan span;
  span.event = index;
  span.name = trace.names->intern(event.required_string(KinetoEventField::kName));
  span.thread = event.required_integer(KinetoEventField::kTid, std::numeric_limits<std::int64_t>::min());
  span.start_us = event.timestamp();
  span.duration_us = event.duration();
  return span;
}

void read_runtime_call(const EventValues& event, std::size_t index, KinetoTrace& trace) {
  KinetoRuntimeCall call = read_cpu_span<KinetoRuntimeCall>(event, index, trace);
  if (event.has_args(false)) call.correlation = event.optional_integer(KinetoArgField::kCorrelation, 0);
  trace.runtime_calls.push_back(std::move(call));
}

constexpr std::string_view kStepPrefix = "ProfilerStep#";

// A GEMM operator with its inputs' shapes and types, where the trace recorded them (otherwise skipped).
void read_gemm_op(const EventValues& event, std::size_t index, KinetoTrace& trace) {
  if (!event.has_args(false) || !event.has(KinetoArgField::kInputDims)) return;
  KinetoGemmOp op = read_cpu_span<KinetoGemmOp>(event, index, trace);
  const JsonLocation dims_at = event.location_of(KinetoArgField::kInputDims);
  const nlohmann::json dims_value = event.json(KinetoArgField::kInputDims);
  const auto& inputs = sim::json_array(dims_value, dims_at);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& extents = sim::json_array(inputs[i], dims_at.child(i));
    std::vector<std::int64_t>& dims = op.input_dims.emplace_back();
    for (std::size_t d = 0; d < extents.size(); ++d)
      dims.push_back(sim::json_integer(extents[d], dims_at.child(i).child(d), 0, kMaxInt));
  }
  if (event.has(KinetoArgField::kInputType)) {
    const JsonLocation types_at = event.location_of(KinetoArgField::kInputType);
    const nlohmann::json types_value = event.json(KinetoArgField::kInputType);
    const auto& types = sim::json_array(types_value, types_at);
    const std::size_t first = gemm_first_matrix(op.name);
    if (first < types.size())
      op.first_matrix_type = trace.names->intern(sim::json_string(types[first], types_at.child(first)));
  }
  trace.gemm_ops.push_back(std::move(op));
}

// Turns each raw event into what replay reads; the document's small parts are read once streaming is done.
class TraceBuilder {
 public:
  explicit TraceBuilder(const std::string& source) { trace_.source = source; }

  void add(const KinetoRawEvent& raw) {
    const EventValues event(raw, trace_.source);
    event.require_object();
    if (event.optional_string(KinetoEventField::kPh).value_or("") != "X") return;
    const std::string_view category = event.optional_string(KinetoEventField::kCat).value_or("");
    if (category == "kernel") {
      read_gpu_op(event, GpuOpKind::kKernel, raw.index, trace_, device_);
    } else if (category == "gpu_memcpy") {
      read_gpu_op(event, GpuOpKind::kMemcpy, raw.index, trace_, device_);
    } else if (category == "gpu_memset") {
      read_gpu_op(event, GpuOpKind::kMemset, raw.index, trace_, device_);
    } else if (category == "cuda_runtime" || category == "cuda_driver") {
      read_runtime_call(event, raw.index, trace_);
    } else if (category == "user_annotation" || category == "cpu_op") {
      const std::string_view name = event.required_string(KinetoEventField::kName);
      if (category == "cpu_op" && is_gemm_operator(name)) {
        read_gemm_op(event, raw.index, trace_);
        return;
      }
      if (name.rfind(kStepPrefix, 0) != 0) return;
      std::int64_t number = -1;
      const std::string_view digits = name.substr(kStepPrefix.size());
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
      if (error != std::errc() || end != digits.data() + digits.size() || number < 0)
        event.location_of(KinetoEventField::kName)
            .fail("expected ProfilerStep#<number>, found \"" + std::string(name) + "\"");
      trace_.steps.push_back({number, event.timestamp(), event.duration()});
    }
  }

  KinetoTrace finish(const KinetoDocumentParts& parts) {
    const JsonLocation root{trace_.source, ""};
    if (!parts.root_is_object) root.fail("expected a JSON object (a Chrome-trace document)");
    if (parts.trace_events == KinetoRawValue::Type::kAbsent)
      root.fail("missing required key \"traceEvents\"");
    if (parts.trace_events != KinetoRawValue::Type::kArray) {
      KinetoRawValue events;
      events.type = parts.trace_events;
      sim::json_array(events.to_json(), root.child("traceEvents"));
    }
    if (!parts.distributed_info.is_null()) {
      JsonObjectReader info(parts.distributed_info, root.child("distributedInfo"));
      const auto integer = [&](std::string_view key, std::int64_t min, std::int64_t fallback) {
        return info.optional(key) == nullptr ? fallback : info.required_integer(key, min, kMaxRanks);
      };
      trace_.world_size = static_cast<int>(integer("world_size", 1, 1));
      trace_.rank = static_cast<int>(integer("rank", 0, 0));
      if (trace_.rank >= trace_.world_size)
        info.location_of("rank").fail("rank " + std::to_string(trace_.rank) + " is not below world_size " +
                                      std::to_string(trace_.world_size));
    }
    std::stable_sort(trace_.steps.begin(), trace_.steps.end(),
                     [](const KinetoStep& a, const KinetoStep& b) { return a.start_us < b.start_us; });
    if (device_ && !parts.device_properties.is_null()) {
      const JsonLocation at = root.child("deviceProperties");
      const auto& properties = sim::json_array(parts.device_properties, at);
      for (std::size_t i = 0; i < properties.size(); ++i) {
        JsonObjectReader gpu(properties[i], at.child(i));
        if (gpu.required_integer("id", 0, kMaxInt) == *device_) trace_.device = gpu.required_string("name");
      }
    }
    return std::move(trace_);
  }

 private:
  KinetoTrace trace_;
  std::optional<std::int64_t> device_;  // the GPU of the first event that names one
};

}  // namespace

std::string_view KinetoNamePool::intern(std::string_view name) {
  if (const auto found = index_.find(name); found != index_.end()) return *found;
  const std::string_view kept = storage_.emplace_back(name);
  index_.insert(kept);
  return kept;
}

namespace {

// Only GEMM operators' shapes are read (read_gemm_op).
KinetoStreamOptions stream_options() {
  KinetoStreamOptions options;
  options.wants_captured_args = [](std::string_view name) { return is_gemm_operator(name); };
  return options;
}

template <class Text>
KinetoTrace read_trace(Text& text, const std::string& source) {
  TraceBuilder builder(source);
  const KinetoDocumentParts parts = stream_kineto_events(
      text, source, [&](const KinetoRawEvent& event) { builder.add(event); }, stream_options());
  return builder.finish(parts);
}

}  // namespace

KinetoTrace parse_kineto_trace(std::string_view text, const std::string& source) {
  return read_trace(text, source);
}

KinetoTrace read_kineto_trace(std::streambuf& text, const std::string& source) {
  return read_trace(text, source);
}

KinetoTrace read_kineto_trace(const std::filesystem::path& path) {
  return read_kineto_trace(*open_maybe_gzip_file(path), path.string());
}

}  // namespace strata::traces
