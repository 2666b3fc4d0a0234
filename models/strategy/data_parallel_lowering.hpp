// The data-parallel side of a rank's training step: gradient reductions and weight all-gathers over the
// data-parallel groups, and where the optimizer runs (training_lowering.hpp calls it).
//
// Dense parameters travel over the dp x cp group, routed experts over the expert-data-parallel group. With
// hybrid sharding (dp_shard, PyTorch FSDP HYBRID_SHARD) weights are all-gathered inside the shard group and
// gradients reduce-scattered inside it, then each rank's 1/dp_shard slice is all-reduced over its replica
// group.
// The Adam step is memory-bound over the rank's (ZeRO-sharded) parameters, 30 bytes each (read fp32 weight,
// gradient, momentum and variance; write the first three and the 16-bit copy). With offload (ZeRO-Offload,
// Ren et al. 2021) each reduced gradient shard is copied to host memory at once, Adam runs on the CPU over
// the same 30 bytes per parameter at host DRAM bandwidth, and the updated 16-bit weights go back to the GPU
// unless they are offloaded too. With NVMe (ZeRO-Infinity, Rajbhandari et al. SC21) the fp32 states are
// swapped in and out sub-group by sub-group, pipelined with the CPU step, so the phase takes about the longer
// of the two: modelled as the swap (12 bytes in, 12 out per parameter, plus the 16-bit weights written when
// they are offloaded) running beside the step.
#pragma once

#include <vector>

#include "models/strategy/parallel_strategy.hpp"
#include "models/strategy/task_emitter.hpp"

namespace strata::models {

inline constexpr double kWeightBytes = 2.0;  // 16-bit weights, as ZeRO gathers them

// Bytes of dense and expert parameters, which travel over different groups.
struct SplitBytes {
  double dense = 0;
  double expert = 0;
  double total() const { return dense + expert; }
};

// A rank's data-parallel communicators (ExecutionGraph::groups indices, -1: none).
struct DataParallelGroups {
  int dp = -1;   // dense: dp x cp
  int edp = -1;  // routed experts
  // Hybrid sharding only: the dense ZeRO shard group (-1 when it is one rank) and the replica group.
  int dp_shard = -1;
  int dp_replica = -1;
  int fssdp = -1;  // FSSDP only: every rank of the stage
};

class DataParallelLowering {
 public:
  DataParallelLowering(const ParallelStrategy& strategy, TaskEmitter& emit) : s_(strategy), emit_(emit) {}

  // One collective per non-empty part over its group (hybrid sharding as above). Returns the tasks that end
  // the exchange (none when there is nothing to exchange).
  std::vector<TaskId> collective(int rank, const DataParallelGroups& groups, CollectiveOp op,
                                 SplitBytes bytes, int stream, std::vector<TaskId> deps);
  // Reduces the gradients `bytes` once `ready` is done; what the optimizer must wait for: the reductions,
  // and with offload the copy of the rank's gradient shard to host memory after them.
  std::vector<TaskId> reduce_gradients(int rank, const DataParallelGroups& groups, CollectiveOp op,
                                       SplitBytes bytes, int stream, TaskId ready);
  // torch.distributed's list API around a ZeRO-3 collective of `bytes` (framework.zero3_copies_per_rank):
  // one copy per rank of each group the bytes travel over (dense: the ZeRO shard group, experts: expert
  // DP), each reading and writing its rank's part after the host's work for that rank
  // (framework.zero3_host_time_per_rank), on `stream` after `deps`.
  TaskId list_api_copies(int rank, const char* name, SplitBytes bytes, int stream, std::vector<TaskId> deps);
  // The Adam step over the rank's `sharded` parameters after `reduced`, on the GPU or offloaded. Returns the
  // task the updated weights' all-gather waits for.
  TaskId optimizer_step(int rank, double sharded, std::vector<TaskId> reduced);
  // The rank's shard of `bytes`: dense over the ZeRO shard group, experts over expert DP.
  double shard_of(SplitBytes bytes) const {
    return bytes.dense / s_.zero_shard() + bytes.expert / s_.expert_dp();
  }
  // The parameters the rank's optimizer steps over: ZeRO-sharded, and the experts always sharded with FSSDP.
  double optimizer_parameters(SplitBytes parameters) const {
    if (s_.zero >= 1) return shard_of(parameters);
    return parameters.dense + (s_.fssdp ? parameters.expert / s_.expert_dp() : parameters.expert);
  }

 private:
  const ParallelStrategy& s_;
  TaskEmitter& emit_;
};

}  // namespace strata::models
