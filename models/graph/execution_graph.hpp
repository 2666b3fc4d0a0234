// The execution graph: ranks, communicator groups and per-rank tasks with dependencies (DESIGN.md, "The
// execution graph"). Generators (models/strategy) produce it, trace importers will too, the executor
// (models/executor/executor.hpp) replays it. Close to Chakra's node types: COMP_NODE ~ kCompute,
// COMM_COLL_NODE ~ kCollective, COMM_SEND/RECV_NODE ~ kSend/kRecv, MEM_* ~ kMemory; kHostTransfer moves
// bytes between a GPU's memory tiers (offload), ComputeKind::kHost is work on the host CPU.
//
// Contract:
//  - Task ids are dense (tasks[i].id == i). A task's `deps` name earlier tasks of the same rank; ranks meet
//    only through collectives (same `instance` on every member of the group) and send/recv pairs (same
//    `tag`, matching peers).
//  - Each rank runs each of its streams in task-id order (program order), one task at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/collectives/collective_op.hpp"
#include "models/cost/compute_cost.hpp"
#include "models/hardware/dtype.hpp"
#include "models/topology/memory_tier.hpp"
#include "sim/name_table.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

using TaskId = std::uint32_t;

enum class TaskType { kCompute, kCollective, kSend, kRecv, kMemory, kHostTransfer };
// kHost: a memory-bound step on the host CPU (the offloaded optimizer), timed by host DRAM bandwidth.
// kMeasured: a GPU kernel whose duration was measured (an imported trace) rather than modelled;
// kMeasuredHost: work measured on a host CPU thread (an imported trace's launch gaps and CPU operators),
// which another GPU would not change.
// kPriced: several kernels a workload's own cost model priced together on the rank's GPU (an inference
// iteration's GEMMs over every layer, models/serving/iteration_cost.hpp); it carries that duration.
enum class ComputeKind { kGemm, kAttention, kMemoryBound, kHost, kMeasured, kMeasuredHost, kPriced };

// The words graph files and timelines use for them.
inline constexpr sim::NameTable<TaskType, 6> kTaskTypeNames{{{
    {TaskType::kCompute, "compute"},
    {TaskType::kCollective, "collective"},
    {TaskType::kSend, "send"},
    {TaskType::kRecv, "recv"},
    {TaskType::kMemory, "memory"},
    {TaskType::kHostTransfer, "host_transfer"},
}}};
inline constexpr sim::NameTable<ComputeKind, 7> kComputeKindNames{{{
    {ComputeKind::kGemm, "gemm"},
    {ComputeKind::kAttention, "attention"},
    {ComputeKind::kMemoryBound, "memory_bound"},
    {ComputeKind::kHost, "host"},
    {ComputeKind::kMeasured, "measured"},
    {ComputeKind::kMeasuredHost, "measured_host"},
    {ComputeKind::kPriced, "priced"},
}}};

// A training pass of the pipeline schedule (models/strategy/pipeline_schedule.hpp orders them).
enum class PassKind {
  kForward,
  kBackward,       // input and weight gradients together
  kInputGradient,  // zero-bubble B: the input gradient only, sent on at once
  kWeightGradient  // zero-bubble W: the weight gradients of a micro-batch whose B ran earlier
};
inline constexpr sim::NameTable<PassKind, 4> kPassKindNames{{{
    {PassKind::kForward, "forward"},
    {PassKind::kBackward, "backward"},
    {PassKind::kInputGradient, "input_gradient"},
    {PassKind::kWeightGradient, "weight_gradient"},
}}};

// Where a generated task comes from, for timelines (Perfetto slice arguments) and graph files: the pass,
// micro-batch and model chunk it belongs to and the (global) layer it runs. Each field is unset where it
// does not apply: the optimizer step belongs to no pass, a pass's head or send to no layer, an imported
// kernel to none of them. Costs never read it.
struct TaskOrigin {
  static constexpr int kNone = -1;
  std::optional<PassKind> pass;
  std::int64_t micro_batch = kNone;
  int chunk = kNone;
  int layer = kNone;

  bool empty() const { return !pass && micro_batch == kNone && chunk == kNone && layer == kNone; }
};

struct ComputeSpec {
  ComputeKind kind = ComputeKind::kMemoryBound;
  GemmShape gemm;              // kGemm
  Dtype dtype = Dtype::kBf16;  // kGemm
  double flops = 0;            // kAttention (executed FLOPs)
  FusedAttentionKernel attention_kernel = FusedAttentionKernel::kFlashAttention2;  // kAttention
  double bytes = 0;  // kAttention, kMemoryBound and kHost: bytes read plus written
  // kMemoryBound: the task stands for this many equal kernels issued back to back on its stream (a loop of
  // copies), each moving bytes / kernels and paying the per-kernel overhead.
  std::int64_t kernels = 1;
  // kMemoryBound: the host's eager work before each of the kernels (a framework's loop over ranks and its
  // dispatch); the kernels follow one another at the slower of it and their GPU time. Zero: GPU-bound.
  sim::SimTime host_per_kernel;
  sim::SimTime duration;  // kMeasured, kMeasuredHost, kPriced

  bool is_measured() const { return kind == ComputeKind::kMeasured || kind == ComputeKind::kMeasuredHost; }
  // The task carries its duration (measured, or priced by its workload) rather than a shape to cost.
  bool has_duration() const { return is_measured() || kind == ComputeKind::kPriced; }
};

struct CollectiveSpec {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::int64_t bytes = 0;      // nccl-tests size convention (collective_op.hpp)
  int group = 0;               // index into ExecutionGraph::groups
  std::uint64_t instance = 0;  // the same on every member's task of one collective call
  // An NCCL kernel holding SMs while it runs (its channels' CTAs); false for copy-engine transfers and for
  // kernels whose SMs the GEMMs beside them already leave free (GemmShape::reserved_sms).
  bool holds_sms = true;
};

struct PointToPointSpec {
  int peer = 0;
  std::int64_t bytes = 0;
  std::uint64_t tag = 0;  // a send and its recv carry the same tag
  bool holds_sms = true;  // as CollectiveSpec::holds_sms (false: a copy-engine or RDMA transfer)
};

struct MemorySpec {
  std::int64_t bytes = 0;  // > 0 allocates, < 0 frees
  std::string category;    // "activations", "parameters", ...
};

// Bytes moved between two memory tiers of the task's GPU (models/topology/memory_tier.hpp).
struct HostTransferSpec {
  MemoryTier from = MemoryTier::kHbm;
  MemoryTier to = MemoryTier::kHostMemory;
  std::int64_t bytes = 0;
};

struct Task {
  TaskId id = 0;
  int rank = 0;
  int stream = 0;  // index into ExecutionGraph::streams
  TaskType type = TaskType::kCompute;
  std::string name;
  std::string category;  // breakdown bucket: "compute", "tp", "dp", "pp", "optimizer", ...
  std::vector<TaskId> deps;
  TaskOrigin origin;
  ComputeSpec compute;
  CollectiveSpec collective;
  PointToPointSpec p2p;
  MemorySpec memory;
  HostTransferSpec transfer;
};

// `ranks` are the simulated members, which meet at every collective of the group. `gpus`, when not empty,
// are the physical GPUs of the whole communicator, which set its cost (size and placement over nodes): a
// graph that simulates symmetric ranks once keeps one member but the communicator's real extent. Empty:
// the members' own GPUs.
struct CommGroup {
  std::string kind;  // "tp", "dp", "pp", ...
  std::vector<int> ranks;
  std::vector<int> gpus;
};

// Symmetric ranks (DESIGN.md, "The execution graph"): a graph may simulate fewer ranks than the job has GPUs.
// `gpus` is the job's GPU count (0: one GPU per rank) and `gpu_of_rank` the GPU each simulated rank stands
// for (empty: rank r on GPU r); placement (rank / GPUs per node) uses the GPU.
struct ExecutionGraph {
  int ranks = 0;
  int gpus = 0;
  std::vector<int> gpu_of_rank;
  std::vector<std::string> streams;  // e.g. {"compute", "tp", "dp", "pp-send", "pp-recv"}
  std::vector<CommGroup> groups;
  std::vector<Task> tasks;

  int gpu_count() const { return gpus > 0 ? gpus : ranks; }
  int gpu_of(int rank) const {
    return gpu_of_rank.empty() ? rank : gpu_of_rank[static_cast<std::size_t>(rank)];
  }
  // The physical GPUs of a communicator: `gpus` when given, else its members' GPUs.
  std::vector<int> group_gpus(const CommGroup& group) const;

  // Appends a task, giving it the next id; returns the id.
  TaskId add(Task task);
  // Checks the contract above; throws sim::InputError naming `source` and the first offending task.
  void validate(const std::string& source) const;
};

}  // namespace strata::models
