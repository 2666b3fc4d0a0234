#include "models/serving/serving_simulation.hpp"

#include <algorithm>
#include <cmath>
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

// Where an error about a pool's keys points: the deployment's own keys, or its "prefill"/"decode" object.
std::string pool_path(ServingRole role, const std::string& path) {
  return role == ServingRole::kWhole ? path : "/" + std::string(kServingRoleNames.name(role)) + path;
}

// A prefill pool holds prompts only; a decode pool receives prompts cached (it prefills only what it
// recomputes after a preemption).
void check_fits(const std::vector<ServingRequest>& requests, const ServingPoolRun& pool) {
  const Deployment& deployment = pool.deployment;
  const ServingRole role = pool.role;
  std::int64_t longest_prompt = 0;
  std::int64_t needed = 0;
  for (const ServingRequest& request : requests) {
    longest_prompt = std::max(longest_prompt, request.input_len);
    needed = std::max(
        needed, role == ServingRole::kPrefill ? request.input_len : request.input_len + request.output_len);
  }
  if (!deployment.chunked_prefill && deployment.preemption != PreemptionKind::kNone &&
      role != ServingRole::kPrefill && needed - 1 > pool.limits.max_num_tokens) {
    throw sim::InputError("", pool_path(role, "/max_num_tokens"),
                          "a preempted request prefills its prompt and its generated tokens again, up to " +
                              std::to_string(needed - 1) + " tokens, above max_num_tokens " +
                              std::to_string(pool.limits.max_num_tokens) +
                              "; raise max_num_tokens or set chunked_prefill");
  }
  if (!deployment.chunked_prefill && role != ServingRole::kDecode &&
      longest_prompt > pool.limits.max_num_tokens) {
    throw sim::InputError("", pool_path(role, "/max_num_tokens"),
                          "a prompt of " + std::to_string(longest_prompt) +
                              " tokens never fits an iteration of max_num_tokens " +
                              std::to_string(pool.limits.max_num_tokens) +
                              "; raise max_num_tokens or set chunked_prefill");
  }
  const std::int64_t blocks = (needed + deployment.kv_block_tokens - 1) / deployment.kv_block_tokens;
  const std::int64_t per_scheduler = pool.memory.micro_batch_kv_blocks;
  if (blocks > per_scheduler) {
    throw sim::InputError(
        "", pool_path(role, "/tp"),
        "the KV cache holds " + std::to_string(per_scheduler * deployment.kv_block_tokens) + " tokens" +
            (deployment.pp > 1 ? " per micro-batch" : "") +
            (role == ServingRole::kWhole ? ""
                                         : " in the " + std::string(kServingRoleNames.name(role)) + " pool") +
            "; one request needs " + std::to_string(blocks * deployment.kv_block_tokens) + " (" +
            std::to_string(needed) + " rounded up to blocks of " +
            std::to_string(deployment.kv_block_tokens) + ")");
  }
}

// Drives the replicas' schedulers on one executor.
//
// A replica has pp stage ranks (executor rank = the replicas before it x pp + stage, on the stage's first
// GPU) and one or more "units", each a batch that steps on its own: pp micro-batches with pipeline
// parallelism, else one. A unit has a scheduler per attention rank (tp of them with attention dp, else one);
// its iteration runs through the stages one after another, each stage's tasks submitted when the previous
// stage's last task ends, and the stage ranks' compute streams interleave the units' stages (the pipeline).
// Replicas are numbered over the pools in order (prefill, then decode); disaggregated pools have pp 1, so
// there a replica is one rank and one unit, with a scheduler per attention rank of its pool.
class ServingDriver {
 public:
  ServingDriver(const TransformerConfig& model, const ClusterHardware& hardware, ServingRun& run,
                sim::TimelineRecorder* timeline, std::int64_t max_iterations)
      : run_(run), max_iterations_(max_iterations), timeline_(timeline) {
    const Deployment& first = run.pools.front().deployment;
    pp_ = static_cast<std::size_t>(first.pp);
    units_per_replica_ = pp_;
    const SystemProfile& system = hardware.system();
    ExecutionGraph layout;
    layout.streams = {"compute", "kv-send", "kv-recv"};
    int gpu_cursor = 0;
    for (const ServingPoolRun& pool : run.pools) {
      const Deployment& deployment = pool.deployment;
      // Blocks the swap space of one GPU holds: its share of the host memory, at most swap_space_bytes. With
      // pp micro-batches each scheduler has its share of the stage's KV blocks and swap space.
      const double host_per_gpu =
          std::min(deployment.swap_space_bytes,
                   system.host_memory_capacity.value.as_double() / system.gpus_per_node.value);
      const auto host_blocks = static_cast<std::int64_t>(
          host_per_gpu / (pool.memory.kv_bytes_per_token * static_cast<double>(deployment.kv_block_tokens)));
      const int replica_begin = static_cast<int>(first_gpu_of_replica_.size());
      for (int r = 0; r < deployment.replicas; ++r) {
        const int replica = replica_begin + r;
        first_gpu_of_replica_.push_back(gpu_cursor);
        role_of_replica_.push_back(pool.role);
        for (int stage = 0; stage < deployment.pp; ++stage) {
          const int gpu = gpu_cursor + stage * deployment.tp;
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
          const std::size_t unit = unit_first_scheduler_.size();
          unit_first_scheduler_.push_back(schedulers_.size());
          for (int a = 0; a < deployment.attention_ranks(); ++a) {
            unit_of_scheduler_.push_back(unit);
            schedulers_.emplace_back(replica, deployment, pool.limits, pool.memory.micro_batch_kv_blocks,
                                     run.requests, run.records, host_blocks / static_cast<std::int64_t>(pp_),
                                     pool.role);
            kv_capacity_.push_back(pool.memory.replica_kv_blocks);
          }
        }
        gpu_cursor += deployment.gpus_per_replica();
      }
      if (pool.role != ServingRole::kDecode) arrival_schedulers_ = schedulers_.size();
    }
    unit_first_scheduler_.push_back(schedulers_.size());
    layout.ranks = static_cast<int>(layout.gpu_of_rank.size());
    layout.gpus = gpu_cursor;
    if (run.pools.size() == 2) {
      // One GPU pair's share of a token's K and V: the larger of the two pools' per-GPU shares.
      kv_transfer_bytes_per_token_ =
          std::max(run.pools[0].memory.kv_bytes_per_token, run.pools[1].memory.kv_bytes_per_token);
    }
    units_.resize(first_gpu_of_replica_.size() * units_per_replica_);
    formed_.assign(schedulers_.size(), false);
    incoming_.assign(schedulers_.size(), 0);
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
  static constexpr int kSendStream = 1;
  static constexpr int kRecvStream = 2;

  struct Unit {
    TaskId last_task = kNoTask;  // the last task of its running iteration's current stage (kNoTask: idle)
    std::size_t stage = 0;
    bool kick_pending = false;
    std::vector<BatchWork> works;  // the running iteration, per attention rank
  };
  struct Transfer {  // a request's KV on its way to a decode scheduler
    std::size_t request = 0;
    std::size_t scheduler = 0;
    sim::SimTime sent;
  };

  std::size_t replica_of(std::size_t unit) const { return unit / units_per_replica_; }
  int rank_of(std::size_t replica, std::size_t stage) const {
    return static_cast<int>(replica * pp_ + stage);
  }

  // The scheduler in [begin, end) with the fewest requests outstanding or on their way (the lowest index on
  // ties).
  std::size_t least_loaded(std::size_t begin, std::size_t end) const {
    std::size_t best = begin;
    for (std::size_t s = begin + 1; s < end; ++s) {
      if (schedulers_[s].outstanding() + incoming_[s] < schedulers_[best].outstanding() + incoming_[best])
        best = s;
    }
    return best;
  }

  // A request arrives at the scheduler with the fewest outstanding requests of the first pool.
  void arrive(std::size_t request) {
    const std::size_t best = least_loaded(0, arrival_schedulers_);
    schedulers_[best].enqueue(request);
    kick(unit_of_scheduler_[best]);
  }

  // An idle unit starts its next iteration once every request arriving at this instant is queued (events
  // at one time run in the order they were scheduled), so that they share its first batch.
  void kick(std::size_t unit) {
    Unit& u = units_[unit];
    if (u.last_task != kNoTask || u.kick_pending) return;
    u.kick_pending = true;
    queue_.schedule_at(queue_.now(), [this, unit] {
      units_[unit].kick_pending = false;
      if (units_[unit].last_task == kNoTask) start_iteration(unit);
    });
  }

  // A prefill replica's request sampled its first token: its KV goes to a decode replica.
  void hand_off(std::size_t request, std::size_t from_replica) {
    const std::size_t to = least_loaded(arrival_schedulers_, schedulers_.size());
    ++incoming_[to];
    const int sender = rank_of(from_replica, 0);
    const int receiver = rank_of(replica_of(unit_of_scheduler_[to]), 0);
    const auto bytes = static_cast<std::int64_t>(
        std::ceil(static_cast<double>(run_.requests[request].input_len) * kv_transfer_bytes_per_token_));
    for (const bool sending : {true, false}) {
      Task task;
      task.rank = sending ? sender : receiver;
      task.stream = sending ? kSendStream : kRecvStream;
      task.type = sending ? TaskType::kSend : TaskType::kRecv;
      task.name = "kv cache of request " + std::to_string(request);
      task.category = "kv";
      task.p2p.peer = sending ? receiver : sender;
      task.p2p.bytes = bytes;
      task.p2p.tag = request;
      task.p2p.holds_sms = false;  // NIXL/UCX move KV blocks by RDMA or copy engines, not on SMs
      const TaskId id = executor_->submit(std::move(task));
      if (!sending) transfer_of_task_[id] = Transfer{request, to, queue_.now()};
    }
  }

  void received(const Transfer& transfer) {
    --incoming_[transfer.scheduler];
    ++run_.kv_transfers;
    run_.kv_transfer_seconds += (queue_.now() - transfer.sent).seconds();
    schedulers_[transfer.scheduler].enqueue(transfer.request);
    kick(unit_of_scheduler_[transfer.scheduler]);
  }

  void start_iteration(std::size_t unit) {
    Unit& u = units_[unit];
    u.works.clear();
    std::int64_t tokens = 0;
    for (std::size_t s = unit_first_scheduler_[unit]; s < unit_first_scheduler_[unit + 1]; ++s) {
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
    const std::size_t first_unit = replica * units_per_replica_;
    for (std::size_t s = unit_first_scheduler_[first_unit];
         s < unit_first_scheduler_[first_unit + units_per_replica_]; ++s) {
      running += static_cast<std::int64_t>(schedulers_[s].running());
      kv_blocks += schedulers_[s].kv_blocks_used();
    }
    run_.iterations.push_back({queue_.now(), static_cast<int>(replica), running, tokens, kv_blocks,
                               kv_capacity_[unit_first_scheduler_[unit]]});
    if (timeline_ != nullptr) {
      const std::string track = "gpu" + std::to_string(first_gpu_of_replica_[replica]) + "/batch";
      timeline_->add_counter(track, "requests", queue_.now(), static_cast<double>(running));
      timeline_->add_counter(track, "kv blocks", queue_.now(), static_cast<double>(kv_blocks));
    }
    u.stage = 0;
    submit_stage(unit);
  }

  // The unit's running iteration on its current stage: one task per kind of work on the stage's rank.
  void submit_stage(std::size_t unit) {
    Unit& u = units_[unit];
    const int rank = rank_of(replica_of(unit), u.stage);
    const IterationTime time = costs_[static_cast<std::size_t>(rank)]->price(u.works);
    TaskId last = kNoTask;
    for (const IterationPart& part : kIterationParts) {
      const sim::SimTime duration = time.*part.time;
      if (duration == sim::SimTime::zero()) continue;
      Task task;
      task.rank = rank;
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
          "gpu" + std::to_string(first_gpu_of_replica_[static_cast<std::size_t>(record.replica)]) +
              "/requests",
          "request " + std::to_string(i), request.arrival, record.finish,
          {{"input_len", request.input_len},
           {"output_len", request.output_len},
           {"ttft_ms", (record.first_token - request.arrival).seconds() * 1e3}});
    }
  }

  void task_finished(TaskId id) {
    if (const auto transfer = transfer_of_task_.find(id); transfer != transfer_of_task_.end()) {
      const Transfer arrived = transfer->second;
      transfer_of_task_.erase(transfer);
      received(arrived);
      return;
    }
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
    const std::size_t replica = replica_of(unit);
    for (std::size_t s = unit_first_scheduler_[unit]; s < unit_first_scheduler_[unit + 1]; ++s) {
      if (!formed_[s]) continue;
      schedulers_[s].complete_iteration(queue_.now());
      if (role_of_replica_[replica] == ServingRole::kPrefill) {
        for (const std::size_t request : schedulers_[s].take_handoffs()) hand_off(request, replica);
      }
    }
    start_iteration(unit);
  }

  ServingRun& run_;
  std::int64_t max_iterations_;
  sim::TimelineRecorder* timeline_;
  std::size_t pp_ = 1;
  std::size_t units_per_replica_ = 1;  // batches that step on their own: pp micro-batches
  std::vector<int> first_gpu_of_replica_;
  std::vector<ServingRole> role_of_replica_;
  std::size_t arrival_schedulers_ = 0;  // schedulers [0, this) take arrivals; the rest are the decode pool's
  double kv_transfer_bytes_per_token_ = 0;
  sim::EventQueue queue_;
  std::unique_ptr<NetworkBackend> network_;
  std::unique_ptr<Executor> executor_;
  std::vector<std::unique_ptr<IterationCost>> costs_;  // per stage rank
  std::vector<ReplicaScheduler> schedulers_;           // per (replica, unit, attention rank), in that order
  std::vector<std::size_t> unit_first_scheduler_;      // per unit, and one past the last: its first scheduler
  std::vector<std::size_t> unit_of_scheduler_;
  std::vector<std::int64_t> kv_capacity_;  // per scheduler: its replica's KV blocks
  std::vector<std::size_t> incoming_;      // per scheduler: requests whose KV is on its way
  std::vector<Unit> units_;                // per (replica, unit)
  std::vector<bool> formed_;               // per scheduler: it has work in its unit's running iteration
  std::unordered_map<TaskId, std::size_t> unit_of_task_;   // a running stage's last task -> its unit
  std::unordered_map<TaskId, Transfer> transfer_of_task_;  // a KV transfer's receive -> the transfer
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
  const std::vector<ServingRole> roles =
      deployment.disaggregated() ? std::vector<ServingRole>{ServingRole::kPrefill, ServingRole::kDecode}
                                 : std::vector<ServingRole>{ServingRole::kWhole};
  for (const ServingRole role : roles) {
    ServingPoolRun pool;
    pool.role = role;
    pool.deployment = pool_deployment(deployment, role);
    try {
      pool.limits = effective_batch_limits(model, pool.deployment, gpu, request_lengths(run.requests));
      pool.memory = serving_memory(model, pool.deployment, gpu, pool.limits);
    } catch (const sim::InputError& error) {
      if (role == ServingRole::kWhole) throw;
      throw sim::InputError("", pool_path(role, error.json_path()), error.detail());
    }
    check_fits(run.requests, pool);
    run.pools.push_back(std::move(pool));
  }
  run.limits = run.pools.back().limits;
  run.memory = run.pools.back().memory;
  run.records.resize(run.requests.size());
  ServingDriver driver(model, hardware, run, timeline, max_iterations);
  driver.run();
  return run;
}

}  // namespace strata::models
