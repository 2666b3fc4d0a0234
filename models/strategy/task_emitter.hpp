// Appends the tasks of a lowered training step to an execution graph, one rank at a time: kernels (GEMM,
// attention, memory-bound), collectives, send/recv and memory tasks, on the rank's streams.
//
// Each task carries the origin the lowering last set (set_origin, set_layer).
//
// Overlapped TP collectives (tp_overlap) are pipelined with a neighbouring GEMM: `defer` makes a later
// compute-stream task wait for the collective instead of the next one.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "models/graph/time_category.hpp"
#include "sim/name_table.hpp"

namespace strata::models {

// Streams of every rank. TP collectives run on the compute stream (Megatron-LM without TP overlap: they
// block the next GEMM); gradient reduction has its own stream; sends and receives one each per direction,
// so a transfer waiting for its partner never holds up one going the other way.
enum Stream : int {
  kCompute = 0,
  kDataParallel = 1,
  kSendNext = 2,
  kSendPrevious = 3,
  kRecvPrevious = 4,
  kRecvNext = 5,
  kGather = 6,           // ZeRO-3 parameter all-gathers (prefetched one layer ahead)
  kReduce = 7,           // ZeRO-3 per-layer gradient reduce-scatters
  kTensorParallel = 8,   // TP collectives overlapped with GEMMs (tp_overlap)
  kContextParallel = 9,  // ring-attention key-value exchanges, overlapped with attention blocks
  kDeviceToHost = 10,    // offload: gradients to the host (a copy engine)
  kHostToDevice = 11,    // offload: weights back from the host or NVMe (the other copy engine)
  kHost = 12,            // offload: the optimizer step on the host CPU
  kNvmeSwap = 13,        // offload to NVMe: optimizer states swapped in and out beside the host step
  // DualPipe's reverse direction (rank p-1 to rank 0): its own send and receive streams.
  kReverseSendPrevious = 14,
  kReverseSendNext = 15,
  kReverseRecvNext = 16,
  kReverseRecvPrevious = 17,
};
// The streams' names (graph files and timelines), in enumeration order.
inline constexpr sim::NameTable<Stream, 18> kStreamNames{{{
    {kCompute, "compute"},
    {kDataParallel, "dp"},
    {kSendNext, "pp-send-next"},
    {kSendPrevious, "pp-send-previous"},
    {kRecvPrevious, "pp-recv-previous"},
    {kRecvNext, "pp-recv-next"},
    {kGather, "dp-gather"},
    {kReduce, "dp-reduce"},
    {kTensorParallel, "tp"},
    {kContextParallel, "cp"},
    {kDeviceToHost, "d2h"},
    {kHostToDevice, "h2d"},
    {kHost, "host"},
    {kNvmeSwap, "nvme"},
    {kReverseSendPrevious, "pp-reverse-send-previous"},
    {kReverseSendNext, "pp-reverse-send-next"},
    {kReverseRecvNext, "pp-reverse-recv-next"},
    {kReverseRecvPrevious, "pp-reverse-recv-previous"},
}}};
std::vector<std::string> lowering_stream_names();

inline constexpr TaskId kNoTask = std::numeric_limits<TaskId>::max();

class TaskEmitter {
 public:
  explicit TaskEmitter(ExecutionGraph& graph) : graph_(graph) {}

  // Forgets the previous rank's compute-stream position and deferred dependencies.
  void start_rank();

  // `reserved_sms`: SMs a concurrent communication kernel holds meanwhile (GemmShape::reserved_sms).
  TaskId gemm(Dtype dtype, int rank, std::string name, double m, double n, double k,
              std::vector<TaskId> deps = {}, double batch = 1, int reserved_sms = 0);
  TaskId memory_bound(int rank, std::string name, double bytes, std::vector<TaskId> deps = {});
  // `kernels` copy kernels issued back to back on `stream`, moving `bytes` (read plus written) in all, in
  // `category`, each after `host_per_kernel` of host work (ComputeSpec::kernels, host_per_kernel).
  TaskId copies(int rank, int stream, std::string name, double bytes, std::int64_t kernels,
                sim::SimTime host_per_kernel, TimeCategory category, std::vector<TaskId> deps);
  // A fused attention kernel: executed FLOPs and bytes read plus written.
  TaskId attention(int rank, std::string name, double flops, double bytes, FusedAttentionKernel kernel,
                   std::vector<TaskId> deps = {});
  TaskId collective(int rank, int group, CollectiveOp op, double bytes, TimeCategory category, int stream,
                    std::vector<TaskId> deps = {});
  TaskId transfer(int rank, Stream stream, TaskType type, int peer, double bytes, std::uint64_t tag,
                  std::vector<TaskId> deps = {});
  // Offload traffic between memory tiers of the rank's GPU, category offload.
  TaskId host_transfer(int rank, Stream stream, std::string name, MemoryTier from, MemoryTier to,
                       double bytes, std::vector<TaskId> deps = {});
  // Work on the host CPU (memory-bound over host DRAM) on the kHost stream, category offload.
  TaskId host_compute(int rank, std::string name, double bytes, std::vector<TaskId> deps = {});
  // Allocates (bytes > 0) or frees (< 0) memory of `category` on the compute stream.
  TaskId memory(int rank, double bytes, const char* category, std::vector<TaskId> deps = {});

  // Every task added from now on carries `origin` (its pass, micro-batch, chunk and layer) until the next
  // call; set_layer changes only the layer (TaskOrigin::kNone: none).
  void set_origin(const TaskOrigin& origin) { origin_ = origin; }
  void set_layer(int layer) { origin_.layer = layer; }

  // The (skip + 1)-th compute-stream task added from now on waits for `task`.
  void defer(TaskId task, int skip) { deferred_.emplace_back(task, skip); }
  TaskId last_compute() const { return last_compute_; }
  TaskId previous_compute() const { return previous_compute_; }
  Task& task(TaskId id) { return graph_.tasks[id]; }
  // Marks collective `id` as holding no SMs of its own (CollectiveSpec::holds_sms) and returns it.
  TaskId sm_free(TaskId id) {
    graph_.tasks[id].collective.holds_sms = false;
    return id;
  }

 private:
  TaskId add(Task task);

  ExecutionGraph& graph_;
  TaskOrigin origin_;
  TaskId last_compute_ = kNoTask;                 // the rank's latest compute-stream task
  TaskId previous_compute_ = kNoTask;             // the one before it
  std::vector<std::pair<TaskId, int>> deferred_;  // (task, compute tasks to skip before waiting on it)
  std::map<std::pair<int, int>, std::uint64_t> collective_sequence_;  // per (rank, group)
};

}  // namespace strata::models
