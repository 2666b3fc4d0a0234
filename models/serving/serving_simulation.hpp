// A serving run on the engine (DESIGN.md, "Engine": the open executor). Each replica is one simulated rank
// standing for its tp GPUs (they do the same work); its scheduler (replica_scheduler.hpp) forms an
// iteration, the iteration is submitted to the executor as tasks on the replica's compute stream (GEMMs,
// attention, memory-bound kernels, tensor-parallel all-reduces, each priced by iteration_cost.hpp on the
// replica's own GPU), and when its last task finishes the scheduler forms the next one from what it then
// sees. Requests arrive by the workload's arrival process and go to the replica with the fewest outstanding
// requests (the lowest index on ties), as a load balancer in front of replicas would send them.
// With attention_dp a replica has one scheduler per GPU (each owns its requests, batch limits and KV cache,
// as TensorRT-LLM's attention-dp ranks do); their batches form one iteration, priced together (the MoE
// layers gather every GPU's tokens), and a request goes to the scheduler with the fewest outstanding.
//
// Disaggregated pools (Deployment::prefill_pool, decode_pool): requests arrive at the prefill pool's
// replicas; when a request's first token is sampled its KV cache is sent to the decode replica with the
// fewest requests outstanding or on their way, as a send-recv on their "kv-send" and "kv-recv" streams
// (beside the compute stream, so transfers overlap iterations), priced by the network between the two
// replicas' GPUs (NVLink within a node, the NIC across nodes). The pools' GPUs are laid out prefill first,
// then decode, in node order. A transfer carries one GPU's share of the prompt's K and V: the GPUs of the
// pool with the smaller tp each hold the larger share, and the pairs send in parallel.
//
// With a timeline: the iterations' tasks on "gpu<g>/compute" (g: the replica's first GPU, as the executor
// records them), each request as an async span from arrival to its last token on "gpu<g>/requests" (with
// its lengths and TTFT), and at each iteration's start the batch's requests and the KV blocks reserved as
// counters on "gpu<g>/batch".
//
// Same input, same output: arrivals come from a seeded source, and the engine's order is deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/hardware/cluster_hardware.hpp"
#include "models/serving/batch_limits.hpp"
#include "models/serving/deployment.hpp"
#include "models/serving/replica_scheduler.hpp"
#include "models/serving/serving_memory.hpp"
#include "models/workload/transformer_config.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::models {

// The state of a replica when one of its iterations starts.
struct IterationSample {
  sim::SimTime start;
  int replica = 0;
  std::int64_t requests = 0;     // in the iteration
  std::int64_t tokens = 0;       // in the iteration
  std::int64_t kv_blocks = 0;    // reserved
  std::int64_t kv_capacity = 0;  // the replica's blocks
};

// One pool of replicas: the deployment they run (pool_deployment), their batch limits and one GPU's memory.
struct ServingPoolRun {
  ServingRole role = ServingRole::kWhole;
  Deployment deployment;
  BatchLimits limits;
  ServingMemory memory;
};

struct ServingRun {
  std::vector<ServingRequest> requests;
  std::vector<RequestRecord> records;  // per request
  sim::SimTime makespan;               // when the last request finished
  std::vector<ServingPoolRun> pools;   // one (kWhole), or the prefill and the decode pool
  BatchLimits limits;                  // the last pool's (the decode pool's when disaggregated)
  ServingMemory memory;                // one GPU of a replica of the last pool
  std::vector<IterationSample> iterations;
  // Busy time by kind of work (gemm, attention, memory_bound, tp, swap), summed over replicas, in seconds.
  std::map<std::string, double> busy_seconds;
  std::uint64_t events = 0;
  std::int64_t preemptions = 0;    // requests preempted, counted each time
  std::int64_t kv_transfers = 0;   // disaggregated: requests whose KV moved to the decode pool
  double kv_transfer_seconds = 0;  // summed from the prefill's end to the decode replica's receipt
};

// The requests of a workload, in arrival order. Throws sim::InputError for a rate or count out of range.
std::vector<ServingRequest> serving_requests(const ServingWorkload& workload);

// Throws sim::InputError (paths relative to the deployment or "/inference/...") when a request can never
// run (its prompt above max_num_tokens without chunked prefill, or more KV than the cache holds), or when
// the run would take more than `max_iterations` iterations (a bound on the simulation's time).
inline constexpr std::int64_t kMaxServingIterations = 20'000'000;
ServingRun simulate_serving(const TransformerConfig& model, const Deployment& deployment,
                            const ServingWorkload& workload, const ClusterHardware& hardware,
                            sim::TimelineRecorder* timeline = nullptr,
                            std::int64_t max_iterations = kMaxServingIterations);

}  // namespace strata::models
