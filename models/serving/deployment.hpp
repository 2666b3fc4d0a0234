// How one model is served (DESIGN.md, models/: "serving"): the deployment a serving scenario's strategies[]
// name (scenarios/README.md, "Inference scenarios"), and the serving workload it runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/hardware/dtype.hpp"
#include "sim/name_table.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

// How a replica forms its batches:
//  - continuous: in-flight batching (Orca, OSDI '22; TensorRT-LLM's in-flight batching, vLLM): every
//  iteration
//    the scheduler admits waiting requests beside the ones decoding, and a finished request leaves at once;
//  - static: a batch is admitted only when the previous one has finished every request (the pre-Orca way,
//    kept for comparison).
enum class BatchSchedulerKind { kContinuous, kStatic };
inline constexpr sim::NameTable<BatchSchedulerKind, 2> kBatchSchedulerNames{{{
    {BatchSchedulerKind::kContinuous, "continuous"},
    {BatchSchedulerKind::kStatic, "static"},
}}};

// What a replica does when its KV cache runs out:
//  - none: nothing can run out. TensorRT-LLM's default capacity policy GUARANTEED_NO_EVICT admits a request
//    only when blocks for its whole length are free (replica_scheduler.hpp);
//  - recompute / swap: admission needs blocks for the prompt only and a request takes a block whenever its
//    tokens fill the last one (vLLM's scheduler, TensorRT-LLM's MAX_UTILIZATION). When a decoding request
//    finds no free block, the most recently admitted running request is preempted: `recompute` drops its
//    KV and later prefills its prompt and its generated tokens again; `swap` copies its blocks to host memory
//    (device_to_host bandwidth of the system profile) and back when blocks are free again, resuming before
//    any new request (vLLM v0's preemption modes, vllm/core/scheduler.py).
enum class PreemptionKind { kNone, kRecompute, kSwap };
inline constexpr sim::NameTable<PreemptionKind, 3> kPreemptionNames{{{
    {PreemptionKind::kNone, "none"},
    {PreemptionKind::kRecompute, "recompute"},
    {PreemptionKind::kSwap, "swap"},
}}};

// How decode attention reads a cached shared prefix: per request (`separate`, as paged attention kernels do),
// or once for every decoding request of the batch that shares it (`shared`: Hydragen, Juravsky et al. 2024,
// which splits attention into the prefix part, batched over the requests as one matrix multiply, and the
// per-request suffix, combined by their softmax denominators).
enum class PrefixAttentionKind { kSeparate, kShared };
inline constexpr sim::NameTable<PrefixAttentionKind, 2> kPrefixAttentionNames{{{
    {PrefixAttentionKind::kSeparate, "separate"},
    {PrefixAttentionKind::kShared, "shared"},
}}};

// Disaggregated serving (DistServe, Zhong et al., OSDI '24; Splitwise, Patel et al., ISCA '24; TensorRT-LLM's
// disaggregated serving): a prefill pool runs the prompts and samples each request's first token, the
// request's KV cache then moves over the network to a decode pool, which generates the rest. Each pool has
// its own tp, replicas and batch limits; the deployment's other keys (dtypes, KV blocks, scheduler,
// preemption, prefix caching) hold for both. kWhole: one pool does both (no disaggregation).
enum class ServingRole { kWhole, kPrefill, kDecode };
inline constexpr sim::NameTable<ServingRole, 3> kServingRoleNames{{{
    {ServingRole::kWhole, "whole"},
    {ServingRole::kPrefill, "prefill"},
    {ServingRole::kDecode, "decode"},
}}};

struct ServingPool {
  int tp = 1;
  int replicas = 1;
  int ep = 1;                         // MoE models: as Deployment::ep, within the pool's tp
  bool attention_dp = false;          // MoE models: as Deployment::attention_dp
  std::optional<int> max_batch_size;  // unset: trtllm-bench's choice for the pool (batch_limits.hpp)
  std::optional<int> max_num_tokens;
};
// A pool of `replicas` of `tp` GPUs with the defaults elsewhere.
inline ServingPool serving_pool(int tp, int replicas) {
  ServingPool pool;
  pool.tp = tp;
  pool.replicas = replicas;
  return pool;
}

// The serving framework this model follows (trtllm-bench's batch limits, in-flight batching, the Mapping of
// tp, ep and attention dp): the framework of a serving prediction's validation family (error bands).
inline constexpr std::string_view kServingFramework = "tensorrt-llm";

struct Deployment {
  std::string name;
  int tp = 1;        // tensor-parallel GPUs of one replica
  int replicas = 1;  // independent copies of the model, each serving its share of the requests
  // Pipeline parallelism: a replica's layers split over pp stages of tp GPUs each (the first stages take
  // one more layer when pp does not divide them), with pp micro-batches in flight, each its own batch of
  // requests (TensorRT-LLM's pipeline-parallel batch manager runs pp micro-batches).
  int pp = 1;
  // Expert parallelism (MoE models): the tp GPUs of a replica split every MoE layer's experts into ep groups
  // and each expert over tp / ep GPUs (TensorRT-LLM's Mapping, tensorrt_llm/mapping.py: moe_tp_size x
  // moe_ep_size = tp; without ep it takes moe_tp_size = tp, moe_ep_size = 1).
  int ep = 1;
  // Attention data parallelism (TensorRT-LLM's enable_attention_dp,
  // docs/source/features/parallel-strategy.md): each of a replica's tp GPUs runs attention, the dense MLPs
  // and shared experts with unsharded weights on requests of its own, with its own scheduler, batch limits
  // and KV cache; the MoE layers gather every GPU's tokens and spread the experts as ep and tp / ep say.
  bool attention_dp = false;
  int attention_tp() const { return attention_dp ? 1 : tp; }     // GPUs sharing one attention's weights
  int attention_ranks() const { return attention_dp ? tp : 1; }  // schedulers (request owners) per replica
  int moe_tp() const { return tp / ep; }                         // GPUs sharing one expert's weights
  Dtype weights_dtype = Dtype::kBf16;
  Dtype kv_dtype = Dtype::kBf16;
  // Requests and tokens one iteration may hold; unset: trtllm-bench's choice for the workload
  // (batch_limits.hpp).
  std::optional<int> max_batch_size;
  std::optional<int> max_num_tokens;
  // A prompt longer than the iteration's token budget is prefilled in chunks over several iterations
  // (Sarathi, OSDI '24); off: a prompt enters an iteration whole or waits.
  bool chunked_prefill = false;
  // Tokens per KV-cache block (paged attention, vLLM SOSP '23). Default: TensorRT-LLM's tokens_per_block, 32
  // (KvCacheConfig, tensorrt_llm/llmapi/llm_args.py).
  int kv_block_tokens = 32;
  // Share of the memory that weights and activations leave which holds the KV cache (TensorRT-LLM's
  // free_gpu_memory_fraction, default 0.9).
  double kv_memory_fraction = 0.9;
  BatchSchedulerKind scheduler = BatchSchedulerKind::kContinuous;
  // Prefix caching: the full KV blocks of a shared prompt prefix, once computed, are kept and reused by
  // later requests of that prefix on the replica, which prefill only the rest (TensorRT-LLM's KV block
  // reuse, KvCacheConfig.enable_block_reuse, default on; vLLM's automatic prefix caching). Unused cached
  // prefixes are evicted, least recently used first, when blocks are needed.
  bool prefix_caching = true;
  PrefixAttentionKind prefix_attention = PrefixAttentionKind::kSeparate;  // needs prefix_caching
  PreemptionKind preemption = PreemptionKind::kNone;
  // Host memory per GPU that swapped KV blocks may take (vLLM's swap_space, default 4 GiB per GPU,
  // vllm/config.py CacheConfig); a victim that does not fit there is recomputed instead.
  double swap_space_bytes = 4.0 * 1024 * 1024 * 1024;

  // Disaggregated prefill and decode pools (both or neither); with them tp, replicas and the batch limits
  // above are unused (each pool's deployment, pool_deployment(), carries its own).
  std::optional<ServingPool> prefill_pool;
  std::optional<ServingPool> decode_pool;
  bool disaggregated() const { return prefill_pool.has_value(); }

  int gpus_per_replica() const { return tp * pp; }
  int gpus() const {
    return disaggregated()
               ? prefill_pool->tp * prefill_pool->replicas + decode_pool->tp * decode_pool->replicas
               : tp * pp * replicas;
  }
};

// The deployment one pool runs: the pool's tp, replicas and batch limits, everything else the deployment's,
// no pools. kWhole: the deployment itself.
inline Deployment pool_deployment(const Deployment& deployment, ServingRole role) {
  if (role == ServingRole::kWhole) return deployment;
  const ServingPool& pool =
      role == ServingRole::kPrefill ? *deployment.prefill_pool : *deployment.decode_pool;
  Deployment d = deployment;
  d.tp = pool.tp;
  d.replicas = pool.replicas;
  d.ep = pool.ep;
  d.attention_dp = pool.attention_dp;
  d.max_batch_size = pool.max_batch_size;
  d.max_num_tokens = pool.max_num_tokens;
  d.prefill_pool.reset();
  d.decode_pool.reset();
  return d;
}

// When requests arrive: all at t = 0 (the offline maximum-throughput benchmark, trtllm-bench throughput), as
// a Poisson process of `rate_per_s` from a seeded source, or as a request file lists them.
enum class ArrivalKind { kOffline, kPoisson, kTrace };
inline constexpr sim::NameTable<ArrivalKind, 3> kArrivalKindNames{{{
    {ArrivalKind::kOffline, "offline"},
    {ArrivalKind::kPoisson, "poisson"},
    {ArrivalKind::kTrace, "trace"},
}}};

struct ServingRequest {
  sim::SimTime arrival;
  std::int64_t input_len = 0;
  std::int64_t output_len = 0;
  // The first prefix_len tokens of the prompt are the same for every request of this prefix_id (a system
  // prompt, few-shot examples); -1: no shared prefix.
  std::int64_t prefix_id = -1;
  std::int64_t prefix_len = 0;
};

// The lengths of prompts or outputs: uniform over [low, high] from a generator seeded with `seed`, or fixed
// (low == high; converts from a plain count).
struct LengthDistribution {
  std::int64_t low = 0;
  std::int64_t high = 0;
  std::uint64_t seed = 0;
  LengthDistribution() = default;
  LengthDistribution(std::int64_t fixed) : low(fixed), high(fixed) {}  // NOLINT: a count is a fixed length
  bool fixed() const { return low == high; }
};

// Service-level objectives: a request meets them when both its TTFT and its TPOT are within.
struct ServiceLevel {
  sim::SimTime ttft;
  sim::SimTime tpot;
};

struct ServingWorkload {
  std::int64_t requests = 0;
  LengthDistribution input_len;   // prompt tokens
  LengthDistribution output_len;  // generated tokens (the first comes from the prefill)
  ArrivalKind arrival = ArrivalKind::kOffline;
  double rate_per_s = 0;  // kPoisson
  std::uint64_t seed = 1;
  std::vector<ServingRequest> trace;  // kTrace: the request file's requests, in arrival order
  std::string trace_file;             // kTrace: where they came from
  std::optional<ServiceLevel> slo;
  // Generated requests share prompt prefixes: request i has prefix i mod shared_prefixes, of
  // shared_prefix_len tokens (0 prefixes: none). Request files give each request's own.
  std::int64_t shared_prefixes = 0;
  std::int64_t shared_prefix_len = 0;
};

}  // namespace strata::models
