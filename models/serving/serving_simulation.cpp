#include "models/serving/serving_simulation.hpp"

#include <algorithm>
#include <memory>

#include "models/executor/executor.hpp"
#include "models/network/network_backend.hpp"
#include "models/serving/iteration_cost.hpp"
#include "sim/error.hpp"
#include "sim/random_source.hpp"

namespace strata::models {
namespace {

// One kind of work of an iteration, as a task on the replica's compute stream.
struct IterationPart {
  const char* name;
  const char* category;
  sim::SimTime IterationTime::*time;
};
constexpr IterationPart kIterationParts[] = {
    {"gemm", "compute", &IterationTime::gemm},
    {"attention", "compute", &IterationTime::attention},
    {"memory_bound", "compute", &IterationTime::memory_bound},
    {"tp", "tp", &IterationTime::tp},
    {"swap", "host", &IterationTime::swap},
};

void check_fits(const std::vector<ServingRequest>& requests, const Deployment& deployment,
                const BatchLimits& limits, const ServingMemory& memory) {
  std::int64_t longest_prompt = 0;
  std::int64_t needed = 0;
  for (const ServingRequest& request : requests) {
    longest_prompt = std::max(longest_prompt, request.input_len);
    needed = std::max(needed, request.input_len + request.output_len);
  }
  if (!deployment.chunked_prefill && deployment.preemption != PreemptionKind::kNone &&
      needed - 1 > limits.max_num_tokens) {
    throw sim::InputError("", "/max_num_tokens",
                          "a preempted request prefills its prompt and its generated tokens again, up to " +
                              std::to_string(needed - 1) + " tokens, above max_num_tokens " +
                              std::to_string(limits.max_num_tokens) +
                              "; raise max_num_tokens or set chunked_prefill");
  }
  if (!deployment.chunked_prefill && longest_prompt > limits.max_num_tokens) {
    throw sim::InputError("", "/max_num_tokens",
                          "a prompt of " + std::to_string(longest_prompt) +
                              " tokens never fits an iteration of max_num_tokens " +
                              std::to_string(limits.max_num_tokens) +
                              "; raise max_num_tokens or set chunked_prefill");
  }
  const std::int64_t blocks = (needed + deployment.kv_block_tokens - 1) / deployment.kv_block_tokens;
  if (blocks > memory.kv_blocks) {
    throw sim::InputError(
        "", "/tp",
        "the KV cache holds " + std::to_string(memory.kv_tokens()) + " tokens; one request needs " +
            std::to_string(blocks * deployment.kv_block_tokens) + " (" + std::to_string(needed) +
            " rounded up to blocks of " + std::to_string(deployment.kv_block_tokens) + ")");
  }
}

// Drives the replicas' schedulers on one executor.
class ServingDriver {
 public:
  ServingDriver(const TransformerConfig& model, const Deployment& deployment, const ClusterHardware& hardware,
                ServingRun& run, sim::TimelineRecorder* timeline, std::int64_t max_iterations)
      : run_(run),
        max_iterations_(max_iterations),
        timeline_(timeline),
        tp_(deployment.tp),
        ranks_(static_cast<std::size_t>(deployment.attention_ranks())) {
    // Blocks the swap space of one GPU holds: its share of the host memory, at most swap_space_bytes.
    const SystemProfile& system = hardware.system();
    const double host_per_gpu =
        std::min(deployment.swap_space_bytes,
                 system.host_memory_capacity.value.as_double() / system.gpus_per_node.value);
    const auto host_blocks = static_cast<std::int64_t>(
        host_per_gpu / (run.memory.kv_bytes_per_token * static_cast<double>(deployment.kv_block_tokens)));
    ExecutionGraph layout;
    layout.ranks = deployment.replicas;
    layout.gpus = deployment.gpus();
    layout.streams = {"compute"};
    for (int r = 0; r < deployment.replicas; ++r) {
      layout.gpu_of_rank.push_back(r * deployment.tp);
      costs_.push_back(std::make_unique<IterationCost>(model, deployment, hardware.gpu(r * deployment.tp),
                                                       hardware.system()));
      for (std::size_t a = 0; a < ranks_; ++a) {
        schedulers_.emplace_back(r, deployment, run.limits, run.memory.kv_blocks, run.requests, run.records,
                                 host_blocks);
      }
    }
    last_task_.assign(static_cast<std::size_t>(deployment.replicas), kNoTask);
    formed_.assign(schedulers_.size(), false);
    kick_pending_.assign(static_cast<std::size_t>(deployment.replicas), false);
    network_ = make_network_backend(NetworkFidelity::kAnalytic, queue_, hardware, layout.gpus);
    executor_ = std::make_unique<Executor>(queue_, std::move(layout), hardware, *network_, timeline);
    executor_->on_task_finished([this](TaskId id) { task_finished(id); });
  }

  void run() {
    for (std::size_t i = 0; i < run_.requests.size(); ++i) {
      const sim::SimTime at = run_.requests[i].arrival;
      if (at == sim::SimTime::zero()) {
        arrive(i);
      } else {
        queue_.schedule_at(at, [this, i] { arrive(i); });
      }
    }
    executor_->run();
    run_.makespan = queue_.now();
    for (const ReplicaScheduler& scheduler : schedulers_) {
      run_.preemptions += scheduler.preemptions();
      if (scheduler.outstanding() > 0)
        throw sim::SimulationError("serving: a replica stopped with requests it never served");
    }
    run_.events = queue_.executed();
    if (timeline_ != nullptr) record_requests();
  }

 private:
  static constexpr TaskId kNoTask = ~TaskId{0};

  // Schedulers are per attention rank: ranks_ of them for each replica, in replica order.
  void arrive(std::size_t request) {
    std::size_t best = 0;
    for (std::size_t s = 1; s < schedulers_.size(); ++s) {
      if (schedulers_[s].outstanding() < schedulers_[best].outstanding()) best = s;
    }
    schedulers_[best].enqueue(request);
    const std::size_t replica = best / ranks_;
    if (last_task_[replica] != kNoTask || kick_pending_[replica]) return;
    // An idle replica starts its next iteration once every request arriving at this instant is queued
    // (events at one time run in the order they were scheduled), so that they share its first batch.
    kick_pending_[replica] = true;
    queue_.schedule_at(queue_.now(), [this, replica] {
      kick_pending_[replica] = false;
      if (last_task_[replica] == kNoTask) start_iteration(replica);
    });
  }

  void start_iteration(std::size_t replica) {
    works_.clear();
    std::int64_t running = 0;
    std::int64_t tokens = 0;
    std::int64_t kv_blocks = 0;
    for (std::size_t a = 0; a < ranks_; ++a) {
      const std::size_t s = replica * ranks_ + a;
      ReplicaScheduler& scheduler = schedulers_[s];
      std::optional<BatchWork> work = scheduler.next_iteration();
      formed_[s] = work.has_value();
      works_.push_back(work.value_or(BatchWork{}));
      running += static_cast<std::int64_t>(scheduler.running());
      tokens += works_.back().tokens();
      kv_blocks += scheduler.kv_blocks_used();
    }
    if (tokens == 0) {
      last_task_[replica] = kNoTask;
      return;
    }
    if (static_cast<std::int64_t>(run_.iterations.size()) >= max_iterations_) {
      throw sim::InputError(
          "", "/inference",
          "the run needs more than " + std::to_string(max_iterations_) +
              " iterations; serve fewer requests or shorter outputs, or allow larger batches");
    }
    run_.iterations.push_back({queue_.now(), static_cast<int>(replica), running, tokens, kv_blocks});
    if (timeline_ != nullptr) {
      const std::string track = "gpu" + std::to_string(static_cast<int>(replica) * tp_) + "/batch";
      timeline_->add_counter(track, "requests", queue_.now(), static_cast<double>(running));
      timeline_->add_counter(track, "kv blocks", queue_.now(), static_cast<double>(kv_blocks));
    }
    const IterationTime time = costs_[replica]->price(works_);
    TaskId last = kNoTask;
    for (const IterationPart& part : kIterationParts) {
      const sim::SimTime duration = time.*part.time;
      if (duration == sim::SimTime::zero()) continue;
      Task task;
      task.rank = static_cast<int>(replica);
      task.type = TaskType::kCompute;
      task.name = part.name;
      task.category = part.category;
      task.compute.kind = ComputeKind::kPriced;
      task.compute.duration = duration;
      last = executor_->submit(std::move(task));
      run_.busy_seconds[part.name] += duration.seconds();
    }
    last_task_[replica] = last;
  }

  void record_requests() {
    for (std::size_t i = 0; i < run_.requests.size(); ++i) {
      const ServingRequest& request = run_.requests[i];
      const RequestRecord& record = run_.records[i];
      timeline_->add_async_span("gpu" + std::to_string(record.replica * tp_) + "/requests",
                                "request " + std::to_string(i), request.arrival, record.finish,
                                {{"input_len", request.input_len},
                                 {"output_len", request.output_len},
                                 {"ttft_ms", (record.first_token - request.arrival).seconds() * 1e3}});
    }
  }

  void task_finished(TaskId id) {
    const auto replica = static_cast<std::size_t>(executor_->task(id).rank);
    if (last_task_[replica] != id) return;
    for (std::size_t s = replica * ranks_; s < (replica + 1) * ranks_; ++s) {
      if (formed_[s]) schedulers_[s].complete_iteration(queue_.now());
    }
    start_iteration(replica);
  }

  ServingRun& run_;
  std::int64_t max_iterations_;
  sim::TimelineRecorder* timeline_;
  int tp_;
  std::size_t ranks_;  // attention ranks (schedulers) per replica
  sim::EventQueue queue_;
  std::unique_ptr<NetworkBackend> network_;
  std::unique_ptr<Executor> executor_;
  std::vector<std::unique_ptr<IterationCost>> costs_;
  std::vector<ReplicaScheduler> schedulers_;
  std::vector<TaskId> last_task_;   // per replica: the last task of its running iteration (kNoTask: idle)
  std::vector<bool> kick_pending_;  // per replica: an idle replica's start is scheduled
  std::vector<bool> formed_;        // per scheduler: it has work in its replica's running iteration
  std::vector<BatchWork> works_;    // the iteration being formed, per attention rank
};

}  // namespace

std::vector<ServingRequest> serving_requests(const ServingWorkload& workload) {
  if (workload.arrival == ArrivalKind::kTrace) return workload.trace;
  std::vector<ServingRequest> requests(static_cast<std::size_t>(workload.requests));
  sim::RandomSource arrivals(workload.seed);
  sim::RandomSource inputs(workload.input_len.seed);
  sim::RandomSource outputs(workload.output_len.seed);
  const auto draw = [](sim::RandomSource& random, const LengthDistribution& length) {
    return length.fixed() ? length.low : random.uniform_int(length.low, length.high);
  };
  double seconds = 0;
  for (ServingRequest& request : requests) {
    if (workload.arrival == ArrivalKind::kPoisson) {
      seconds += arrivals.exponential(workload.rate_per_s);
      request.arrival = sim::SimTime::from_seconds(seconds);
    }
    request.input_len = draw(inputs, workload.input_len);
    request.output_len = draw(outputs, workload.output_len);
    if (workload.shared_prefixes > 0) {
      request.prefix_id = static_cast<std::int64_t>(&request - requests.data()) % workload.shared_prefixes;
      request.prefix_len = workload.shared_prefix_len;
    }
  }
  return requests;
}

ServingRun simulate_serving(const TransformerConfig& model, const Deployment& deployment,
                            const ServingWorkload& workload, const ClusterHardware& hardware,
                            sim::TimelineRecorder* timeline, std::int64_t max_iterations) {
  ServingRun run;
  const GpuProfile& gpu = hardware.gpu(0);
  run.requests = serving_requests(workload);
  if (run.requests.empty()) throw sim::InputError("", "/inference", "no requests to serve");
  run.limits = effective_batch_limits(model, deployment, gpu, request_lengths(run.requests));
  run.memory = serving_memory(model, deployment, gpu, run.limits);
  check_fits(run.requests, deployment, run.limits, run.memory);
  run.records.resize(run.requests.size());
  ServingDriver driver(model, deployment, hardware, run, timeline, max_iterations);
  driver.run();
  return run;
}

}  // namespace strata::models
