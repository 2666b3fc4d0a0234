// Replays an ExecutionGraph on the engine: every (rank, stream) is a SerialResource running its tasks in
// program order once their dependencies are done; compute tasks take their kernel time (models/cost);
// a collective starts when every member of its group has reached it and takes the analytic collective time
// for the group's placement (models/collectives); a send and its recv meet and take the point-to-point time;
// memory tasks move a per-rank counter whose peak is reported. Overlap of communication with compute emerges
// from the streams, waiting from the rendezvous.
//
// Ranks are placed on nodes by their GPU (ExecutionGraph::gpu_of): GPU g on node g / gpus_per_node; spans go on
// tracks "gpu<g>/<stream>".
// A graph whose tasks cannot all run (a missing peer, a cycle through rendezvous) is reported as a
// SimulationError naming the first task that never started, never as a hang.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "models/graph/time_attribution.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"
#include "sim/sim_time.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::models {

struct ExecutionResult {
  sim::SimTime makespan;
  // Time spent in tasks of each category (operation time, not waiting), averaged over ranks.
  std::map<std::string, double> seconds_by_category;
  std::vector<double> peak_memory_bytes;  // per rank, from memory tasks
  std::vector<std::map<std::string, double>> peak_memory_breakdown;  // per rank: bytes by category at the peak
  std::vector<double> compute_seconds;    // per rank, time in compute tasks
  std::vector<TimeBreakdown> time_breakdown;  // per rank: where its step went (time_attribution.hpp)
  std::uint64_t tasks_run = 0;
  std::uint64_t events = 0;
};

// `timeline` may be null; otherwise spans go on tracks "gpu<g>/<stream>".
ExecutionResult execute(const ExecutionGraph& graph, const GpuProfile& gpu, const SystemProfile& system,
                        sim::TimelineRecorder* timeline = nullptr);

// The time one task takes alone (compute kernels; collectives and p2p on the given system). For tests and
// reports.
sim::SimTime task_duration(const ExecutionGraph& graph, const Task& task, const GpuProfile& gpu, const SystemProfile& system);

}  // namespace strata::models
