#include "models/graph/graph_executor.hpp"

#include <memory>
#include <set>
#include <tuple>

#include "models/collectives/analytic_collective.hpp"
#include "models/cost/offload_cost.hpp"
#include "models/graph/time_attribution.hpp"
#include "sim/error.hpp"
#include "sim/event_queue.hpp"
#include "sim/serial_resource.hpp"

namespace strata::models {
namespace {

CollectiveScope scope_of(const std::vector<int>& gpus, int gpus_per_node) {
  std::map<int, int> per_node;
  for (int gpu : gpus) ++per_node[gpu / gpus_per_node];
  int widest = 0;
  for (const auto& [node, count] : per_node) widest = std::max(widest, count);
  return CollectiveScope{static_cast<int>(per_node.size()), widest};
}

class Executor {
 public:
  Executor(const ExecutionGraph& graph, const GpuProfile& gpu, const SystemProfile& system, sim::TimelineRecorder* timeline)
      : graph_(graph), gpu_(gpu), system_(system), remaining_(graph.tasks.size()), dependents_(graph.tasks.size()),
        program_(static_cast<std::size_t>(graph.ranks) * graph.streams.size()),
        cursor_(program_.size(), 0),
        attribution_(graph.ranks, static_cast<int>(graph.streams.size())),
        memory_(static_cast<std::size_t>(graph.ranks), 0.0),
        peak_(static_cast<std::size_t>(graph.ranks), 0.0),
        memory_by_category_(static_cast<std::size_t>(graph.ranks)), peak_breakdown_(static_cast<std::size_t>(graph.ranks)),
        compute_(static_cast<std::size_t>(graph.ranks), 0.0) {
    for (int rank = 0; rank < graph.ranks; ++rank) {
      for (const std::string& stream : graph.streams) {
        streams_.push_back(std::make_unique<sim::SerialResource>(queue_, "gpu" + std::to_string(graph.gpu_of(rank)) + "/" + stream, timeline));
      }
    }
    for (const Task& task : graph.tasks) {
      remaining_[task.id] = task.deps.size();
      for (TaskId dep : task.deps) dependents_[dep].push_back(task.id);
      program_[slot(task.rank, task.stream)].push_back(task.id);
    }
  }

  ExecutionResult run() {
    for (std::size_t s = 0; s < program_.size(); ++s) issue(s, nullptr);
    queue_.run();
    for (std::size_t s = 0; s < program_.size(); ++s) {
      if (cursor_[s] < program_[s].size() || streams_[s]->busy()) {
        const Task& stuck = graph_.tasks[program_[s][std::min(cursor_[s], program_[s].size() - 1)]];
        throw sim::SimulationError("the execution graph cannot finish: task " + std::to_string(stuck.id) + " (" +
                                   stuck.name + ", rank " + std::to_string(stuck.rank) +
                                   ") waits forever (a missing peer, or a rendezvous cycle)");
      }
    }
    ExecutionResult result;
    result.makespan = queue_.now();
    for (auto& [category, seconds] : busy_) result.seconds_by_category[category] = seconds / graph_.ranks;
    result.peak_memory_bytes = peak_;
    result.peak_memory_breakdown = peak_breakdown_;
    result.compute_seconds = compute_;
    result.time_breakdown = attribution_.finish(result.makespan);
    result.tasks_run = completed_;
    result.events = queue_.executed();
    return result;
  }

 private:
  std::size_t slot(int rank, int stream) const {
    return static_cast<std::size_t>(rank) * graph_.streams.size() + static_cast<std::size_t>(stream);
  }

  // Submits the stream's next tasks in program order while their dependencies are done. `blocker` is the
  // task whose completion made them ready (null at the start), for the time attribution.
  void issue(std::size_t s, const Task* blocker) {
    bool first = true;
    while (cursor_[s] < program_[s].size() && remaining_[program_[s][cursor_[s]]] == 0) {
      const TaskId id = program_[s][cursor_[s]++];
      const Task& task = graph_.tasks[id];
      if (first && task.stream == TimeAttribution::kComputeStream && !streams_[s]->busy() && streams_[s]->queued() == 0) {
        attribution_.compute_stream_resumed(task.rank, queue_.now(), blocker ? blocker->category : std::string(),
                                            blocker ? blocker->stream : -1);
      }
      first = false;
      submit(task, *streams_[s]);
    }
  }

  void finished(TaskId id, sim::SimTime start) {
    const Task& task = graph_.tasks[id];
    const sim::SimTime end = queue_.now();
    const double seconds = (end - start).seconds();
    busy_[task.category.empty() ? "other" : task.category] += seconds;
    if (task.type == TaskType::kCompute && task.compute.kind != ComputeKind::kHost) compute_[static_cast<std::size_t>(task.rank)] += seconds;
    attribution_.ran(task.rank, task.stream, task.category, start, end);
    ++completed_;
    for (TaskId next : dependents_[id]) {
      if (--remaining_[next] == 0) issue(slot(graph_.tasks[next].rank, graph_.tasks[next].stream), &task);
    }
  }

  void submit(const Task& task, sim::SerialResource& stream) {
    const TaskId id = task.id;
    switch (task.type) {
      case TaskType::kHostTransfer:
      case TaskType::kCompute: {
        const sim::SimTime duration = task_duration(graph_, task, gpu_, system_);
        stream.submit(task.name, duration, [this, id, duration] { finished(id, queue_.now() - duration); });
        break;
      }
      case TaskType::kMemory:
        stream.submit(task.name, sim::SimTime::zero(), [this, id] {
          const Task& t = graph_.tasks[id];
          const auto r = static_cast<std::size_t>(t.rank);
          memory_[r] += static_cast<double>(t.memory.bytes);
          memory_by_category_[r][t.memory.category] += static_cast<double>(t.memory.bytes);
          if (memory_[r] > peak_[r]) {
            peak_[r] = memory_[r];
            peak_breakdown_[r] = memory_by_category_[r];
          }
          finished(id, queue_.now());
        });
        break;
      case TaskType::kCollective:
        stream.submit_async(task.name, [this, id](sim::TaskCompletion done) {
          const Task& t = graph_.tasks[id];
          Meeting& meeting = collectives_[t.collective.instance];
          meeting.arrived.emplace_back(id, done);
          const auto& members = graph_.groups[static_cast<std::size_t>(t.collective.group)].ranks;
          if (meeting.arrived.size() == members.size()) start(collectives_, t.collective.instance, task_duration(graph_, t, gpu_, system_));
        });
        break;
      case TaskType::kSend:
      case TaskType::kRecv:
        stream.submit_async(task.name, [this, id](sim::TaskCompletion done) {
          const Task& t = graph_.tasks[id];
          const bool sending = t.type == TaskType::kSend;
          const auto key = std::make_tuple(sending ? t.rank : t.p2p.peer, sending ? t.p2p.peer : t.rank, t.p2p.tag);
          Meeting& meeting = transfers_[key];
          meeting.arrived.emplace_back(id, done);
          if (meeting.arrived.size() == 2) start(transfers_, key, task_duration(graph_, t, gpu_, system_));
        });
        break;
    }
  }

  struct Meeting {
    std::vector<std::pair<TaskId, sim::TaskCompletion>> arrived;
  };

  template <class Map, class Key>
  void start(Map& meetings, const Key& key, sim::SimTime duration) {
    auto arrived = std::move(meetings[key].arrived);
    meetings.erase(key);
    const sim::SimTime started = queue_.now();
    queue_.schedule_in(duration, [this, arrived = std::move(arrived), started] {
      for (const auto& [id, done] : arrived) {
        done();
        finished(id, started);
      }
    });
  }

  const ExecutionGraph& graph_;
  const GpuProfile& gpu_;
  const SystemProfile& system_;
  sim::EventQueue queue_;
  std::vector<std::unique_ptr<sim::SerialResource>> streams_;
  std::vector<std::size_t> remaining_;
  std::vector<std::vector<TaskId>> dependents_;
  std::vector<std::vector<TaskId>> program_;
  std::vector<std::size_t> cursor_;
  std::map<std::uint64_t, Meeting> collectives_;
  std::map<std::tuple<int, int, std::uint64_t>, Meeting> transfers_;
  std::map<std::string, double> busy_;
  TimeAttribution attribution_;
  std::vector<double> memory_;
  std::vector<double> peak_;
  std::vector<std::map<std::string, double>> memory_by_category_;
  std::vector<std::map<std::string, double>> peak_breakdown_;
  std::vector<double> compute_;
  std::uint64_t completed_ = 0;
};

}  // namespace

sim::SimTime task_duration(const ExecutionGraph& graph, const Task& task, const GpuProfile& gpu, const SystemProfile& system) {
  switch (task.type) {
    case TaskType::kCompute:
      switch (task.compute.kind) {
        case ComputeKind::kGemm: return gemm_time(gpu, task.compute.gemm, task.compute.dtype).total;
        case ComputeKind::kAttention:
          return fused_attention_time(gpu, sim::Flops::from_count(task.compute.flops),
                                      sim::Bytes::from_count(static_cast<std::int64_t>(task.compute.bytes))).total;
        case ComputeKind::kMemoryBound:
          return memory_bound_time(gpu, sim::Bytes::from_count(static_cast<std::int64_t>(task.compute.bytes))).total;
        case ComputeKind::kHost:
          return host_memory_bound_time(system, sim::Bytes::from_count(static_cast<std::int64_t>(task.compute.bytes)));
      }
      break;
    case TaskType::kHostTransfer:
      return tier_transfer_time(system, gpu, task.transfer.from, task.transfer.to, sim::Bytes::from_count(task.transfer.bytes));
    case TaskType::kCollective: {
      const auto& group = graph.groups[static_cast<std::size_t>(task.collective.group)];
      return analytic_collective(system, task.collective.op, sim::Bytes::from_count(task.collective.bytes),
                                 scope_of(graph.group_gpus(group), system.gpus_per_node.value)).time;
    }
    case TaskType::kSend:
    case TaskType::kRecv: {
      const int per_node = system.gpus_per_node.value;
      const bool same_node = graph.gpu_of(task.rank) / per_node == graph.gpu_of(task.p2p.peer) / per_node;
      return analytic_collective(system, CollectiveOp::kSendRecv, sim::Bytes::from_count(task.p2p.bytes),
                                 CollectiveScope{same_node ? 1 : 2, 1}).time;
    }
    case TaskType::kMemory:
      return sim::SimTime::zero();
  }
  return sim::SimTime::zero();
}

ExecutionResult execute(const ExecutionGraph& graph, const GpuProfile& gpu, const SystemProfile& system,
                        sim::TimelineRecorder* timeline) {
  graph.validate("execution graph");
  return Executor(graph, gpu, system, timeline).run();
}

}  // namespace strata::models
