#include "traces/kineto/kineto_trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "sim/json_input.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace strata::traces {
namespace {

using sim::JsonLocation;
using sim::JsonObjectReader;

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxRanks = 1'000'000;
// Timestamps are microseconds since some epoch (Kineto: the Unix epoch or the process's clock); durations
// beyond a day of one event are not a trace of a training step.
constexpr double kMaxTimestampUs = 1e17;
constexpr double kMaxDurationUs = 86400e6;

double timestamp(JsonObjectReader& event) {
  const double ts = event.required_number("ts");
  if (!std::isfinite(ts) || std::abs(ts) > kMaxTimestampUs)
    event.location_of("ts").fail("expected a timestamp in microseconds");
  return ts;
}

double duration(JsonObjectReader& event) {
  const double dur = event.required_number("dur");
  if (!(dur >= 0) || dur > kMaxDurationUs)
    event.location_of("dur").fail("expected a duration of 0 to 86400e6 microseconds");
  return dur;
}

std::optional<std::int64_t> optional_integer(JsonObjectReader& object, std::string_view key,
                                             std::int64_t min) {
  if (object.optional(key) == nullptr) return std::nullopt;
  return object.required_integer(key, min, kMaxInt);
}

// "[0, 1, 2]" (PyTorch writes the group's ranks as a string); each rank below kMaxRanks.
std::vector<int> rank_list(const std::string& text, const JsonLocation& where) {
  std::vector<int> ranks;
  std::string_view rest(text);
  const auto skip_spaces = [&] {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  };
  skip_spaces();
  if (rest.empty() || rest.front() != '[') where.fail("expected a list of ranks such as \"[0, 1]\"");
  rest.remove_prefix(1);
  skip_spaces();
  while (!rest.empty() && rest.front() != ']') {
    int rank = -1;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), rank);
    if (error != std::errc() || rank < 0 || rank >= kMaxRanks)
      where.fail("expected ranks from 0 to " + std::to_string(kMaxRanks - 1) + " in \"" + text + "\"");
    ranks.push_back(rank);
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    skip_spaces();
    if (!rest.empty() && rest.front() == ',') {
      rest.remove_prefix(1);
      skip_spaces();
    }
    if (ranks.size() > static_cast<std::size_t>(kMaxRanks)) where.fail("more ranks than a job can have");
  }
  if (rest.empty()) where.fail("the list of ranks \"" + text + "\" has no closing ]");
  return ranks;
}

std::optional<KinetoCollective> collective_of(JsonObjectReader& args) {
  const std::optional<std::string> name = args.optional_string("Collective name");
  if (!name) return std::nullopt;
  KinetoCollective c;
  c.name = *name;
  c.in_elements = optional_integer(args, "In msg nelems", 0).value_or(0);
  c.out_elements = optional_integer(args, "Out msg nelems", 0).value_or(0);
  c.dtype = args.optional_string("dtype").value_or("");
  c.group_size = static_cast<int>(optional_integer(args, "Group size", 1).value_or(0));
  if (c.group_size > kMaxRanks) args.location_of("Group size").fail("more ranks than a job can have");
  if (const auto ranks = args.optional_string("Process Group Ranks"))
    c.ranks = rank_list(*ranks, args.location_of("Process Group Ranks"));
  c.group_name = args.optional_string("Process Group Name").value_or("");
  return c;
}

void read_gpu_op(JsonObjectReader& event, GpuOpKind kind, std::size_t index, KinetoTrace& trace,
                 std::optional<std::int64_t>& device) {
  KinetoGpuOp op;
  op.kind = kind;
  op.event = index;
  op.name = event.required_string("name");
  op.start_us = timestamp(event);
  op.duration_us = duration(event);
  JsonObjectReader args = event.required_object("args");
  op.stream = args.required_integer("stream", 0, kMaxInt);
  op.correlation = optional_integer(args, "correlation", 0);
  if (const auto gpu = optional_integer(args, "device", 0); gpu && !device) device = gpu;
  if (kind != GpuOpKind::kKernel) op.bytes = optional_integer(args, "bytes", 0).value_or(0);
  if (kind == GpuOpKind::kKernel) op.collective = collective_of(args);
  trace.gpu_ops.push_back(std::move(op));
}

void read_runtime_call(JsonObjectReader& event, std::size_t index, KinetoTrace& trace) {
  KinetoRuntimeCall call;
  call.event = index;
  call.name = event.required_string("name");
  call.thread = event.required_integer("tid", std::numeric_limits<std::int64_t>::min(), kMaxInt);
  call.start_us = timestamp(event);
  call.duration_us = duration(event);
  if (event.optional("args") != nullptr) {
    JsonObjectReader args = event.required_object("args");
    call.correlation = optional_integer(args, "correlation", 0);
  }
  trace.runtime_calls.push_back(std::move(call));
}

constexpr std::string_view kStepPrefix = "ProfilerStep#";

}  // namespace

KinetoTrace parse_kineto_trace(const std::string& text, const std::string& source) {
  sim::JsonLimits limits;
  limits.max_file_bytes = std::uintmax_t{2} << 30;
  const nlohmann::json document = sim::parse_json_text(text, source, limits);
  JsonObjectReader root(document, JsonLocation{source, ""});
  KinetoTrace trace;
  trace.source = source;
  if (root.optional("distributedInfo") != nullptr) {
    JsonObjectReader info = root.required_object("distributedInfo");
    trace.world_size = static_cast<int>(optional_integer(info, "world_size", 1).value_or(1));
    if (trace.world_size > kMaxRanks) info.location_of("world_size").fail("more ranks than a job can have");
    trace.rank = static_cast<int>(optional_integer(info, "rank", 0).value_or(0));
    if (trace.rank >= trace.world_size)
      info.location_of("rank").fail("rank " + std::to_string(trace.rank) + " is not below world_size " +
                                    std::to_string(trace.world_size));
  }
  const JsonLocation events_at = root.location_of("traceEvents");
  const auto& events = sim::json_array(root.required("traceEvents"), events_at);
  std::optional<std::int64_t> device;
  for (std::size_t i = 0; i < events.size(); ++i) {
    JsonObjectReader event(events[i], events_at.child(i));
    if (event.optional_string("ph").value_or("") != "X") continue;
    const std::string category = event.optional_string("cat").value_or("");
    if (category == "kernel") {
      read_gpu_op(event, GpuOpKind::kKernel, i, trace, device);
    } else if (category == "gpu_memcpy") {
      read_gpu_op(event, GpuOpKind::kMemcpy, i, trace, device);
    } else if (category == "gpu_memset") {
      read_gpu_op(event, GpuOpKind::kMemset, i, trace, device);
    } else if (category == "cuda_runtime" || category == "cuda_driver") {
      read_runtime_call(event, i, trace);
    } else if (category == "user_annotation" || category == "cpu_op") {
      const std::string name = event.required_string("name");
      if (name.rfind(kStepPrefix, 0) != 0) continue;
      std::int64_t number = -1;
      const std::string_view digits = std::string_view(name).substr(kStepPrefix.size());
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
      if (error != std::errc() || end != digits.data() + digits.size() || number < 0)
        event.location_of("name").fail("expected ProfilerStep#<number>, found \"" + name + "\"");
      trace.steps.push_back({number, timestamp(event), duration(event)});
    }
  }
  std::stable_sort(trace.steps.begin(), trace.steps.end(),
                   [](const KinetoStep& a, const KinetoStep& b) { return a.start_us < b.start_us; });
  if (device && root.optional("deviceProperties") != nullptr) {
    const JsonLocation at = root.location_of("deviceProperties");
    const auto& properties = sim::json_array(*root.optional("deviceProperties"), at);
    for (std::size_t i = 0; i < properties.size(); ++i) {
      JsonObjectReader gpu(properties[i], at.child(i));
      if (gpu.required_integer("id", 0, kMaxInt) == *device) trace.device = gpu.required_string("name");
    }
  }
  return trace;
}

KinetoTrace read_kineto_trace(const std::filesystem::path& path) {
  return parse_kineto_trace(read_maybe_gzip_file(path), path.string());
}

}  // namespace strata::traces
