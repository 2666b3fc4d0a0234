#include "models/executor/task_cost.hpp"

#include "models/cost/compute_cost.hpp"
#include "models/cost/offload_cost.hpp"
#include "models/network/analytic_backend.hpp"

namespace strata::models {

sim::SimTime compute_time(const ComputeSpec& compute, const GpuProfile& gpu, const SystemProfile& system) {
  switch (compute.kind) {
    case ComputeKind::kGemm: return gemm_time(gpu, compute.gemm, compute.dtype).total;
    case ComputeKind::kAttention:
      return fused_attention_time(gpu, sim::Flops::from_count(compute.flops),
                                  sim::Bytes::from_count(static_cast<std::int64_t>(compute.bytes))).total;
    case ComputeKind::kMemoryBound:
      return memory_bound_time(gpu, sim::Bytes::from_count(static_cast<std::int64_t>(compute.bytes))).total;
    case ComputeKind::kHost:
      return host_memory_bound_time(system, sim::Bytes::from_count(static_cast<std::int64_t>(compute.bytes)));
    case ComputeKind::kMeasured: return compute.duration;
  }
  return sim::SimTime::zero();
}

sim::SimTime task_duration(const ExecutionGraph& graph, const Task& task, const ClusterHardware& hardware) {
  const SystemProfile& system = hardware.system();
  const int gpu = graph.gpu_of(task.rank);
  switch (task.type) {
    case TaskType::kCompute: return compute_time(task.compute, hardware.gpu(gpu), system);
    case TaskType::kHostTransfer:
      return tier_transfer_time(system, hardware.gpu(gpu), task.transfer.from, task.transfer.to,
                                sim::Bytes::from_count(task.transfer.bytes));
    case TaskType::kCollective: {
      const auto& group = graph.groups[static_cast<std::size_t>(task.collective.group)];
      return analytic_collective_over(system, task.collective.op, sim::Bytes::from_count(task.collective.bytes),
                                      graph.group_gpus(group)).time;
    }
    case TaskType::kSend:
    case TaskType::kRecv:
      return analytic_point_to_point(system, gpu, graph.gpu_of(task.p2p.peer), sim::Bytes::from_count(task.p2p.bytes)).time;
    case TaskType::kMemory:
      return sim::SimTime::zero();
  }
  return sim::SimTime::zero();
}

}  // namespace strata::models
