#include "traces/chakra/chakra_import.hpp"

#include <functional>
#include <queue>
#include <unordered_map>
#include <utility>

#include "models/graph/time_category.hpp"
#include "sim/error.hpp"
#include "traces/trace_time.hpp"

namespace strata::traces {
namespace {

using models::CollectiveOp;
using models::TaskType;
using models::TimeCategory;

// CollectiveCommType values (et_def.proto) the network model prices.
std::optional<CollectiveOp> collective_op_of(std::int64_t comm_type) {
  switch (comm_type) {
    case 0: return CollectiveOp::kAllReduce;
    case 2: return CollectiveOp::kAllGather;
    case 5: return CollectiveOp::kBroadcast;
    case 6: return CollectiveOp::kAllToAll;
    case 7: return CollectiveOp::kReduceScatter;
    default: return std::nullopt;
  }
}

std::string comm_type_word(std::int64_t comm_type) {
  static const char* const kNames[] = {
      "ALL_REDUCE", "REDUCE",         "ALL_GATHER",           "GATHER", "SCATTER", "BROADCAST",
      "ALL_TO_ALL", "REDUCE_SCATTER", "REDUCE_SCATTER_BLOCK", "BARRIER"};
  if (comm_type >= 0 && comm_type < 10) return kNames[comm_type];
  return std::to_string(comm_type);
}

std::string node_words(const ChakraNode& node) {
  return "node " + std::to_string(node.id) + " (\"" + node.name + "\", at byte " +
         std::to_string(node.offset) + ")";
}

class Importer {
 public:
  Importer(const std::vector<ChakraTrace>& ranks, const ChakraImportOptions& options)
      : ranks_(ranks), options_(options) {}

  ChakraImport run() {
    if (ranks_.empty()) throw sim::InputError("no Chakra trace given");
    const int traced = static_cast<int>(ranks_.size());
    const int world = options_.world_size > 0 ? options_.world_size : traced;
    if (world < traced) {
      throw sim::InputError("command line", "--world-size",
                            std::to_string(world) + " is fewer than the " + std::to_string(traced) +
                                " traces given (one per rank)");
    }
    models::ExecutionGraph& graph = result_.graph;
    graph.ranks = traced;
    graph.gpus = world > traced ? world : 0;
    models::CommGroup job;
    job.kind = "job";
    for (int r = 0; r < traced; ++r) job.ranks.push_back(r);
    if (world > traced)
      for (int g = 0; g < world; ++g) job.gpus.push_back(g);
    graph.groups.push_back(std::move(job));
    for (int r = 0; r < traced; ++r) import_rank(r);
    graph.validate(ranks_.front().source);
    return std::move(result_);
  }

 private:
  int stream(const std::string& name) {
    const auto [it, added] = stream_index_.emplace(name, static_cast<int>(result_.graph.streams.size()));
    if (added) result_.graph.streams.push_back(name);
    return it->second;
  }

  void measured(models::Task& task, const ChakraNode& node) {
    task.type = TaskType::kCompute;
    task.compute.kind = node.is_cpu_op ? models::ComputeKind::kMeasuredHost : models::ComputeKind::kMeasured;
    task.compute.duration = from_trace_microseconds(static_cast<double>(node.duration_us));
  }

  std::string gpu_stream(const ChakraNode& node, const char* fallback) {
    if (node.is_cpu_op) return "cpu thread " + std::to_string(node.tid);
    return node.tid != 0 ? "stream " + std::to_string(node.tid) : fallback;
  }

  models::Task task_of(const ChakraNode& node, int rank) {
    models::Task task;
    task.rank = rank;
    task.name = node.name;
    const auto type = static_cast<ChakraNodeType>(node.type);
    const int traced = static_cast<int>(ranks_.size());
    if (type == ChakraNodeType::kCollective) {
      const std::optional<CollectiveOp> op =
          node.comm_type ? collective_op_of(*node.comm_type) : std::nullopt;
      std::string reason;
      if (!node.comm_type || !node.comm_size)
        reason = "no comm_type and comm_size (a CPU-side dispatch)";
      else if (!op)
        reason = "comm_type " + comm_type_word(*node.comm_type) + " is not priced by the network model";
      else if (*node.comm_size <= 0)
        reason = "comm_size 0";
      constexpr std::int64_t kAllToAll = 6;  // CollectiveCommType
      const TimeCategory category = node.comm_type.value_or(-1) == kAllToAll ? TimeCategory::kExpertParallel
                                                                             : TimeCategory::kDataParallel;
      task.category = models::category_name(category);
      task.stream = stream(gpu_stream(node, "comm"));
      if (!reason.empty()) {
        measured(task, node);
        ++result_.measured_communication[reason];
        return task;
      }
      task.type = TaskType::kCollective;
      task.collective = {*op, *node.comm_size, 0, collective_sequence_[rank]++};
      ++result_.modelled_collectives;
      return task;
    }
    if (type == ChakraNodeType::kSend || type == ChakraNodeType::kRecv) {
      const bool sending = type == ChakraNodeType::kSend;
      const std::optional<std::int64_t> peer = sending ? node.comm_dst : node.comm_src;
      task.category = models::category_name(TimeCategory::kPipeline);
      task.stream = stream(sending ? "send" : "recv");
      std::string reason;
      if (!peer || !node.comm_size || !node.comm_tag)
        reason = "a send or receive without its peer, size or tag";
      else if (*peer < 0 || *peer >= traced || *peer == rank)
        reason = "a send or receive to a rank without a trace";
      else if (*node.comm_size < 0 || *node.comm_tag < 0)
        reason = "a negative comm_size or comm_tag";
      if (!reason.empty()) {
        measured(task, node);
        ++result_.measured_communication[reason];
        return task;
      }
      task.type = sending ? TaskType::kSend : TaskType::kRecv;
      task.p2p = {static_cast<int>(*peer), *node.comm_size, static_cast<std::uint64_t>(*node.comm_tag)};
      ++result_.modelled_transfers;
      return task;
    }
    task.category = models::category_name(node.is_cpu_op ? TimeCategory::kOther : TimeCategory::kCompute);
    task.stream = stream(gpu_stream(node, "compute"));
    measured(task, node);
    return task;
  }

  // Kahn's algorithm, smallest node id first among the ready ones.
  void import_rank(int rank) {
    const ChakraTrace& trace = ranks_[static_cast<std::size_t>(rank)];
    const std::vector<ChakraNode>& nodes = trace.nodes;
    if (nodes.empty()) throw sim::InputError(trace.source, "", "no nodes: the rank has nothing to replay");
    std::unordered_map<std::uint64_t, std::size_t> index_of;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const auto [it, added] = index_of.emplace(nodes[i].id, i);
      if (!added)
        throw sim::InputError(
            trace.source, "",
            node_words(nodes[i]) + ": the id is used twice (also " + node_words(nodes[it->second]) + ")");
    }
    std::vector<std::vector<std::size_t>> dependents(nodes.size());
    std::vector<std::size_t> waiting(nodes.size(), 0);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (std::uint64_t dep : nodes[i].data_deps) {
        const auto found = index_of.find(dep);
        if (found == index_of.end()) {
          ++result_.absent_dependencies;
          continue;
        }
        dependents[found->second].push_back(i);
        ++waiting[i];
      }
    }
    using Ready = std::pair<std::uint64_t, std::size_t>;  // (node id, index)
    std::priority_queue<Ready, std::vector<Ready>, std::greater<>> ready;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (waiting[i] == 0) ready.emplace(nodes[i].id, i);
    std::vector<models::TaskId> task_of_node(nodes.size(), 0);
    std::size_t emitted = 0;
    while (!ready.empty()) {
      const std::size_t i = ready.top().second;
      ready.pop();
      models::Task task = task_of(nodes[i], rank);
      for (std::uint64_t dep : nodes[i].data_deps)
        if (const auto found = index_of.find(dep); found != index_of.end())
          task.deps.push_back(task_of_node[found->second]);
      std::sort(task.deps.begin(), task.deps.end());
      task.deps.erase(std::unique(task.deps.begin(), task.deps.end()), task.deps.end());
      task_of_node[i] = result_.graph.add(std::move(task));
      ++emitted;
      for (std::size_t next : dependents[i])
        if (--waiting[next] == 0) ready.emplace(nodes[next].id, next);
    }
    if (emitted != nodes.size()) {
      for (std::size_t i = 0; i < nodes.size(); ++i)
        if (waiting[i] > 0)
          throw sim::InputError(trace.source, "", node_words(nodes[i]) + " is on a dependency cycle");
    }
    result_.nodes += static_cast<std::int64_t>(nodes.size());
  }

  const std::vector<ChakraTrace>& ranks_;
  const ChakraImportOptions& options_;
  ChakraImport result_;
  std::map<std::string, int> stream_index_;
  std::map<int, std::uint64_t> collective_sequence_;
};

}  // namespace

ChakraImport import_chakra(const std::vector<ChakraTrace>& ranks, const ChakraImportOptions& options) {
  return Importer(ranks, options).run();
}

}  // namespace strata::traces
