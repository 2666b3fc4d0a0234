#include "models/executor/task_cost.hpp"

#include <algorithm>

#include "models/cost/compute_cost.hpp"
#include "models/cost/offload_cost.hpp"

namespace strata::models {

sim::SimTime compute_time(const ComputeSpec& compute, const GpuProfile& gpu, const SystemProfile& system) {
  switch (compute.kind) {
    case ComputeKind::kGemm: return gemm_time(gpu, compute.gemm, compute.dtype).total;
    case ComputeKind::kAttention:
      return fused_attention_time(gpu, sim::Flops::from_count(compute.flops),
                                  sim::Bytes::from_count(static_cast<std::int64_t>(compute.bytes)),
                                  compute.attention_kernel)
          .total;
    case ComputeKind::kMemoryBound: {
      const auto each = static_cast<std::int64_t>(compute.bytes / static_cast<double>(compute.kernels));
      const sim::SimTime one =
          std::max(memory_bound_time(gpu, sim::Bytes::from_count(each)).total, compute.host_per_kernel);
      return compute.kernels == 1 ? one : sim::SimTime::from_ps(one.ps() * compute.kernels);
    }
    case ComputeKind::kHost:
      return host_memory_bound_time(system, sim::Bytes::from_count(static_cast<std::int64_t>(compute.bytes)));
    case ComputeKind::kMeasured:
    case ComputeKind::kMeasuredHost:
    case ComputeKind::kPriced: return compute.duration;
  }
  return sim::SimTime::zero();
}

sim::SimTime compute_time_on(const ComputeSpec& compute, const ClusterHardware& hardware, int gpu,
                             int busy_sms) {
  const GpuProfile& profile = hardware.gpu(gpu);
  sim::SimTime time;
  if (busy_sms > 0 && compute.kind == ComputeKind::kGemm) {
    ComputeSpec fewer = compute;
    fewer.gemm.reserved_sms += busy_sms;
    time = compute_time(fewer, profile, hardware.system());
  } else if (busy_sms > 0 && compute.kind == ComputeKind::kAttention) {
    // Communication never takes the last SM (as gemm_time).
    const double sms = profile.sm_count.value;
    const double left = std::max(1.0, sms - busy_sms);
    time = sim::SimTime::from_ps_rounded(
        static_cast<double>(compute_time(compute, profile, hardware.system()).ps()) * sms / left);
  } else {
    time = compute_time(compute, profile, hardware.system());
  }
  const double slowdown = hardware.slowdown(gpu);
  const bool on_host = compute.kind == ComputeKind::kHost || compute.kind == ComputeKind::kMeasuredHost;
  return slowdown == 1.0 || on_host
             ? time
             : sim::SimTime::from_ps_rounded(static_cast<double>(time.ps()) * slowdown);
}

AnalyticTransfer task_transfer(const ExecutionGraph& graph, const Task& task,
                               const ClusterHardware& hardware) {
  const int gpu = graph.gpu_of(task.rank);
  switch (task.type) {
    case TaskType::kHostTransfer:
      return analytic_tier_transfer(hardware, gpu, task.transfer.from, task.transfer.to,
                                    sim::Bytes::from_count(task.transfer.bytes));
    case TaskType::kCollective: {
      const auto& group = graph.groups[static_cast<std::size_t>(task.collective.group)];
      const int own[] = {gpu};
      return analytic_collective_transfer(hardware, task.collective.op,
                                          sim::Bytes::from_count(task.collective.bytes),
                                          graph.group_gpus(group), own);
    }
    case TaskType::kSend:
    case TaskType::kRecv: {
      const bool sending = task.type == TaskType::kSend;
      const int peer = graph.gpu_of(task.p2p.peer);
      AnalyticTransfer transfer = analytic_point_to_point_transfer(
          hardware, sending ? gpu : peer, sending ? peer : gpu, sim::Bytes::from_count(task.p2p.bytes));
      std::erase_if(transfer.uses, [&](const GpuPortUse& use) {
        const bool out = use.port == GpuPort::kNvlinkOut || use.port == GpuPort::kNicOut;
        return out != sending;
      });
      return transfer;
    }
    case TaskType::kCompute:
    case TaskType::kMemory: break;
  }
  return AnalyticTransfer{task_duration(graph, task, hardware), {}};
}

sim::SimTime task_duration(const ExecutionGraph& graph, const Task& task, const ClusterHardware& hardware) {
  switch (task.type) {
    case TaskType::kCompute: return compute_time_on(task.compute, hardware, graph.gpu_of(task.rank));
    case TaskType::kMemory: return sim::SimTime::zero();
    case TaskType::kHostTransfer:
    case TaskType::kCollective:
    case TaskType::kSend:
    case TaskType::kRecv: return task_transfer(graph, task, hardware).time;
  }
  return sim::SimTime::zero();
}

}  // namespace strata::models
