#include "traces/kineto/kineto_import.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/graph/time_category.hpp"
#include "sim/error.hpp"
#include "traces/kineto/gemm_launches.hpp"
#include "traces/kineto/kernel_classes.hpp"
#include "traces/kineto/process_group_roles.hpp"
#include "traces/trace_time.hpp"

namespace strata::traces {
namespace {

using models::CollectiveOp;
using models::TaskId;
using models::TaskType;
using models::TimeCategory;

// Runtime calls that block the host until GPU work is done, and the one that orders two streams.
constexpr std::array<std::string_view, 7> kSynchronizeCalls{
    "cudaDeviceSynchronize", "cudaStreamSynchronize", "cudaEventSynchronize", "cudaMemcpy",
    "cuCtxSynchronize",      "cuStreamSynchronize",   "cuEventSynchronize"};
constexpr std::array<std::string_view, 2> kStreamWaitCalls{"cudaStreamWaitEvent", "cuStreamWaitEvent"};

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// PyTorch scalar type names (c10/core/ScalarType.h) and their sizes in bytes.
std::optional<int> dtype_bytes(const std::string& dtype) {
  static const std::unordered_map<std::string, int> kSizes{
      {"Float", 4},         {"Double", 8},      {"Half", 2},  {"BFloat16", 2}, {"Int", 4},
      {"Long", 8},          {"Short", 2},       {"Byte", 1},  {"Char", 1},     {"Bool", 1},
      {"Float8_e4m3fn", 1}, {"Float8_e5m2", 1}, {"UInt8", 1}, {"Int8", 1},     {"ComplexFloat", 8}};
  const auto found = kSizes.find(dtype);
  if (found == kSizes.end()) return std::nullopt;
  return found->second;
}

// PyTorch's collective names (torch.distributed, record_param_comms): all_gather_into_tensor,
// _allgather_base, allgather_into_tensor_coalesced, reduce_scatter_tensor, _reduce_scatter_base,
// all_to_all_single, ...
std::optional<CollectiveOp> collective_op_of(const std::string& name) {
  std::string key;
  for (char c : name)
    if (c != '_') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (key.rfind("allreduce", 0) == 0) return CollectiveOp::kAllReduce;
  if (key.rfind("allgather", 0) == 0) return CollectiveOp::kAllGather;
  if (key.rfind("reducescatter", 0) == 0) return CollectiveOp::kReduceScatter;
  if (key.rfind("alltoall", 0) == 0) return CollectiveOp::kAllToAll;
  if (key.rfind("broadcast", 0) == 0) return CollectiveOp::kBroadcast;
  return std::nullopt;
}

// The parallelism an NCCL kernel serves: its process group's described role where the trace records one
// (process_group_roles.hpp), otherwise by kind and extent.
TimeCategory communication_category(std::optional<CollectiveOp> op, std::size_t group_gpus, int world,
                                    const std::string& group_description) {
  if (!op) return TimeCategory::kPipeline;  // send/recv and unnamed NCCL kernels: point-to-point traffic
  if (const auto role = process_group_role(group_description)) return *role;
  if (*op == CollectiveOp::kAllToAll) return TimeCategory::kExpertParallel;
  return static_cast<int>(group_gpus) == world ? TimeCategory::kDataParallel : TimeCategory::kTensorParallel;
}

// A node of the graph before ids are given: tasks are emitted in time order so that every dependency comes
// first (ExecutionGraph's contract).
struct Node {
  double key = 0;  // when it can first start in the trace
  int order = 0;   // at equal keys: host segments, then synchronize markers, then GPU work
  std::size_t sequence = 0;
  models::Task task;
  std::vector<std::size_t> deps;  // other nodes
};

class Importer {
 public:
  Importer(const KinetoTrace& trace, const KinetoImportOptions& options)
      : trace_(trace), options_(options), gemm_launches_(trace) {}

  KinetoImport run() {
    set_window();
    select_work();
    if (ops_.empty())
      throw sim::InputError(trace_.source, "/traceEvents",
                            "no GPU kernel, copy or memset in the window to replay" + window_words());
    name_streams();
    // A node per selected op, per host segment between launches and per synchronize: at most three per op
    // plus the synchronizes (moving Nodes as the vector grows was a tenth of an import).
    nodes_.reserve(3 * ops_.size() + 16);
    add_host_threads();
    add_gpu_work();
    emit();
    return std::move(result_);
  }

 private:
  std::string window_words() const {
    return trace_.steps.empty() ? ""
                                : " (ProfilerStep#" + std::to_string(trace_.steps.front().number) + " to #" +
                                      std::to_string(trace_.steps.back().number) + ")";
  }

  void set_window() {
    if (!trace_.steps.empty()) {
      begin_ = trace_.steps.front().start_us;
      end_ = begin_;
      double total = 0;
      for (const KinetoStep& step : trace_.steps) {
        end_ = std::max(end_, step.start_us + step.duration_us);
        total += step.duration_us;
      }
      result_.steps = static_cast<std::int64_t>(trace_.steps.size());
      result_.measured_step_s = total / static_cast<double>(trace_.steps.size()) * 1e-6;
    } else {
      begin_ = std::numeric_limits<double>::max();
      end_ = std::numeric_limits<double>::lowest();
      for (const KinetoGpuOp& op : trace_.gpu_ops) {
        begin_ = std::min(begin_, op.start_us);
        end_ = std::max(end_, op.start_us + op.duration_us);
      }
      for (const KinetoRuntimeCall& call : trace_.runtime_calls) {
        begin_ = std::min(begin_, call.start_us);
        end_ = std::max(end_, call.start_us + call.duration_us);
      }
      if (trace_.gpu_ops.empty()) begin_ = end_ = 0;
      result_.steps = 1;
      result_.measured_step_s = (end_ - begin_) * 1e-6;
    }
    // Host segments span the window: a window beyond a day is not a trace of training steps (and could
    // outlast simulated time).
    constexpr double kMaxWindowUs = 86400e6;
    if (end_ - begin_ > kMaxWindowUs)
      throw sim::InputError(trace_.source, "/traceEvents",
                            "the events span " + std::to_string((end_ - begin_) * 1e-6) +
                                " s, more than a day" + window_words());
    result_.window_start_us = begin_;
    result_.window_s = (end_ - begin_) * 1e-6;
  }

  bool in_window(double start_us) const { return start_us >= begin_ && start_us < end_; }

  // GPU work launched in the window (or, without a recorded launch, starting in it), and the calls that
  // launched it.
  void select_work() {
    std::unordered_map<std::int64_t, std::size_t> launch_of;  // correlation -> call, for calls in the window
    std::set<std::int64_t> recorded;                          // every call's correlation
    for (std::size_t i = 0; i < trace_.runtime_calls.size(); ++i) {
      const KinetoRuntimeCall& call = trace_.runtime_calls[i];
      if (!call.correlation) continue;
      recorded.insert(*call.correlation);
      if (in_window(call.start_us)) launch_of.emplace(*call.correlation, i);
    }
    for (std::size_t i = 0; i < trace_.gpu_ops.size(); ++i) {
      const KinetoGpuOp& op = trace_.gpu_ops[i];
      std::optional<std::size_t> launch;
      if (op.correlation) {
        if (const auto found = launch_of.find(*op.correlation); found != launch_of.end())
          launch = found->second;
      }
      const bool launched_elsewhere = op.correlation && !launch && recorded.count(*op.correlation) > 0;
      if (launch || (!launched_elsewhere && in_window(op.start_us))) {
        ops_.push_back(i);
        launch_of_op_.push_back(launch);
        if (launch) launching_.insert(*launch);
      }
    }
  }

  void name_streams() {
    std::set<std::int64_t> gpu_streams, threads;
    for (std::size_t i : ops_) gpu_streams.insert(trace_.gpu_ops[i].stream);
    for (std::size_t i = 0; i < trace_.runtime_calls.size(); ++i)
      if (relevant_call(i)) threads.insert(trace_.runtime_calls[i].thread);
    auto& streams = result_.graph.streams;
    for (std::int64_t s : gpu_streams) {
      gpu_stream_[s] = static_cast<int>(streams.size());
      streams.push_back("stream " + std::to_string(s));
    }
    for (std::int64_t t : threads) {
      thread_stream_[t] = static_cast<int>(streams.size());
      streams.push_back("thread " + std::to_string(t));
    }
  }

  bool relevant_call(std::size_t i) const {
    const KinetoRuntimeCall& call = trace_.runtime_calls[i];
    if (!in_window(call.start_us)) return false;
    return launching_.count(i) > 0 || is_one_of(call.name, kSynchronizeCalls);
  }

  std::size_t add(Node node) {
    node.sequence = nodes_.size();
    nodes_.push_back(std::move(node));
    return nodes_.size() - 1;
  }

  // GPU work (ComputeKind::kMeasured) or, on a host thread, kMeasuredHost.
  models::Task measured_task(int stream, std::string name, TimeCategory category, double microseconds,
                             models::ComputeKind kind = models::ComputeKind::kMeasured) {
    models::Task task;
    task.stream = stream;
    task.type = TaskType::kCompute;
    task.name = std::move(name);
    task.category = models::category_name(category);
    task.compute.kind = kind;
    task.compute.duration = from_trace_microseconds(microseconds);
    return task;
  }

  // Each thread: a measured segment before each launch or synchronize call (the host's own work), and a
  // marker after each synchronize that waits for the GPU work finished by the time it returned.
  void add_host_threads() {
    std::map<std::int64_t, std::vector<std::size_t>> calls_of_thread;
    for (std::size_t i = 0; i < trace_.runtime_calls.size(); ++i) {
      const KinetoRuntimeCall& call = trace_.runtime_calls[i];
      if (relevant_call(i) || (in_window(call.start_us) && is_one_of(call.name, kStreamWaitCalls)))
        calls_of_thread[call.thread].push_back(i);
    }
    for (auto& [thread, calls] : calls_of_thread) {
      std::stable_sort(calls.begin(), calls.end(), [&](std::size_t a, std::size_t b) {
        return trace_.runtime_calls[a].start_us < trace_.runtime_calls[b].start_us;
      });
      const auto stream = thread_stream_.find(thread);
      double boundary = begin_;
      bool waiting = false;  // a cudaStreamWaitEvent since the thread's last launch
      for (std::size_t i : calls) {
        const KinetoRuntimeCall& call = trace_.runtime_calls[i];
        const bool launches = launching_.count(i) > 0;  // whatever its name: it launched GPU work
        if (!launches && is_one_of(call.name, kStreamWaitCalls)) {
          waiting = true;
          continue;
        }
        if (stream == thread_stream_.end()) continue;
        Node segment{
            call.start_us,
            0,
            0,
            measured_task(stream->second, "host before " + std::string(call.name), TimeCategory::kOther,
                          call.start_us - boundary, models::ComputeKind::kMeasuredHost),
            {}};
        const std::size_t segment_node = add(std::move(segment));
        boundary = call.start_us;
        if (!launches) {  // a synchronize call
          const double returned = call.start_us + call.duration_us;
          Node marker{returned,
                      1,
                      0,
                      measured_task(stream->second, std::string(call.name), TimeCategory::kOther, 0,
                                    models::ComputeKind::kMeasuredHost),
                      {}};
          synchronize_markers_.emplace_back(add(std::move(marker)), returned);
          boundary = returned;
          continue;
        }
        launch_node_[i] = segment_node;
        if (waiting) waiting_launches_.insert(i);
        waiting = false;
      }
    }
  }

  // The model's collective for an NCCL kernel, or why it keeps its measured time.
  struct CommunicationPlan {
    std::optional<CollectiveOp> op;
    std::int64_t bytes = 0;
    std::vector<int> gpus;
    std::string measured_reason;  // empty: modelled
  };
  CommunicationPlan plan_communication(const KinetoGpuOp& op) const {
    CommunicationPlan plan;
    if (!op.collective) {
      plan.measured_reason = "no collective metadata (send/recv or an unnamed NCCL kernel)";
      return plan;
    }
    const KinetoCollective& c = *op.collective;
    plan.op = collective_op_of(c.name);
    plan.gpus = c.ranks;
    if (plan.gpus.empty() && c.group_size == trace_.world_size)
      for (int r = 0; r < trace_.world_size; ++r) plan.gpus.push_back(r);
    const std::optional<int> element = dtype_bytes(c.dtype);
    if (!plan.op) {
      plan.measured_reason = "\"" + c.name + "\" is not a collective the network model prices";
    } else if (plan.gpus.empty()) {
      plan.measured_reason = "the process group's ranks are not recorded";
    } else if (!element) {
      plan.measured_reason = "unknown dtype \"" + c.dtype + "\"";
    } else if (std::find(plan.gpus.begin(), plan.gpus.end(), trace_.rank) == plan.gpus.end() ||
               *std::max_element(plan.gpus.begin(), plan.gpus.end()) >= trace_.world_size) {
      plan.measured_reason = "its process group's ranks do not fit the traced rank and world size";
    } else if (options_.measured_comm) {
      plan.measured_reason = "--measured-comm";
    }
    std::int64_t elements = c.in_elements;
    if (plan.op == CollectiveOp::kAllGather)  // nccl-tests size: the whole gathered output
      elements =
          c.out_elements > 0 ? c.out_elements : c.in_elements * static_cast<std::int64_t>(plan.gpus.size());
    plan.bytes = elements * element.value_or(0);
    return plan;
  }

  int group_of(const std::vector<int>& gpus, const KinetoCollective& c) {
    const auto found = group_index_.find(gpus);
    if (found != group_index_.end()) return found->second;
    models::CommGroup group;
    group.kind =
        "process group " + (c.group_name.empty() ? std::to_string(group_index_.size()) : c.group_name);
    group.ranks = {0};
    group.gpus = gpus;
    const int index = static_cast<int>(result_.graph.groups.size());
    result_.graph.groups.push_back(std::move(group));
    group_index_.emplace(gpus, index);
    return index;
  }

  void add_gpu_work() {
    // Per stream, its work sorted by end: for "the latest work of a stream finished by t".
    for (std::size_t k = 0; k < ops_.size(); ++k) {
      const KinetoGpuOp& op = trace_.gpu_ops[ops_[k]];
      const std::optional<std::size_t> launch = launch_of_op_[k];
      const double launched = launch ? trace_.runtime_calls[*launch].start_us : op.start_us;
      Node node;
      node.key = std::max(op.start_us, launched);
      node.order = 2;
      const int stream = gpu_stream_.at(op.stream);
      const KernelClass kind = kernel_class(op);
      if (kind == KernelClass::kCommunication) {
        const CommunicationPlan plan = plan_communication(op);
        if (plan.measured_reason.empty()) {
          node.task.stream = stream;
          node.task.type = TaskType::kCollective;
          node.task.name = std::string(models::collective_op_name(*plan.op));
          node.task.category = models::category_name(communication_category(
              plan.op, plan.gpus.size(), trace_.world_size, op.collective->group_description));
          const int group = group_of(plan.gpus, *op.collective);
          node.task.collective = {*plan.op, plan.bytes, group,
                                  (static_cast<std::uint64_t>(group) << 32) | collective_sequence_[group]++};
          ++result_.modelled_collectives;
        } else {
          node.task = measured_task(
              stream, std::string(op.name),
              communication_category(plan.op, plan.gpus.size(), trace_.world_size,
                                     op.collective ? op.collective->group_description : std::string()),
              op.duration_us);
          ++result_.measured_communication[plan.measured_reason];
        }
      } else {
        const bool host_copy = kind == KernelClass::kCopy && is_host_device_copy(op.name);
        node.task =
            measured_task(stream, std::string(op.name),
                          host_copy ? TimeCategory::kOffload : TimeCategory::kCompute, op.duration_us);
        if (kind == KernelClass::kGemm) {
          ++result_.gemm_kernels;
          // The product's shape and precision, for what-ifs that re-cost the kernel (gpu_retarget.hpp).
          if (const auto product =
                  launch ? gemm_launches_.product_of(op, trace_.runtime_calls[*launch]) : std::nullopt) {
            node.task.compute.gemm = product->shape;
            node.task.compute.dtype = product->dtype;
            ++result_.gemm_kernels_with_shape;
          }
        }
      }
      if (launch) {
        const auto segment = launch_node_.find(*launch);
        STRATA_ASSERT(segment != launch_node_.end(), "every launching call has its host segment");
        node.deps.push_back(segment->second);
      }
      const std::size_t id = add(std::move(node));
      by_end_[op.stream].emplace_back(op.start_us + op.duration_us, id);
      if (launch && waiting_launches_.count(*launch) > 0) cross_stream_.emplace_back(id, k);
    }
    for (auto& [stream, ends] : by_end_) std::stable_sort(ends.begin(), ends.end());
    for (const auto& [id, k] : cross_stream_) {
      const KinetoGpuOp& op = trace_.gpu_ops[ops_[k]];
      if (const auto before = latest_finished(op.start_us, op.stream)) nodes_[id].deps.push_back(*before);
    }
    for (const auto& [id, returned] : synchronize_markers_)
      if (const auto before = latest_finished(returned, std::nullopt)) nodes_[id].deps.push_back(*before);
  }

  // The node of the GPU work (of a stream other than `except`) that ended last at or before `t`.
  std::optional<std::size_t> latest_finished(double t, std::optional<std::int64_t> except) const {
    std::optional<std::pair<double, std::size_t>> best;
    for (const auto& [stream, ends] : by_end_) {
      if (except && stream == *except) continue;
      auto it =
          std::upper_bound(ends.begin(), ends.end(), std::pair{t, std::numeric_limits<std::size_t>::max()});
      if (it == ends.begin()) continue;
      --it;
      if (!best || it->first > best->first) best = *it;
    }
    if (!best) return std::nullopt;
    return best->second;
  }

  void emit() {
    std::vector<std::size_t> order(nodes_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const Node& x = nodes_[a];
      const Node& y = nodes_[b];
      if (x.key != y.key) return x.key < y.key;
      if (x.order != y.order) return x.order < y.order;
      return x.sequence < y.sequence;
    });
    models::ExecutionGraph& graph = result_.graph;
    graph.ranks = 1;
    graph.gpus = trace_.world_size;
    graph.gpu_of_rank = {trace_.rank};
    graph.tasks.reserve(nodes_.size());
    std::vector<std::optional<TaskId>> id_of(nodes_.size());
    for (std::size_t n : order) {
      Node& node = nodes_[n];
      for (std::size_t dep : node.deps)
        if (id_of[dep])
          node.task.deps.push_back(*id_of[dep]);  // a dependency not yet placed is implied by time
      std::sort(node.task.deps.begin(), node.task.deps.end());
      node.task.deps.erase(std::unique(node.task.deps.begin(), node.task.deps.end()), node.task.deps.end());
      id_of[n] = graph.add(std::move(node.task));
    }
    result_.gpu_ops = static_cast<std::int64_t>(ops_.size());
    graph.validate(trace_.source);
  }

  const KinetoTrace& trace_;
  const KinetoImportOptions& options_;
  const GemmLaunches gemm_launches_;
  KinetoImport result_;
  double begin_ = 0;
  double end_ = 0;
  std::vector<std::size_t> ops_;                          // selected GPU work (indices into gpu_ops)
  std::vector<std::optional<std::size_t>> launch_of_op_;  // per selected op: its launch call
  std::set<std::size_t> launching_;                       // calls that launch selected work
  std::map<std::int64_t, int> gpu_stream_;                // trace stream -> graph stream
  std::map<std::int64_t, int> thread_stream_;             // trace thread -> graph stream
  std::vector<Node> nodes_;
  std::unordered_map<std::size_t, std::size_t> launch_node_;  // call -> its host segment node
  std::set<std::size_t> waiting_launches_;                    // launches after a cudaStreamWaitEvent
  std::vector<std::pair<std::size_t, double>> synchronize_markers_;
  std::map<std::int64_t, std::vector<std::pair<double, std::size_t>>> by_end_;
  std::vector<std::pair<std::size_t, std::size_t>> cross_stream_;  // (node, selected op)
  std::map<std::vector<int>, int> group_index_;
  std::map<int, std::uint64_t> collective_sequence_;
};

}  // namespace

KinetoImport import_kineto(const KinetoTrace& trace, const KinetoImportOptions& options) {
  return Importer(trace, options).run();
}

}  // namespace strata::traces
