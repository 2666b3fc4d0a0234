// Overlap is not free: an NCCL kernel runs its channels as CTAs, one SM each, from its launch (its CTAs spin
// while peers arrive) until it ends, and a compute kernel that starts beside it has those SMs fewer (Echo,
// "Simulating Distributed Training at Scale", models the same slowdown of overlapped kernels). A collective
// holds them from when its stream starts it; a send/recv from when its peer has arrived too: the lowering
// posts every pipeline receive as early as its stream allows, as Megatron-Core does only with
// overlap_p2p_comm (its other schedules post a receive when the compute stream needs it, which then waits
// beside it rather than computing), so holding SMs from the post would slow compute that in those schedules
// never runs beside it.
//
// Per GPU, the SMs held by communication tasks now on their streams. A collective holds the system profile's
// CTA count for its scope (collectives.nccl_channels: inside a node, across nodes), a send/recv the
// send/recv count; tasks that hold none (copy-engine and RDMA transfers, Transformer Engine's userbuffer
// kernels whose SMs their GEMMs already leave free: CollectiveSpec::holds_sms) and tier transfers (copy
// engines) hold nothing. The executor reads held() when a compute kernel starts (task_cost.hpp,
// compute_time_on): a kernel already running when a collective starts keeps its time, as do measured or
// priced durations (the measurement holds its own contention). HBM bandwidth taken by the communication is
// not modelled.
#pragma once

#include <unordered_map>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "models/hardware/system_profile.hpp"

namespace strata::models {

// The SMs an NCCL kernel of `task` holds on its GPU (0 for tasks that hold none); `spans_nodes`: a
// collective's communicator crosses nodes.
int nccl_kernel_sms(const SystemProfile& system, const Task& task, bool spans_nodes);

class SmSharing {
 public:
  // Task `id` holds `sms` SMs of GPU `gpu` until released (nothing for 0).
  void hold(TaskId id, int gpu, int sms);
  void release(TaskId id);
  int held(int gpu) const;

 private:
  struct Holding {
    int gpu = 0;
    int sms = 0;
  };
  std::vector<int> held_;                         // per GPU
  std::unordered_map<TaskId, Holding> holdings_;  // the tasks holding SMs now
};

}  // namespace strata::models
