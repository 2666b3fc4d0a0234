#include "traces/graph_file.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

#include "models/framework/framework_profile.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"
#include "sim/json_text.hpp"

namespace strata::traces {
namespace {

using models::ComputeKind;
using models::TaskType;
using sim::JsonLocation;
using sim::JsonObjectReader;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// A generated task's pass, micro-batch, chunk and layer; only the fields that are set.
nlohmann::json origin_json(const models::TaskOrigin& o) {
  nlohmann::json origin = nlohmann::json::object();
  if (o.pass) origin["pass"] = models::kPassKindNames.name(*o.pass);
  if (o.micro_batch != models::TaskOrigin::kNone) origin["micro_batch"] = o.micro_batch;
  if (o.chunk != models::TaskOrigin::kNone) origin["chunk"] = o.chunk;
  if (o.layer != models::TaskOrigin::kNone) origin["layer"] = o.layer;
  return origin;
}

models::TaskOrigin read_origin(JsonObjectReader r) {
  models::TaskOrigin o;
  if (const auto pass = r.optional_string("pass")) {
    o.pass = models::kPassKindNames.value(*pass);
    if (!o.pass)
      r.location_of("pass").fail("expected " + models::kPassKindNames.choices() + ", found \"" + *pass +
                                 "\"");
  }
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  if (r.optional("micro_batch") != nullptr) o.micro_batch = r.required_integer("micro_batch", 0, kMax);
  if (r.optional("chunk") != nullptr) o.chunk = static_cast<int>(r.required_integer("chunk", 0, kMaxInt));
  if (r.optional("layer") != nullptr) o.layer = static_cast<int>(r.required_integer("layer", 0, kMaxInt));
  r.finish();
  return o;
}

nlohmann::json task_json(const models::Task& t) {
  nlohmann::json task = {{"id", t.id},         {"rank", t.rank},
                         {"stream", t.stream}, {"type", models::kTaskTypeNames.name(t.type)},
                         {"name", t.name},     {"category", t.category},
                         {"deps", t.deps}};
  if (!t.origin.empty()) task["origin"] = origin_json(t.origin);
  switch (t.type) {
    case TaskType::kCompute:
      if (t.compute.kind == ComputeKind::kGemm) {
        task["compute"] = {{"kind", models::kComputeKindNames.name(ComputeKind::kGemm)},
                           {"m", t.compute.gemm.m},
                           {"n", t.compute.gemm.n},
                           {"k", t.compute.gemm.k},
                           {"batch", t.compute.gemm.batch},
                           {"dtype", models::dtype_name(t.compute.dtype)}};
        if (t.compute.gemm.reserved_sms > 0) task["compute"]["reserved_sms"] = t.compute.gemm.reserved_sms;
      } else {
        task["compute"] = {{"kind", models::kComputeKindNames.name(t.compute.kind)},
                           {"flops", t.compute.flops},
                           {"bytes", t.compute.bytes}};
        if (t.compute.kernels != 1) task["compute"]["kernels"] = t.compute.kernels;
        if (t.compute.host_per_kernel > sim::SimTime::zero())
          task["compute"]["host_per_kernel"] = std::to_string(t.compute.host_per_kernel.ps()) + "ps";
        if (t.compute.kind == ComputeKind::kAttention &&
            t.compute.attention_kernel != models::FusedAttentionKernel::kFlashAttention2) {
          task["compute"]["attention_kernel"] =
              models::kFusedAttentionKernelNames.name(t.compute.attention_kernel);
        }
        // A measured (or priced) kernel keeps its duration exactly, in picoseconds.
        if (t.compute.has_duration()) {
          task["compute"]["duration"] = std::to_string(t.compute.duration.ps()) + "ps";
        }
      }
      break;
    case TaskType::kCollective:
      task["collective"] = {{"op", models::collective_op_name(t.collective.op)},
                            {"bytes", t.collective.bytes},
                            {"group", t.collective.group},
                            {"instance", t.collective.instance}};
      if (!t.collective.holds_sms) task["collective"]["holds_sms"] = false;
      break;
    case TaskType::kSend:
    case TaskType::kRecv:
      task["p2p"] = {{"peer", t.p2p.peer}, {"bytes", t.p2p.bytes}, {"tag", t.p2p.tag}};
      if (!t.p2p.holds_sms) task["p2p"]["holds_sms"] = false;
      break;
    case TaskType::kMemory:
      task["memory"] = {{"bytes", t.memory.bytes}, {"category", t.memory.category}};
      break;
    case TaskType::kHostTransfer:
      task["transfer"] = {{"from", std::string(models::memory_tier_name(t.transfer.from))},
                          {"to", std::string(models::memory_tier_name(t.transfer.to))},
                          {"bytes", t.transfer.bytes}};
      break;
  }
  return task;
}

double non_negative(const nlohmann::json& value, const JsonLocation& where) {
  const double number = sim::json_number(value, where);
  if (!(number >= 0)) where.fail("must not be negative");
  return number;
}

// What one kernel may claim: a zettaFLOP (eleven days of a 1 PFLOP/s GPU) and an exbibyte, far beyond any
// real kernel and within the 64-bit counts the cost models convert them to.
constexpr double kMaxKernelFlops = 1e21;
constexpr double kMaxKernelBytes = 0x1p60;
// Kernels one memory-bound task may stand for (ComputeSpec::kernels): a copy per rank of the largest group.
constexpr std::int64_t kMaxKernelsPerTask = 1'000'000;

double bounded(const nlohmann::json& value, const JsonLocation& where, double max) {
  const double number = non_negative(value, where);
  if (number > max) where.fail("at most " + sim::json_text(max) + " for one kernel, found " + value.dump());
  return number;
}

models::Task read_task(const nlohmann::json& value, const JsonLocation& where, std::size_t index) {
  JsonObjectReader r(value, where);
  models::Task t;
  t.id = static_cast<models::TaskId>(r.required_integer("id", 0, std::numeric_limits<models::TaskId>::max()));
  if (t.id != index)
    r.location_of("id").fail("expected " + std::to_string(index) + ": ids are dense and in order");
  t.rank = static_cast<int>(r.required_integer("rank", 0, std::numeric_limits<int>::max()));
  t.stream = static_cast<int>(r.required_integer("stream", 0, std::numeric_limits<int>::max()));
  const std::string type_word = r.required_string("type");
  const std::optional<TaskType> type = models::kTaskTypeNames.value(type_word);
  if (!type)
    r.location_of("type").fail("expected " + models::kTaskTypeNames.choices() + ", found \"" + type_word +
                               "\"");
  t.type = *type;
  t.name = r.required_string("name");
  t.category = r.optional_string("category").value_or("");
  const auto& deps = sim::json_array(r.required("deps"), r.location_of("deps"));
  for (std::size_t i = 0; i < deps.size(); ++i) {
    t.deps.push_back(
        static_cast<models::TaskId>(sim::json_integer(deps[i], r.location_of("deps").child(i), 0, index)));
  }
  if (r.optional("origin") != nullptr) t.origin = read_origin(r.required_object("origin"));
  if (t.type == TaskType::kCompute) {
    JsonObjectReader c = r.required_object("compute");
    const std::string kind = c.required_string("kind");
    const std::optional<ComputeKind> parsed_kind = models::kComputeKindNames.value(kind);
    if (!parsed_kind)
      c.location_of("kind").fail("expected " + models::kComputeKindNames.choices() + ", found \"" + kind +
                                 "\"");
    t.compute.kind = *parsed_kind;
    if (t.compute.kind == ComputeKind::kGemm) {
      t.compute.gemm = {c.required_integer("m", 1, kMax), c.required_integer("n", 1, kMax),
                        c.required_integer("k", 1, kMax), c.required_integer("batch", 1, kMax)};
      if (c.optional("reserved_sms") != nullptr)
        t.compute.gemm.reserved_sms = c.required_integer("reserved_sms", 0, 4096);
      const std::string dtype = c.required_string("dtype");
      const auto parsed = models::dtype_from_name(dtype);
      if (!parsed) c.location_of("dtype").fail("unknown dtype \"" + dtype + "\"");
      t.compute.dtype = *parsed;
    } else {
      t.compute.flops = bounded(c.required("flops"), c.location_of("flops"), kMaxKernelFlops);
      t.compute.bytes = bounded(c.required("bytes"), c.location_of("bytes"), kMaxKernelBytes);
      if (c.optional("kernels") != nullptr) {
        if (t.compute.kind != ComputeKind::kMemoryBound)
          c.location_of("kernels").fail("has no effect: only a memory-bound task stands for several kernels");
        t.compute.kernels = c.required_integer("kernels", 1, kMaxKernelsPerTask);
      }
      if (const nlohmann::json* host = c.optional("host_per_kernel")) {
        if (t.compute.kind != ComputeKind::kMemoryBound)
          c.location_of("host_per_kernel")
              .fail("has no effect: only a memory-bound task has host work per kernel");
        t.compute.host_per_kernel = sim::json_duration(*host, c.location_of("host_per_kernel"));
        if (t.compute.host_per_kernel > models::kMaxHostPerKernel)
          c.location_of("host_per_kernel").fail("at most 1s of host work per kernel, found " + host->dump());
      }
      if (const nlohmann::json* kernel = c.optional("attention_kernel")) {
        if (t.compute.kind != ComputeKind::kAttention)
          c.location_of("attention_kernel").fail("has no effect: only an attention kernel has one");
        t.compute.attention_kernel =
            sim::json_word(*kernel, c.location_of("attention_kernel"), models::kFusedAttentionKernelNames);
      }
      if (t.compute.has_duration()) {
        t.compute.duration = sim::json_duration(c.required("duration"), c.location_of("duration"));
      }
    }
    c.finish();
  } else if (t.type == TaskType::kCollective) {
    JsonObjectReader c = r.required_object("collective");
    const std::string op = c.required_string("op");
    const auto parsed = models::collective_op_from_name(op);
    if (!parsed) c.location_of("op").fail("unknown collective \"" + op + "\"");
    t.collective.op = *parsed;
    t.collective.bytes = c.required_integer("bytes", 0, kMax);
    t.collective.group = static_cast<int>(c.required_integer("group", 0, std::numeric_limits<int>::max()));
    t.collective.instance = static_cast<std::uint64_t>(c.required_integer("instance", 0, kMax));
    if (const nlohmann::json* holds = c.optional("holds_sms"))
      t.collective.holds_sms = sim::json_bool(*holds, c.location_of("holds_sms"));
    c.finish();
  } else if (t.type == TaskType::kSend || t.type == TaskType::kRecv) {
    JsonObjectReader p = r.required_object("p2p");
    t.p2p.peer = static_cast<int>(p.required_integer("peer", 0, std::numeric_limits<int>::max()));
    t.p2p.bytes = p.required_integer("bytes", 0, kMax);
    t.p2p.tag = static_cast<std::uint64_t>(p.required_integer("tag", 0, kMax));
    if (const nlohmann::json* holds = p.optional("holds_sms"))
      t.p2p.holds_sms = sim::json_bool(*holds, p.location_of("holds_sms"));
    p.finish();
  } else if (t.type == TaskType::kMemory) {
    JsonObjectReader m = r.required_object("memory");
    t.memory.bytes = m.required_integer("bytes", -kMax, kMax);
    t.memory.category = m.required_string("category");
    m.finish();
  } else {
    JsonObjectReader h = r.required_object("transfer");
    const auto tier = [&h](const char* key) {
      const std::string name = h.required_string(key);
      const auto parsed = models::memory_tier_from_name(name);
      if (!parsed) h.location_of(key).fail("expected hbm, host or nvme, found \"" + name + "\"");
      return *parsed;
    };
    t.transfer.from = tier("from");
    t.transfer.to = tier("to");
    t.transfer.bytes = h.required_integer("bytes", 0, kMax);
    h.finish();
  }
  r.finish();
  return t;
}

}  // namespace

nlohmann::json graph_to_json(const models::ExecutionGraph& graph, const nlohmann::json& metadata) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& group : graph.groups) {
    nlohmann::json entry = {{"kind", group.kind}, {"ranks", group.ranks}};
    if (!group.gpus.empty()) entry["gpus"] = group.gpus;
    groups.push_back(std::move(entry));
  }
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& task : graph.tasks) tasks.push_back(task_json(task));
  nlohmann::json document = {{"strata_graph", kGraphFormatVersion},
                             {"metadata", metadata.is_null() ? nlohmann::json::object() : metadata},
                             {"ranks", graph.ranks},
                             {"streams", graph.streams},
                             {"groups", groups},
                             {"tasks", tasks}};
  if (graph.gpus != 0) document["gpus"] = graph.gpus;
  if (!graph.gpu_of_rank.empty()) document["gpu_of_rank"] = graph.gpu_of_rank;
  return document;
}

std::string graph_to_text(const models::ExecutionGraph& graph, const nlohmann::json& metadata) {
  models::ExecutionGraph shape = graph;
  shape.tasks.clear();
  nlohmann::json head = graph_to_json(shape, metadata);
  head.erase("tasks");
  std::string text = sim::json_text(head, 1);
  text.pop_back();  // the closing brace
  text += ",\n \"tasks\": [\n";
  for (std::size_t i = 0; i < graph.tasks.size(); ++i) {
    text += "  " + sim::json_text(task_json(graph.tasks[i])) + (i + 1 < graph.tasks.size() ? ",\n" : "\n");
  }
  return text + " ]\n}\n";
}

namespace {

GraphMetadata read_metadata(const nlohmann::json& value, const JsonLocation& where) {
  JsonObjectReader r(value, where);
  GraphMetadata metadata;
  metadata.strategy = r.optional_string("strategy").value_or("");
  const auto figure = [&r](const char* key, double fallback) {
    const nlohmann::json* found = r.optional(key);
    return found == nullptr ? fallback : non_negative(*found, r.location_of(key));
  };
  metadata.tokens_per_step = figure("tokens_per_step", 0);
  metadata.model_flops_per_step = figure("model_flops_per_step", 0);
  metadata.hardware_flops_per_step = figure("hardware_flops_per_step", metadata.model_flops_per_step);
  if (r.optional("steps") != nullptr) metadata.steps = r.required_integer("steps", 1, 1'000'000'000);
  metadata.measured_step_time_s = figure("measured_step_time_s", 0);
  r.keys();  // the rest are free-form notes
  return metadata;
}

}  // namespace

models::ExecutionGraph graph_from_json(const nlohmann::json& document, const std::string& source,
                                       GraphMetadata* metadata) {
  JsonObjectReader root(document, JsonLocation{source, ""});
  if (root.required_integer("strata_graph", 0, kMax) != kGraphFormatVersion) {
    root.location_of("strata_graph")
        .fail("unsupported graph format version (this Strata reads " + std::to_string(kGraphFormatVersion) +
              ")");
  }
  GraphMetadata read;
  if (const nlohmann::json* found = root.optional("metadata"))
    read = read_metadata(*found, root.location_of("metadata"));
  if (metadata != nullptr) *metadata = read;
  const auto& tasks = sim::json_array(root.required("tasks"), root.location_of("tasks"));
  if (tasks.empty()) root.location_of("tasks").fail("a graph needs at least one task");
  models::ExecutionGraph graph;
  // Per-rank state is allocated from `ranks`: bound it by the tasks the file really holds.
  graph.ranks = static_cast<int>(root.required_integer("ranks", 1, 100'000'000));
  if (graph.ranks > std::ssize(tasks)) {
    root.location_of("ranks").fail(std::to_string(graph.ranks) + " ranks for " +
                                   std::to_string(tasks.size()) +
                                   " tasks: every simulated rank runs at least one task");
  }
  if (root.has("gpus"))
    graph.gpus = static_cast<int>(root.required_integer("gpus", graph.ranks, 100'000'000));
  const int gpu_limit = std::max(graph.ranks, graph.gpus) - 1;
  const auto read_gpus = [&](JsonObjectReader& r, const char* key, std::vector<int>& into) {
    if (!r.has(key)) return;
    const auto& list = sim::json_array(r.required(key), r.location_of(key));
    for (std::size_t j = 0; j < list.size(); ++j) {
      into.push_back(static_cast<int>(sim::json_integer(list[j], r.location_of(key).child(j), 0, gpu_limit)));
    }
  };
  read_gpus(root, "gpu_of_rank", graph.gpu_of_rank);
  const auto& streams = sim::json_array(root.required("streams"), root.location_of("streams"));
  for (std::size_t i = 0; i < streams.size(); ++i)
    graph.streams.push_back(sim::json_string(streams[i], root.location_of("streams").child(i)));
  const auto& groups = sim::json_array(root.required("groups"), root.location_of("groups"));
  for (std::size_t i = 0; i < groups.size(); ++i) {
    JsonObjectReader g(groups[i], root.location_of("groups").child(i));
    models::CommGroup group;
    group.kind = g.required_string("kind");
    const auto& ranks = sim::json_array(g.required("ranks"), g.location_of("ranks"));
    for (std::size_t j = 0; j < ranks.size(); ++j) {
      group.ranks.push_back(
          static_cast<int>(sim::json_integer(ranks[j], g.location_of("ranks").child(j), 0, graph.ranks - 1)));
    }
    read_gpus(g, "gpus", group.gpus);
    g.finish();
    graph.groups.push_back(std::move(group));
  }
  graph.tasks.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    graph.tasks.push_back(read_task(tasks[i], root.location_of("tasks").child(i), i));
  root.finish();
  graph.validate(source);
  std::vector<bool> busy(static_cast<std::size_t>(graph.ranks), false);
  for (const models::Task& task : graph.tasks) busy[static_cast<std::size_t>(task.rank)] = true;
  if (const auto idle = std::find(busy.begin(), busy.end(), false); idle != busy.end()) {
    root.location_of("ranks").fail("rank " + std::to_string(idle - busy.begin()) +
                                   " runs no task: simulate only the ranks that work");
  }
  return graph;
}

models::ExecutionGraph read_graph_file(const std::filesystem::path& path, GraphMetadata* metadata) {
  sim::JsonLimits limits;
  limits.max_file_bytes = std::uintmax_t{2} << 30;
  return graph_from_json(sim::read_json_file(path, limits), path.string(), metadata);
}

}  // namespace strata::traces
