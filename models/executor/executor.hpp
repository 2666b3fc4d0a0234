// The executor: replays execution-graph tasks on the engine (DESIGN.md, "Engine"). One executor for every
// workload: a training step submits all its tasks before the run (execute() below), an inference scheduler
// submits each iteration from a callback while the simulation runs, reading the state it sees (time, memory
// in use).
//
// Its parts, one job each:
//  - StreamScheduler (stream_scheduler.hpp): program order per (rank, stream), dependencies;
//  - Rendezvous (rendezvous.hpp): collectives start when every member has arrived, send/recv when both have;
//  - NetworkBackend (models/network/network_backend.hpp): how long each transfer takes beside the others;
//  - MemoryLedger (memory_ledger.hpp): memory tasks move a per-rank counter; peaks and live use;
//  - TimeAttribution (time_attribution.hpp): where each rank's step went;
//  - SmSharing (sm_sharing.hpp): SMs that running NCCL kernels take from compute kernels starting beside
//  them.
// Compute tasks take their kernel time on their rank's GPU (task_cost.hpp, ClusterHardware: per GPU).
// Overlap of communication with compute emerges from the streams, waiting from the rendezvous.
//
// Ranks sit on GPUs by ExecutionGraph::gpu_of (GPU g on node g / gpus_per_node); spans go on timeline tracks
// "gpu<g>/<stream>". A graph whose tasks cannot all run (a missing peer, a cycle through a rendezvous) is a
// SimulationError naming the first task that never started, never a hang.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/executor/memory_ledger.hpp"
#include "models/executor/rendezvous.hpp"
#include "models/executor/sm_sharing.hpp"
#include "models/executor/stream_scheduler.hpp"
#include "models/executor/time_attribution.hpp"
#include "models/graph/execution_graph.hpp"
#include "models/hardware/cluster_hardware.hpp"
#include "models/network/network_backend.hpp"
#include "sim/event_queue.hpp"
#include "sim/random_source.hpp"
#include "sim/sim_time.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::models {

struct ExecutionResult {
  sim::SimTime makespan;
  // Time spent in tasks of each category (operation time, not waiting), averaged over ranks.
  std::map<std::string, double> seconds_by_category;
  std::vector<double> peak_memory_bytes;  // per rank, from memory tasks
  std::vector<std::map<std::string, double>>
      peak_memory_breakdown;                  // per rank: bytes by category at the peak
  std::vector<double> compute_seconds;        // per rank, time in compute tasks
  std::vector<TimeBreakdown> time_breakdown;  // per rank: where its step went (time_attribution.hpp)
  std::vector<double> rank_end_seconds;       // per rank: when its last task finished (0: it had none)
  std::uint64_t tasks_run = 0;
  std::uint64_t events = 0;
};

class Executor {
 public:
  using FinishedCallback = std::function<void(TaskId)>;

  // `layout` gives the ranks, GPUs, streams and communicator groups; its tasks, if any, are submitted in
  // order. Every reference must outlive the executor; `timeline` may be null.
  Executor(sim::EventQueue& queue, ExecutionGraph layout, const ClusterHardware& hardware,
           NetworkBackend& network, sim::TimelineRecorder* timeline = nullptr);

  // Appends a task (its id is the next one, returned). Program order on its (rank, stream) is submission
  // order; its dependencies must be earlier tasks of the same rank. While running, a task whose dependencies
  // are done starts as soon as its stream is free. A task breaking these rules is a SimulationError.
  TaskId submit(Task task);
  // Adds a communicator group (its index is returned) or a rank on GPU `gpu` (its index).
  int add_group(CommGroup group);
  int add_rank(int gpu);
  // Called after every task finishes, once its dependents have been released; it may submit tasks.
  void on_task_finished(FinishedCallback callback) { on_finished_ = std::move(callback); }

  // Runs until nothing is left to do. Throws SimulationError when a task can never run. Once.
  void run();
  ExecutionResult result();

  // Live state, for callbacks.
  sim::SimTime now() const { return queue_.now(); }
  const ExecutionGraph& graph() const { return graph_; }
  const Task& task(TaskId id) const { return graph_.tasks[id]; }
  bool is_finished(TaskId id) const { return scheduler_.is_finished(id); }
  const MemoryLedger& memory() const { return memory_; }
  std::uint64_t tasks_finished() const { return completed_; }

 private:
  void dispatch(TaskId id, sim::SerialResource& stream, bool resumed, std::optional<TaskId> blocker);
  void finished(TaskId id, sim::SimTime start);
  void finish_all(const Arrivals& arrivals, sim::SimTime start);
  // The stream began transfer task `id` now: a collective's NCCL kernel takes its SMs from here
  // (sm_sharing.hpp; a send/recv from when its peer arrives), and with a timeline its slice starts here,
  // before any wait for peers.
  void stream_started(TaskId id);
  // With a timeline: task `id`'s slice (task_trace.hpp), or for a memory task the rank's memory counter.
  void trace(TaskId id, sim::SimTime start);
  // With a timeline: an arrow from a send's slice to its receive's, or from the member of a collective that
  // arrived last to each member that waited for it (arrivals in arrival order).
  void trace_meeting(const Arrivals& arrivals, sim::SimTime start);
  // Throws SimulationError when `task`, to become task `id`, breaks the graph's contract.
  void check(const Task& task, TaskId id) const;
  void cache_group(std::size_t group);

  sim::EventQueue& queue_;
  ExecutionGraph graph_;
  const ClusterHardware& hardware_;
  NetworkBackend& network_;
  StreamScheduler scheduler_;
  Rendezvous rendezvous_;
  MemoryLedger memory_;
  TimeAttribution attribution_;
  SmSharing sms_;
  bool shares_sms_;  // the system's NCCL kernels hold SMs: compute is priced when it starts
  std::optional<sim::RandomSource> jitter_;  // with ClusterHardware::jitter
  double jitter_mu_ = 0, jitter_sigma_ = 0;
  // A GPU kernel's time with its jitter drawn (host work keeps its time).
  sim::SimTime jittered(sim::SimTime time, const ComputeSpec& compute);
  std::vector<char> group_spans_nodes_;           // per group: its communicator crosses nodes
  std::vector<std::vector<int>> group_gpus_;      // per group: the communicator's GPUs (its cost)
  std::vector<std::vector<int>> group_carriers_;  // per group: its simulated members' GPUs
  sim::TimelineRecorder* timeline_;
  std::vector<sim::SimTime> stream_start_;  // per task, with a timeline
  FinishedCallback on_finished_;
  std::uint64_t completed_ = 0;
  std::vector<sim::SimTime> rank_end_;  // per rank: its last task's end so far
  bool ran_ = false;
};

// A closed graph: validates it (errors name `graph`'s source as "execution graph"), submits every task at
// t = 0 and runs it on the network of `fidelity` (topology options for flow; see network_backend.hpp).
ExecutionResult execute(ExecutionGraph graph, const ClusterHardware& hardware,
                        NetworkFidelity fidelity = NetworkFidelity::kAnalytic,
                        const TopologyOptions& topology = {}, sim::TimelineRecorder* timeline = nullptr);
// One GPU kind for the whole cluster, analytic network.
ExecutionResult execute(ExecutionGraph graph, const GpuProfile& gpu, const SystemProfile& system,
                        sim::TimelineRecorder* timeline = nullptr);

}  // namespace strata::models
