// The execution graph: ranks, communicator groups and per-rank tasks with dependencies (DESIGN.md, "The
// execution graph"). Generators (models/strategy) produce it, trace importers will too, the executor
// (models/graph/graph_executor.hpp) replays it. Close to Chakra's node types: COMP_NODE ~ kCompute,
// COMM_COLL_NODE ~ kCollective, COMM_SEND/RECV_NODE ~ kSend/kRecv, MEM_* ~ kMemory.
//
// Contract:
//  - Task ids are dense (tasks[i].id == i). A task's `deps` name earlier tasks of the same rank; ranks meet
//    only through collectives (same `instance` on every member of the group) and send/recv pairs (same
//    `tag`, matching peers).
//  - Each rank runs each of its streams in task-id order (program order), one task at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/collectives/collective_op.hpp"
#include "models/cost/compute_cost.hpp"
#include "models/hardware/dtype.hpp"

namespace strata::models {

using TaskId = std::uint32_t;

enum class TaskType { kCompute, kCollective, kSend, kRecv, kMemory };
enum class ComputeKind { kGemm, kAttention, kMemoryBound };

struct ComputeSpec {
  ComputeKind kind = ComputeKind::kMemoryBound;
  GemmShape gemm;                 // kGemm
  Dtype dtype = Dtype::kBf16;     // kGemm
  double flops = 0;               // kAttention (executed FLOPs)
  double bytes = 0;               // kAttention and kMemoryBound: bytes read plus written
};

struct CollectiveSpec {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::int64_t bytes = 0;  // nccl-tests size convention (collective_op.hpp)
  int group = 0;           // index into ExecutionGraph::groups
  std::uint64_t instance = 0;  // the same on every member's task of one collective call
};

struct PointToPointSpec {
  int peer = 0;
  std::int64_t bytes = 0;
  std::uint64_t tag = 0;  // a send and its recv carry the same tag
};

struct MemorySpec {
  std::int64_t bytes = 0;  // > 0 allocates, < 0 frees
  std::string category;    // "activations", "parameters", ...
};

struct Task {
  TaskId id = 0;
  int rank = 0;
  int stream = 0;  // index into ExecutionGraph::streams
  TaskType type = TaskType::kCompute;
  std::string name;
  std::string category;  // breakdown bucket: "compute", "tp", "dp", "pp", "optimizer", ...
  std::vector<TaskId> deps;
  ComputeSpec compute;
  CollectiveSpec collective;
  PointToPointSpec p2p;
  MemorySpec memory;
};

struct CommGroup {
  std::string kind;  // "tp", "dp", "pp", ...
  std::vector<int> ranks;
};

struct ExecutionGraph {
  int ranks = 0;
  std::vector<std::string> streams;  // e.g. {"compute", "tp", "dp", "pp-send", "pp-recv"}
  std::vector<CommGroup> groups;
  std::vector<Task> tasks;

  // Appends a task, giving it the next id; returns the id.
  TaskId add(Task task);
  // Checks the contract above; throws sim::InputError naming `source` and the first offending task.
  void validate(const std::string& source) const;
};

}  // namespace strata::models
