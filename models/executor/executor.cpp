#include "models/executor/executor.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "models/executor/task_cost.hpp"
#include "models/executor/task_trace.hpp"
#include "models/network/analytic_backend.hpp"
#include "sim/error.hpp"

namespace strata::models {

Executor::Executor(sim::EventQueue& queue, ExecutionGraph layout, const ClusterHardware& hardware,
                   NetworkBackend& network, sim::TimelineRecorder* timeline)
    : queue_(queue),
      hardware_(hardware),
      network_(network),
      scheduler_(
          queue, layout.streams,
          [this](TaskId id, sim::SerialResource& stream, bool resumed, std::optional<TaskId> blocker) {
            dispatch(id, stream, resumed, blocker);
          },
          nullptr),  // the executor records the slices itself, with each task's arguments
      memory_(layout.ranks),
      attribution_(layout.ranks, static_cast<int>(layout.streams.size())),
      shares_sms_(std::any_of(hardware.system().collectives.nccl_channels.value.begin(),
                              hardware.system().collectives.nccl_channels.value.end(),
                              [](int channels) { return channels > 0; })),
      timeline_(timeline) {
  graph_ = std::move(layout);
  if (const std::optional<KernelJitter>& jitter = hardware.jitter()) {
    // Lognormal of mean 1 and coefficient of variation cv: sigma^2 = ln(1 + cv^2), mu = -sigma^2 / 2.
    jitter_.emplace(jitter->seed);
    jitter_sigma_ = std::sqrt(std::log1p(jitter->cv * jitter->cv));
    jitter_mu_ = -0.5 * jitter_sigma_ * jitter_sigma_;
  }
  for (int rank = 0; rank < graph_.ranks; ++rank) scheduler_.add_rank(graph_.gpu_of(rank));
  for (std::size_t g = 0; g < graph_.groups.size(); ++g) cache_group(g);
  // The layout's tasks stay where they are (a step holds millions): registered in order, as submit() would.
  for (std::size_t i = 0; i < graph_.tasks.size(); ++i) {
    Task& task = graph_.tasks[i];
    task.id = static_cast<TaskId>(i);
    check(task, task.id);
    scheduler_.add(task.id, task.rank, task.stream, task.deps);
  }
}

void Executor::cache_group(std::size_t group) {
  const CommGroup& g = graph_.groups[group];
  group_gpus_.push_back(graph_.group_gpus(g));
  const std::vector<int>& gpus = group_gpus_.back();
  const int per_node = hardware_.gpus_per_node();
  group_spans_nodes_.push_back(std::any_of(
      gpus.begin(), gpus.end(), [&](int gpu) { return gpu / per_node != gpus.front() / per_node; }));
  std::vector<int> carriers;
  for (int rank : g.ranks) carriers.push_back(graph_.gpu_of(rank));
  group_carriers_.push_back(std::move(carriers));
}

int Executor::add_group(CommGroup group) {
  graph_.groups.push_back(std::move(group));
  cache_group(graph_.groups.size() - 1);
  return static_cast<int>(graph_.groups.size()) - 1;
}

int Executor::add_rank(int gpu) {
  if (gpu < 0) throw sim::SimulationError("a rank's GPU index must not be negative");
  if (graph_.gpu_of_rank.empty()) {
    for (int rank = 0; rank < graph_.ranks; ++rank) graph_.gpu_of_rank.push_back(rank);
  }
  graph_.gpu_of_rank.push_back(gpu);
  graph_.gpus = std::max(graph_.gpu_count(), gpu + 1);
  ++graph_.ranks;
  scheduler_.add_rank(gpu);
  memory_.add_rank();
  attribution_.add_rank();
  return graph_.ranks - 1;
}

void Executor::check(const Task& task, TaskId id) const {
  const auto fail = [&](const std::string& detail) {
    throw sim::SimulationError("task \"" + task.name + "\" submitted to the executor " + detail);
  };
  if (task.rank < 0 || task.rank >= graph_.ranks)
    fail("names rank " + std::to_string(task.rank) + ", which does not exist");
  if (task.stream < 0 || task.stream >= static_cast<int>(graph_.streams.size()))
    fail("names an unknown stream");
  for (TaskId dep : task.deps) {
    if (dep >= id || graph_.tasks[dep].rank != task.rank)
      fail("depends on a task that is not an earlier one of its rank");
  }
  if (task.type == TaskType::kCollective) {
    if (task.collective.group < 0 || task.collective.group >= static_cast<int>(graph_.groups.size()))
      fail("names an unknown group");
    const auto& members = graph_.groups[static_cast<std::size_t>(task.collective.group)].ranks;
    if (std::find(members.begin(), members.end(), task.rank) == members.end())
      fail("is not a member of its group");
  }
  if ((task.type == TaskType::kSend || task.type == TaskType::kRecv) &&
      (task.p2p.peer < 0 || task.p2p.peer >= graph_.ranks || task.p2p.peer == task.rank)) {
    fail("has a bad peer " + std::to_string(task.p2p.peer));
  }
}

TaskId Executor::submit(Task task) {
  check(task, static_cast<TaskId>(graph_.tasks.size()));
  const TaskId id = graph_.add(std::move(task));
  const Task& added = graph_.tasks[id];
  scheduler_.add(id, added.rank, added.stream, added.deps);
  return id;
}

void Executor::dispatch(TaskId id, sim::SerialResource& stream, bool resumed, std::optional<TaskId> blocker) {
  const Task& task = graph_.tasks[id];
  if (resumed && task.stream == TimeAttribution::kComputeStream) {
    attribution_.compute_stream_resumed(task.rank, queue_.now(),
                                        blocker ? graph_.tasks[*blocker].category : std::string(),
                                        blocker ? graph_.tasks[*blocker].stream : -1);
  }
  const int gpu = graph_.gpu_of(task.rank);
  switch (task.type) {
    case TaskType::kCompute: {
      if (!shares_sms_) {
        const sim::SimTime duration = jittered(compute_time_on(task.compute, hardware_, gpu), task.compute);
        stream.submit(task.name, duration, [this, id, duration] { finished(id, queue_.now() - duration); });
        break;
      }
      // Its time depends on the SMs communication holds when it starts, which may be after other tasks
      // queued on its stream: priced then.
      if (!stream.has_pricer()) {
        stream.set_pricer([this](std::uint64_t key) {
          const Task& queued = graph_.tasks[static_cast<TaskId>(key)];
          const int on = graph_.gpu_of(queued.rank);
          return jittered(compute_time_on(queued.compute, hardware_, on, sms_.held(on)), queued.compute);
        });
      }
      stream.submit_priced(task.name, id, [this, id](sim::SimTime start) { finished(id, start); });
      break;
    }
    case TaskType::kMemory:
      stream.submit(task.name, sim::SimTime::zero(), [this, id] {
        const Task& t = graph_.tasks[id];
        memory_.apply(t.rank, static_cast<double>(t.memory.bytes), t.memory.category);
        finished(id, queue_.now());
      });
      break;
    case TaskType::kHostTransfer:
      stream.submit_async(task.name, [this, id, gpu](sim::TaskCompletion done) {
        stream_started(id);
        const HostTransferSpec& transfer = graph_.tasks[id].transfer;
        const sim::SimTime start = queue_.now();
        network_.tier_transfer(gpu, transfer.from, transfer.to, sim::Bytes::from_count(transfer.bytes),
                               [this, id, done, start] {
                                 done();
                                 finished(id, start);
                               });
      });
      break;
    case TaskType::kCollective:
      stream.submit_async(task.name, [this, id](sim::TaskCompletion done) {
        stream_started(id);
        const CollectiveSpec spec = graph_.tasks[id].collective;
        const auto group = static_cast<std::size_t>(spec.group);
        std::optional<Arrivals> met =
            rendezvous_.collective(spec.instance, graph_.groups[group].ranks.size(), Arrival{id, done});
        if (!met) return;
        const CollectiveCall call{spec.op, sim::Bytes::from_count(spec.bytes), group_gpus_[group],
                                  group_carriers_[group]};
        network_.collective(
            call, [this, arrivals = std::move(*met), start = queue_.now()] { finish_all(arrivals, start); });
      });
      break;
    case TaskType::kSend:
    case TaskType::kRecv:
      stream.submit_async(task.name, [this, id](sim::TaskCompletion done) {
        stream_started(id);
        const Task& t = graph_.tasks[id];
        const bool sending = t.type == TaskType::kSend;
        const int sender = sending ? t.rank : t.p2p.peer;
        const int receiver = sending ? t.p2p.peer : t.rank;
        const auto bytes = sim::Bytes::from_count(t.p2p.bytes);
        std::optional<Arrivals> met =
            rendezvous_.point_to_point(sender, receiver, t.p2p.tag, Arrival{id, done});
        if (!met) return;
        for (const Arrival& arrival : *met) {
          const Task& end = graph_.tasks[arrival.task];
          sms_.hold(arrival.task, graph_.gpu_of(end.rank), nccl_kernel_sms(hardware_.system(), end, false));
        }
        network_.point_to_point(
            graph_.gpu_of(sender), graph_.gpu_of(receiver), bytes,
            [this, arrivals = std::move(*met), start = queue_.now()] { finish_all(arrivals, start); });
      });
      break;
  }
}

sim::SimTime Executor::jittered(sim::SimTime time, const ComputeSpec& compute) {
  if (!jitter_ || compute.kind == ComputeKind::kHost || compute.kind == ComputeKind::kMeasuredHost)
    return time;
  return sim::SimTime::from_ps_rounded(static_cast<double>(time.ps()) *
                                       jitter_->lognormal(jitter_mu_, jitter_sigma_));
}

void Executor::finish_all(const Arrivals& arrivals, sim::SimTime start) {
  if (timeline_ != nullptr && arrivals.size() >= 2) trace_meeting(arrivals, start);
  // The kernels end before their streams move on: the next task on a stream sees their SMs free.
  for (const Arrival& arrival : arrivals) sms_.release(arrival.task);
  for (const Arrival& arrival : arrivals) {
    arrival.done();
    finished(arrival.task, start);
  }
}

void Executor::stream_started(TaskId id) {
  const Task& task = graph_.tasks[id];
  if (task.type == TaskType::kCollective) {
    const bool spans_nodes = group_spans_nodes_[static_cast<std::size_t>(task.collective.group)] != 0;
    sms_.hold(id, graph_.gpu_of(task.rank), nccl_kernel_sms(hardware_.system(), task, spans_nodes));
  }
  if (timeline_ == nullptr) return;
  if (stream_start_.size() <= id)
    stream_start_.resize(std::max<std::size_t>(id + 1, 2 * stream_start_.size()));
  stream_start_[id] = queue_.now();
}

void Executor::trace(TaskId id, sim::SimTime start) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const Task& task = graph_.tasks[id];
  const std::string gpu = "gpu" + std::to_string(graph_.gpu_of(task.rank));
  if (task.type == TaskType::kMemory) {
    timeline_->add_counter(gpu + "/memory", "allocated GiB (rank " + std::to_string(task.rank) + ")",
                           queue_.now(), memory_.in_use(task.rank) / kGiB);
    return;
  }
  const bool waits = task.type != TaskType::kCompute;  // began on its stream before its work could start
  const sim::SimTime queued = waits && id < stream_start_.size() ? stream_start_[id] : start;
  std::optional<CollectiveEstimate> alone;
  if (task.type == TaskType::kCollective) {
    alone = analytic_collective_over(hardware_.system(), task.collective.op,
                                     sim::Bytes::from_count(task.collective.bytes),
                                     group_gpus_[static_cast<std::size_t>(task.collective.group)]);
  }
  timeline_->add_span(gpu + "/" + graph_.streams[static_cast<std::size_t>(task.stream)], task.name, queued,
                      queue_.now(),
                      task_span_args(task, graph_, queued, start, queue_.now(), alone ? &*alone : nullptr));
}

void Executor::trace_meeting(const Arrivals& arrivals, sim::SimTime start) {
  const auto track = [this](const Task& t) {
    return "gpu" + std::to_string(graph_.gpu_of(t.rank)) + "/" +
           graph_.streams[static_cast<std::size_t>(t.stream)];
  };
  const Task& last = graph_.tasks[arrivals.back().task];  // arrivals come in order: the last started it
  if (last.type == TaskType::kCollective) {
    for (std::size_t i = 0; i + 1 < arrivals.size(); ++i) {
      const Task& waiting = graph_.tasks[arrivals[i].task];
      timeline_->add_flow(track(last), start, track(waiting), start,
                          last.name + ": rank " + std::to_string(last.rank) + " arrived last");
    }
    return;
  }
  const Task& first = graph_.tasks[arrivals.front().task];
  const Task& send = first.type == TaskType::kSend ? first : last;
  const Task& recv = first.type == TaskType::kSend ? last : first;
  timeline_->add_flow(track(send), start, track(recv), start, send.name + " -> " + recv.name);
}

void Executor::finished(TaskId id, sim::SimTime start) {
  const Task& task = graph_.tasks[id];
  if (timeline_ != nullptr) trace(id, start);
  const bool device_compute = task.type == TaskType::kCompute && task.compute.kind != ComputeKind::kHost;
  attribution_.ran(task.rank, task.stream, task.category, start, queue_.now(), device_compute);
  if (rank_end_.size() <= static_cast<std::size_t>(task.rank))
    rank_end_.resize(static_cast<std::size_t>(task.rank) + 1);
  rank_end_[static_cast<std::size_t>(task.rank)] = queue_.now();
  ++completed_;
  scheduler_.finished(id);
  if (on_finished_) on_finished_(id);
}

void Executor::run() {
  if (ran_) throw sim::SimulationError("an executor runs once");
  ran_ = true;
  scheduler_.start();
  queue_.run();
  if (const std::optional<TaskId> stuck = scheduler_.stuck()) {
    const Task& task = graph_.tasks[*stuck];
    throw sim::SimulationError("the execution graph cannot finish: task " + std::to_string(task.id) + " (" +
                               task.name + ", rank " + std::to_string(task.rank) +
                               ") waits forever (a missing peer, or a rendezvous cycle)");
  }
}

ExecutionResult Executor::result() {
  ExecutionResult result;
  result.makespan = queue_.now();
  for (const auto& [category, seconds] : attribution_.operation_seconds()) {
    result.seconds_by_category[category] = seconds / graph_.ranks;
  }
  result.peak_memory_bytes = memory_.peaks();
  result.peak_memory_breakdown = memory_.peak_breakdowns();
  result.compute_seconds = attribution_.compute_seconds();
  result.time_breakdown = attribution_.finish(result.makespan);
  result.tasks_run = completed_;
  result.rank_end_seconds.assign(static_cast<std::size_t>(graph_.ranks), 0.0);
  for (std::size_t rank = 0; rank < rank_end_.size() && rank < result.rank_end_seconds.size(); ++rank)
    result.rank_end_seconds[rank] = rank_end_[rank].seconds();
  result.events = queue_.executed();
  return result;
}

ExecutionResult execute(ExecutionGraph graph, const ClusterHardware& hardware, NetworkFidelity fidelity,
                        const TopologyOptions& topology, sim::TimelineRecorder* timeline) {
  graph.validate("execution graph");
  sim::EventQueue queue;
  const std::unique_ptr<NetworkBackend> network =
      make_network_backend(fidelity, queue, hardware, graph.gpu_count(), topology);
  Executor executor(queue, std::move(graph), hardware, *network, timeline);
  executor.run();
  return executor.result();
}

ExecutionResult execute(ExecutionGraph graph, const GpuProfile& gpu, const SystemProfile& system,
                        sim::TimelineRecorder* timeline) {
  return execute(std::move(graph), ClusterHardware(system, gpu), NetworkFidelity::kAnalytic, {}, timeline);
}

}  // namespace strata::models
