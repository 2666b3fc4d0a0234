// What one task costs on its hardware, alone.
//
//  - compute_time: a GPU kernel from the GPU profile's cost model (models/cost/compute_cost.hpp: GEMMs by
//    shape, fused attention, memory-bound kernels), host work at the node's host memory bandwidth
//    (models/cost/offload_cost.hpp), or the measured duration an imported trace carries; compute_time_on
//    adds the GPU's slowdown (ClusterHardware).
//  - task_duration: any task with nothing running beside it: compute as above, transfers as the analytic
//    network starts them (models/network/analytic_backend.hpp). Contention only lengthens a transfer, so
//    this is a lower bound on its time in a run (the search's bound, scenarios/runner/step_lower_bound.hpp).
#pragma once

#include "models/graph/execution_graph.hpp"
#include "models/hardware/cluster_hardware.hpp"
#include "models/network/analytic_backend.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

sim::SimTime compute_time(const ComputeSpec& compute, const GpuProfile& gpu, const SystemProfile& system);
// The same on GPU `gpu` of `hardware`: its profile, and its slowdown for work on the GPU (host work keeps its
// time: a straggler GPU does not slow its node's CPUs). `busy_sms`: SMs communication kernels hold on the GPU
// as it starts (sm_sharing.hpp): a GEMM runs on the rest (its waves and rate, as GemmShape::reserved_sms), a
// fused attention kernel at their share of the GPU; memory-bound kernels, host work and durations carried by
// the task keep their time.
sim::SimTime compute_time_on(const ComputeSpec& compute, const ClusterHardware& hardware, int gpu,
                             int busy_sms = 0);

sim::SimTime task_duration(const ExecutionGraph& graph, const Task& task, const ClusterHardware& hardware);

// A transfer task (collective, send, recv, tier transfer) as the analytic network starts it alone: its time
// and the ports of its own rank's GPU it keeps busy (a collective member's, a send's out ports, a recv's in
// ports, a tier transfer's host link). A port is busy at most all of a step, so per port the summed
// utilization x time of a rank's transfers is a lower bound on the step too.
AnalyticTransfer task_transfer(const ExecutionGraph& graph, const Task& task,
                               const ClusterHardware& hardware);

}  // namespace strata::models
