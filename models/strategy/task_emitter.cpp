#include "models/strategy/task_emitter.hpp"

#include "sim/error.hpp"

namespace strata::models {
namespace {

Task make_task(int rank, int stream, TaskType type, std::string name, TimeCategory category,
               std::vector<TaskId> deps) {
  Task task;
  task.rank = rank;
  task.stream = stream;
  task.type = type;
  task.name = std::move(name);
  task.category = category_name(category);
  task.deps = std::move(deps);
  return task;
}

}  // namespace

std::vector<std::string> lowering_stream_names() {
  std::vector<std::string> names;
  for (const auto& entry : kStreamNames.entries) {
    STRATA_ASSERT(static_cast<std::size_t>(entry.value) == names.size(),
                  "kStreamNames lists the streams in order");
    names.emplace_back(entry.name);
  }
  return names;
}

void TaskEmitter::start_rank() {
  origin_ = {};
  last_compute_ = previous_compute_ = kNoTask;
  deferred_.clear();
}

TaskId TaskEmitter::add(Task task) {
  task.origin = origin_;
  if (task.stream != kCompute) return graph_.add(std::move(task));
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    if (it->second == 0) {
      task.deps.push_back(it->first);
      it = deferred_.erase(it);
    } else {
      --it->second;
      ++it;
    }
  }
  const TaskId id = graph_.add(std::move(task));
  previous_compute_ = last_compute_;
  last_compute_ = id;
  return id;
}

TaskId TaskEmitter::gemm(Dtype dtype, int rank, std::string name, double m, double n, double k,
                         std::vector<TaskId> deps, double batch, int reserved_sms) {
  Task task =
      make_task(rank, kCompute, TaskType::kCompute, std::move(name), TimeCategory::kCompute, std::move(deps));
  task.compute.kind = ComputeKind::kGemm;
  task.compute.gemm =
      GemmShape{static_cast<std::int64_t>(m), static_cast<std::int64_t>(n), static_cast<std::int64_t>(k)};
  task.compute.gemm.batch = static_cast<std::int64_t>(batch);
  task.compute.gemm.reserved_sms = reserved_sms;
  task.compute.dtype = dtype;
  return add(std::move(task));
}

TaskId TaskEmitter::memory_bound(int rank, std::string name, double bytes, std::vector<TaskId> deps) {
  Task task =
      make_task(rank, kCompute, TaskType::kCompute, std::move(name), TimeCategory::kCompute, std::move(deps));
  task.compute.kind = ComputeKind::kMemoryBound;
  task.compute.bytes = bytes;
  return add(std::move(task));
}

TaskId TaskEmitter::copies(int rank, int stream, std::string name, double bytes, std::int64_t kernels,
                           sim::SimTime host_per_kernel, TimeCategory category, std::vector<TaskId> deps) {
  Task task = make_task(rank, stream, TaskType::kCompute, std::move(name), category, std::move(deps));
  task.compute.kind = ComputeKind::kMemoryBound;
  task.compute.bytes = bytes;
  task.compute.kernels = kernels;
  task.compute.host_per_kernel = host_per_kernel;
  return add(std::move(task));
}

TaskId TaskEmitter::attention(int rank, std::string name, double flops, double bytes,
                              FusedAttentionKernel kernel, std::vector<TaskId> deps) {
  Task task =
      make_task(rank, kCompute, TaskType::kCompute, std::move(name), TimeCategory::kCompute, std::move(deps));
  task.compute.kind = ComputeKind::kAttention;
  task.compute.attention_kernel = kernel;
  task.compute.flops = flops;
  task.compute.bytes = bytes;
  return add(std::move(task));
}

TaskId TaskEmitter::collective(int rank, int group, CollectiveOp op, double bytes, TimeCategory category,
                               int stream, std::vector<TaskId> deps) {
  Task task = make_task(rank, stream, TaskType::kCollective, std::string(collective_op_name(op)), category,
                        std::move(deps));
  const std::uint64_t sequence = collective_sequence_[{rank, group}]++;
  task.collective = {op, static_cast<std::int64_t>(bytes), group,
                     (static_cast<std::uint64_t>(group) << 32) | sequence};
  return add(std::move(task));
}

TaskId TaskEmitter::transfer(int rank, Stream stream, TaskType type, int peer, double bytes,
                             std::uint64_t tag, std::vector<TaskId> deps) {
  Task task = make_task(rank, stream, type, type == TaskType::kSend ? "send" : "recv",
                        TimeCategory::kPipeline, std::move(deps));
  task.p2p = {peer, static_cast<std::int64_t>(bytes), tag};
  return add(std::move(task));
}

TaskId TaskEmitter::host_transfer(int rank, Stream stream, std::string name, MemoryTier from, MemoryTier to,
                                  double bytes, std::vector<TaskId> deps) {
  Task task = make_task(rank, stream, TaskType::kHostTransfer, std::move(name), TimeCategory::kOffload,
                        std::move(deps));
  task.transfer = {from, to, static_cast<std::int64_t>(bytes)};
  return add(std::move(task));
}

TaskId TaskEmitter::host_compute(int rank, std::string name, double bytes, std::vector<TaskId> deps) {
  Task task =
      make_task(rank, kHost, TaskType::kCompute, std::move(name), TimeCategory::kOffload, std::move(deps));
  task.compute.kind = ComputeKind::kHost;
  task.compute.bytes = bytes;
  return add(std::move(task));
}

TaskId TaskEmitter::memory(int rank, double bytes, const char* category, std::vector<TaskId> deps) {
  Task task = make_task(rank, kCompute, TaskType::kMemory, std::string("memory ") + category,
                        TimeCategory::kMemory, std::move(deps));
  task.memory = {static_cast<std::int64_t>(bytes), category};
  return add(std::move(task));
}

}  // namespace strata::models
