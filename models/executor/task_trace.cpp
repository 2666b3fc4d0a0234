#include "models/executor/task_trace.hpp"

#include <cmath>
#include <string>

#include "models/collectives/collective_op.hpp"
#include "models/topology/memory_tier.hpp"

namespace strata::models {
namespace {

constexpr double kGiga = 1e9;
constexpr double kTera = 1e12;
constexpr double kMilli = 1e3;

// Rates and waits to four significant digits: a trace's size is mostly its numbers.
double rounded(double value) {
  if (value == 0 || !std::isfinite(value)) return 0;
  const double scale = std::pow(10.0, 3 - std::floor(std::log10(std::abs(value))));
  return std::round(value * scale) / scale;
}

double per_second(double amount, sim::SimTime from, sim::SimTime to) {
  const double seconds = (to - from).seconds();
  return seconds > 0 ? rounded(amount / seconds) : 0.0;
}

}  // namespace

std::vector<sim::TimelineArg> task_span_args(const Task& task, const ExecutionGraph& graph,
                                             sim::SimTime queued, sim::SimTime started, sim::SimTime ended,
                                             const CollectiveEstimate* collective) {
  std::vector<sim::TimelineArg> args = {{"type", std::string(kTaskTypeNames.name(task.type))},
                                        {"category", task.category}};
  const TaskOrigin& origin = task.origin;
  if (origin.pass) args.push_back({"pass", std::string(kPassKindNames.name(*origin.pass))});
  if (origin.micro_batch != TaskOrigin::kNone) args.push_back({"micro_batch", origin.micro_batch});
  if (origin.chunk != TaskOrigin::kNone) args.push_back({"chunk", std::int64_t{origin.chunk}});
  if (origin.layer != TaskOrigin::kNone) args.push_back({"layer", std::int64_t{origin.layer}});
  const auto wait = [&] {
    args.push_back({"wait_for_peers_ms", rounded((started - queued).seconds() * kMilli)});
  };
  switch (task.type) {
    case TaskType::kCompute: {
      const ComputeSpec& c = task.compute;
      args.push_back({"kind", std::string(kComputeKindNames.name(c.kind))});
      const double flops = c.kind == ComputeKind::kGemm ? c.gemm.flops() : c.flops;
      if (c.kind == ComputeKind::kGemm) {
        args.push_back({"gemm_mnk", std::to_string(c.gemm.m) + "x" + std::to_string(c.gemm.n) + "x" +
                                        std::to_string(c.gemm.k) +
                                        (c.gemm.batch > 1 ? " x" + std::to_string(c.gemm.batch) : "")});
        args.push_back({"dtype", std::string(dtype_name(c.dtype))});
      }
      if (flops > 0) {
        args.push_back({"flops", flops});
        args.push_back({"achieved_tflop_per_s", rounded(per_second(flops, started, ended) / kTera)});
      }
      if (c.bytes > 0) {
        args.push_back({"bytes", c.bytes});
        args.push_back({"achieved_gb_per_s", rounded(per_second(c.bytes, started, ended) / kGiga)});
      }
      break;
    }
    case TaskType::kCollective: {
      const CommGroup& group = graph.groups[static_cast<std::size_t>(task.collective.group)];
      // The communicator's GPUs: a simulated rank may stand for symmetric peers.
      const std::size_t size = graph.group_gpus(group).size();
      args.push_back({"op", std::string(collective_op_name(task.collective.op))});
      args.push_back({"bytes", task.collective.bytes});
      args.push_back({"group", group.kind + " of " + std::to_string(size) + " GPUs"});
      wait();
      args.push_back(
          {"algorithm_gb_per_s",
           rounded(per_second(static_cast<double>(task.collective.bytes), started, ended) / kGiga)});
      if (collective != nullptr) {
        args.push_back({"bandwidth_path", std::string(collective_algorithm_name(collective->algorithm))});
        if (collective->nccl) args.push_back({"nccl_algorithm", nccl_choice_label(*collective->nccl)});
        args.push_back(
            {"time_from", std::string(collective->latency_bound ? "nccl_model" : "measured_ramp")});
      }
      break;
    }
    case TaskType::kSend:
    case TaskType::kRecv:
      args.push_back({"peer_rank", std::int64_t{task.p2p.peer}});
      args.push_back({"bytes", task.p2p.bytes});
      wait();
      args.push_back({"achieved_gb_per_s",
                      rounded(per_second(static_cast<double>(task.p2p.bytes), started, ended) / kGiga)});
      break;
    case TaskType::kHostTransfer:
      args.push_back({"from", std::string(memory_tier_name(task.transfer.from))});
      args.push_back({"to", std::string(memory_tier_name(task.transfer.to))});
      args.push_back({"bytes", task.transfer.bytes});
      args.push_back({"achieved_gb_per_s",
                      rounded(per_second(static_cast<double>(task.transfer.bytes), started, ended) / kGiga)});
      break;
    case TaskType::kMemory:
      args.push_back({"bytes", task.memory.bytes});
      args.push_back({"memory_category", task.memory.category});
      break;
  }
  return args;
}

}  // namespace strata::models
