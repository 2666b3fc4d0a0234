#include "models/serving/serving_simulation.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>

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
    {"pp", "pp", &IterationTime::pp},
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
  const std::int64_t per_scheduler = memory.micro_batch_kv_blocks;
  if (blocks > per_scheduler) {
    throw sim::InputError("", "/tp",
                          "the KV cache holds " + std::to_string(per_scheduler * deployment.kv_block_tokens) +
                              " tokens" + (deployment.pp > 1 ? " per micro-batch" : "") +
                              "; one request needs " + std::to_string(blocks * deployment.kv_block_tokens) +
                              " (" + std::to_string(needed) + " rounded up to blocks of " +
                              std::to_string(deployment.kv_block_tokens) + ")");
  }
}

// Drives the replicas' schedulers on one executor.
//
// A replica has pp stage ranks (executor rank replica x pp + stage, on the stage's first GPU) and one or
// more "units", each a batch that steps on its own: pp micro-batches with pipeline parallelism, else one.
// A unit has a scheduler per attention rank (tp of them with attention dp, else one); its iteration runs
// through the stages one after another, each stage's tasks submitted when the previous stage's last task
// ends, and the stage ranks' compute streams interleave the units' stages (the pipeline).
class ServingDriver {
 public:
  ServingDriver(const TransformerConfig& model, const Deployment& deployment, const ClusterHardware& hardware,
                ServingRun& run, sim::TimelineRecorder* timeline, std::int64_t max_iterations)
      : run_(run),
        max_iterations_(max_iterations),
        timeline_(timeline),
        tp_(deployment.tp),
        pp_(static_cast<std::size_t>(deployment.pp)),
        units_per_replica_(static_cast<std::size_t>(deployment.pp)),
        ranks_(static_cast<std::size_t>(deployment.attention_ranks())) {
    // Blocks the swap space of one GPU holds: its share of the host memory, at most swap_space_bytes. With
    // pp micro-batches each scheduler has its share of the stage's KV blocks and swap space.
    const SystemProfile& system = hardware.system();
    const double host_per_gpu =
        std::min(deployment.swap_space_bytes,
                 system.host_memory_capacity.value.as_double() / system.gpus_per_node.value);
    const auto units = static_cast<std::int64_t>(units_per_replica_);
    const auto host_blocks = static_cast<std::int64_t>(
        host_per_gpu / (run.memory.kv_bytes_per_token * static_cast<double>(deployment.kv_block_tokens)));
    ExecutionGraph layout;
    layout.ranks = deployment.replicas * deployment.pp;
    layout.gpus = deployment.gpus();
    layout.streams = {"compute"};
    for (int r = 0; r < deployment.replicas; ++r) {
      for (int stage = 0; stage < deployment.pp; ++stage) {
        const int gpu = r * deployment.gpus_per_replica() + stage * deployment.tp;
        layout.gpu_of_rank.push_back(gpu);
        std::optional<CollectiveScope> receive;
        if (stage > 0) {
          const int per_node = system.gpus_per_node.value;
          const bool same_node = (gpu - deployment.tp) / per_node == gpu / per_node;
          receive = same_node ? CollectiveScope{1, 2} : CollectiveScope{2, 1};
        }
        costs_.push_back(std::make_unique<IterationCost>(model, deployment, hardware.gpu(gpu), system,
                                                         serving_stage(model, deployment, stage), receive));
      }
      for (std::size_t u = 0; u < units_per_replica_; ++u) {
        for (std::size_t a = 0; a < ranks_; ++a) {
          schedulers_.emplace_back(r, deployment, run.limits, run.memory.micro_batch_kv_blocks, run.requests,
                                   run.records, host_blocks / units);
        }
      }
    }
    units_.resize(static_cast<std::size_t>(deployment.replicas) * units_per_replica_);
    formed_.assign(schedulers_.size(), false);
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

  struct Unit {
    TaskId last_task = kNoTask;  // the last task of its running iteration's current stage (kNoTask: idle)
    std::size_t stage = 0;
    bool kick_pending = false;
    std::vector<BatchWork> works;  // the running iteration, per attention rank
  };

  std::size_t replica_of(std::size_t unit) const { return unit / units_per_replica_; }

  // A request goes to the scheduler with the fewest outstanding requests (the lowest index on ties).
  void arrive(std::size_t request) {
    std::size_t best = 0;
    for (std::size_t s = 1; s < schedulers_.size(); ++s) {
      if (schedulers_[s].outstanding() < schedulers_[best].outstanding()) best = s;
    }
    schedulers_[best].enqueue(request);
    const std::size_t unit = best / ranks_;
    Unit& u = units_[unit];
    if (u.last_task != kNoTask || u.kick_pending) return;
    // An idle unit starts its next iteration once every request arriving at this instant is queued
    // (events at one time run in the order they were scheduled), so that they share its first batch.
    u.kick_pending = true;
    queue_.schedule_at(queue_.now(), [this, unit] {
      units_[unit].kick_pending = false;
      if (units_[unit].last_task == kNoTask) start_iteration(unit);
    });
  }

  void start_iteration(std::size_t unit) {
    Unit& u = units_[unit];
    u.works.clear();
    std::int64_t tokens = 0;
    for (std::size_t a = 0; a < ranks_; ++a) {
      const std::size_t s = unit * ranks_ + a;
      std::optional<BatchWork> work = schedulers_[s].next_iteration();
      formed_[s] = work.has_value();
      u.works.push_back(work.value_or(BatchWork{}));
      tokens += u.works.back().tokens();
    }
    if (tokens == 0) {
      u.last_task = kNoTask;
      return;
    }
    if (static_cast<std::int64_t>(run_.iterations.size()) >= max_iterations_) {
      throw sim::InputError(
          "", "/inference",
          "the run needs more than " + std::to_string(max_iterations_) +
              " iterations; serve fewer requests or shorter outputs, or allow larger batches");
    }
    // The replica's requests and KV blocks over all its schedulers, the tokens of this iteration.
    const std::size_t replica = replica_of(unit);
    std::int64_t running = 0;
    std::int64_t kv_blocks = 0;
    const std::size_t per_replica = units_per_replica_ * ranks_;
    for (std::size_t s = replica * per_replica; s < (replica + 1) * per_replica; ++s) {
      running += static_cast<std::int64_t>(schedulers_[s].running());
      kv_blocks += schedulers_[s].kv_blocks_used();
    }
    run_.iterations.push_back({queue_.now(), static_cast<int>(replica), running, tokens, kv_blocks});
    if (timeline_ != nullptr) {
      const std::string track =
          "gpu" + std::to_string(static_cast<int>(replica) * tp_ * static_cast<int>(pp_)) + "/batch";
      timeline_->add_counter(track, "requests", queue_.now(), static_cast<double>(running));
      timeline_->add_counter(track, "kv blocks", queue_.now(), static_cast<double>(kv_blocks));
    }
    u.stage = 0;
    submit_stage(unit);
  }

  // The unit's running iteration on its current stage: one task per kind of work on the stage's rank.
  void submit_stage(std::size_t unit) {
    Unit& u = units_[unit];
    const std::size_t rank = replica_of(unit) * pp_ + u.stage;
    const IterationTime time = costs_[rank]->price(u.works);
    TaskId last = kNoTask;
    for (const IterationPart& part : kIterationParts) {
      const sim::SimTime duration = time.*part.time;
      if (duration == sim::SimTime::zero()) continue;
      Task task;
      task.rank = static_cast<int>(rank);
      task.type = TaskType::kCompute;
      task.name = part.name;
      task.category = part.category;
      task.compute.kind = ComputeKind::kPriced;
      task.compute.duration = duration;
      last = executor_->submit(std::move(task));
      run_.busy_seconds[part.name] += duration.seconds();
    }
    u.last_task = last;
    unit_of_task_[last] = unit;
  }

  void record_requests() {
    for (std::size_t i = 0; i < run_.requests.size(); ++i) {
      const ServingRequest& request = run_.requests[i];
      const RequestRecord& record = run_.records[i];
      timeline_->add_async_span(
          "gpu" + std::to_string(record.replica * tp_ * static_cast<int>(pp_)) + "/requests",
          "request " + std::to_string(i), request.arrival, record.finish,
          {{"input_len", request.input_len},
           {"output_len", request.output_len},
           {"ttft_ms", (record.first_token - request.arrival).seconds() * 1e3}});
    }
  }

  void task_finished(TaskId id) {
    const auto found = unit_of_task_.find(id);
    if (found == unit_of_task_.end()) return;
    const std::size_t unit = found->second;
    unit_of_task_.erase(found);
    Unit& u = units_[unit];
    if (u.stage + 1 < pp_) {
      ++u.stage;
      submit_stage(unit);
      return;
    }
    for (std::size_t s = unit * ranks_; s < (unit + 1) * ranks_; ++s) {
      if (formed_[s]) schedulers_[s].complete_iteration(queue_.now());
    }
    start_iteration(unit);
  }

  ServingRun& run_;
  std::int64_t max_iterations_;
  sim::TimelineRecorder* timeline_;
  int tp_;
  std::size_t pp_;
  std::size_t units_per_replica_;  // batches that step on their own: pp micro-batches
  std::size_t ranks_;              // attention ranks (schedulers) per unit
  sim::EventQueue queue_;
  std::unique_ptr<NetworkBackend> network_;
  std::unique_ptr<Executor> executor_;
  std::vector<std::unique_ptr<IterationCost>> costs_;  // per stage rank
  std::vector<ReplicaScheduler> schedulers_;           // per (replica, unit, attention rank), in that order
  std::vector<Unit> units_;                            // per (replica, unit)
  std::vector<bool> formed_;  // per scheduler: it has work in its unit's running iteration
  std::unordered_map<TaskId, std::size_t> unit_of_task_;  // a running stage's last task -> its unit
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
