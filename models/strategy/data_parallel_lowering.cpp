#include "models/strategy/data_parallel_lowering.hpp"

#include <algorithm>
#include <utility>

namespace strata::models {
namespace {

constexpr double kAdamBytesPerParameter = 30.0;  // see the header
constexpr double kStateBytes = 12.0;             // fp32 master weight, momentum, variance (memory_model.hpp)

}  // namespace

std::vector<TaskId> DataParallelLowering::collective(int rank, const DataParallelGroups& g, CollectiveOp op,
                                                     SplitBytes bytes, int stream, std::vector<TaskId> deps) {
  std::vector<TaskId> out;
  if (s_.hybrid_shard() && op != CollectiveOp::kAllReduce) {
    if (bytes.dense > 0 && op == CollectiveOp::kAllGather && g.dp_shard >= 0) {
      out.push_back(
          emit_.collective(rank, g.dp_shard, op, bytes.dense, TimeCategory::kDataParallel, stream, deps));
    } else if (bytes.dense > 0 && op != CollectiveOp::kAllGather) {
      std::vector<TaskId> after = deps;
      if (g.dp_shard >= 0)
        after = {emit_.collective(rank, g.dp_shard, CollectiveOp::kReduceScatter, bytes.dense,
                                  TimeCategory::kDataParallel, stream, deps)};
      out.push_back(emit_.collective(rank, g.dp_replica, CollectiveOp::kAllReduce,
                                     bytes.dense / s_.zero_shard(), TimeCategory::kDataParallel, stream,
                                     std::move(after)));
    }
  } else if (g.dp >= 0 && bytes.dense > 0) {
    out.push_back(emit_.collective(rank, g.dp, op, bytes.dense, TimeCategory::kDataParallel, stream, deps));
  }
  if (g.edp >= 0 && bytes.expert > 0)
    out.push_back(emit_.collective(rank, g.edp, op, bytes.expert, TimeCategory::kDataParallel, stream,
                                   std::move(deps)));
  return out;
}

std::vector<TaskId> DataParallelLowering::reduce_gradients(int rank, const DataParallelGroups& groups,
                                                           CollectiveOp op, SplitBytes bytes, int stream,
                                                           TaskId ready) {
  std::vector<TaskId> reductions = collective(rank, groups, op, bytes, stream, {ready});
  if (s_.offload == MemoryTier::kHbm) return reductions;
  if (reductions.empty()) reductions.push_back(ready);
  return {emit_.host_transfer(rank, kDeviceToHost, "gradients to host", MemoryTier::kHbm,
                              MemoryTier::kHostMemory, shard_of(bytes), std::move(reductions))};
}

TaskId DataParallelLowering::list_api_copies(int rank, const char* name, SplitBytes bytes, int stream,
                                             std::vector<TaskId> deps) {
  const std::int64_t kernels =
      (bytes.dense > 0 ? s_.zero_shard() : 0) + (bytes.expert > 0 ? s_.expert_dp() : 0);
  return emit_.copies(rank, stream, name, 2.0 * bytes.total(), std::max<std::int64_t>(kernels, 1),
                      s_.framework.zero3_host_time_per_rank.value, TimeCategory::kDataParallel,
                      std::move(deps));
}

TaskId DataParallelLowering::optimizer_step(int rank, double sharded, std::vector<TaskId> reduced) {
  if (s_.offload == MemoryTier::kHbm) {
    const TaskId step =
        emit_.memory_bound(rank, "optimizer step", kAdamBytesPerParameter * sharded, std::move(reduced));
    emit_.task(step).category = category_name(TimeCategory::kOptimizer);
    return step;
  }
  const TaskId step =
      emit_.host_compute(rank, "optimizer step (host)", kAdamBytesPerParameter * sharded, reduced);
  std::vector<TaskId> done{step};
  if (s_.offload == MemoryTier::kNvme) {
    const double swapped = (2.0 * kStateBytes + (s_.offload_parameters ? kWeightBytes : 0.0)) * sharded;
    done.push_back(emit_.host_transfer(rank, kNvmeSwap, "optimizer states swap (nvme)", MemoryTier::kNvme,
                                       MemoryTier::kHostMemory, swapped, std::move(reduced)));
  }
  if (s_.offload_parameters) return done.back();
  return emit_.host_transfer(rank, kHostToDevice, "weights to gpu", MemoryTier::kHostMemory, MemoryTier::kHbm,
                             kWeightBytes * sharded, std::move(done));
}

}  // namespace strata::models
