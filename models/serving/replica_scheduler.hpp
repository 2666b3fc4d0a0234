// The batch scheduler of one serving replica: which requests its next iteration runs (DESIGN.md, "Engine":
// the scheduler decides each iteration from the state it sees).
//
// Policy, after TensorRT-LLM's in-flight batching with its default capacity policy GUARANTEED_NO_EVICT
// (cpp/tensorrt_llm/batch_manager/capacityScheduler.cpp): a request is admitted only when KV-cache blocks for
// its whole length (prompt + output) can be reserved, so a running request is never evicted; admission is
// first come, first served and stops at the first request that does not fit.
// Each iteration:
//  1. every admitted request takes part: one token if it is decoding, else the next chunk of its prompt;
//  2. waiting requests are admitted while the iteration has fewer than max_batch_size requests, the blocks
//     are free, and the iteration's tokens stay within max_num_tokens (a whole prompt, or with chunked
//     prefill whatever fits);
//  3. when the iteration ends, a request whose prompt is done has its first token; a decoding one one more;
//     a request with all its output tokens leaves and frees its blocks.
// kStatic admits only when nothing is running (a batch runs until its last request ends).
// With preemption (Deployment::preemption, deployment.hpp) the capacity policy is vLLM's instead: admission
// reserves blocks for the prompt, a decoding request takes a block when it needs one, and when none is free
// the most recently admitted running request is preempted (recomputed later, or swapped to host memory
// while `host_blocks` has room); preempted requests resume, oldest preemption last, before new ones.
// Prefix caching (Deployment::prefix_caching): the first request of a shared prefix computes it and its
// full blocks go to the replica's cache once its prefill has passed them; a later request of that prefix
// takes them (they count once) and prefills only the rest, at least its last token. A cached prefix no
// running request uses stays until its blocks are needed, least recently used first. A request that finds
// its prefix still being computed computes its own copy.
// Disaggregated pools (ServingRole, deployment.hpp): a prefill scheduler reserves blocks for the prompt only
// and hands a request off once its first token is sampled (take_handoffs; a request of one output token
// finishes there); a decode scheduler receives requests whose prompt is cached already: admission reserves
// their blocks (the whole length without preemption, else what is cached plus the token being written) and
// they decode from their first iteration. Prefix caching is the prefill pool's (the decode pool receives
// each request's KV whole).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "models/serving/batch_limits.hpp"
#include "models/serving/deployment.hpp"
#include "models/serving/iteration_cost.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

// What happened to a request (times are unset until they happen).
struct RequestRecord {
  sim::SimTime first_token = sim::SimTime::max();
  sim::SimTime finish = sim::SimTime::max();
  int replica = -1;
};

class ReplicaScheduler {
 public:
  // `requests` and `records` are shared by every replica and must outlive it.
  // `host_blocks`: KV blocks the swap space holds (preemption "swap" only).
  ReplicaScheduler(int replica, const Deployment& deployment, const BatchLimits& limits,
                   std::int64_t kv_blocks, const std::vector<ServingRequest>& requests,
                   std::vector<RequestRecord>& records, std::int64_t host_blocks = 0,
                   ServingRole role = ServingRole::kWhole);

  void enqueue(std::size_t request);  // arrived and assigned to this replica
  // Forms the next iteration; nothing when there is nothing it can run.
  std::optional<BatchWork> next_iteration();
  // The iteration formed last ended at `now`.
  void complete_iteration(sim::SimTime now);

  std::size_t outstanding() const { return waiting_.size() + preempted_.size() + active_.size(); }
  std::size_t running() const { return active_.size(); }
  std::int64_t kv_blocks_used() const { return kv_blocks_ - free_blocks_; }
  std::int64_t preemptions() const { return preemptions_; }
  // Requests whose prefill ended since the last call (a prefill scheduler's), in the order they ended.
  std::vector<std::size_t> take_handoffs() { return std::exchange(handoffs_, {}); }

 private:
  struct Active {
    std::size_t request = 0;
    std::int64_t prompt = 0;     // tokens to prefill: the input; after a recompute, input + generated
    std::int64_t prefilled = 0;  // prompt tokens in the cache
    std::int64_t generated = 0;  // output tokens so far
    std::int64_t blocks = 0;     // reserved
    std::int64_t chunk = 0;      // prompt tokens in the current iteration (0: decoding)
    bool swapped = false;        // its blocks are in host memory
    std::int64_t prefix = -1;    // the cached prefix it uses (its blocks are the cache's, not in `blocks`)
  };
  struct CachedPrefix {
    std::int64_t blocks = 0;
    std::int64_t users = 0;  // running (or swapped) requests that use it
    bool ready = false;      // computed: its first user's prefill has passed it
    std::uint64_t last_use = 0;
  };
  std::int64_t shareable_blocks(const ServingRequest& request) const;
  bool make_room(std::int64_t blocks, std::int64_t keep);
  void release_prefix(Active& active);
  std::int64_t shared_reads() const;
  std::int64_t blocks_for(std::int64_t tokens) const;
  std::int64_t admission_blocks(const Active& active) const;
  void admit(BatchWork& work, std::int64_t& tokens_left);
  bool admit_one(Active active, BatchWork& work, std::int64_t& tokens_left);
  void grow_or_preempt(BatchWork& work);
  void preempt_last(BatchWork& work);
  void add_decode(BatchWork& work, Active& active, std::int64_t& tokens_left);
  static void add_prefill(BatchWork& work, const Active& active);

  int replica_;
  const Deployment& deployment_;
  BatchLimits limits_;
  std::int64_t kv_blocks_;
  std::int64_t free_blocks_;
  const std::vector<ServingRequest>& requests_;
  std::vector<RequestRecord>& records_;
  std::deque<std::size_t> waiting_;
  std::deque<Active> preempted_;  // to resume first, front first
  std::vector<Active> active_;
  std::int64_t host_blocks_;
  std::int64_t host_blocks_used_ = 0;
  std::int64_t preemptions_ = 0;
  std::map<std::int64_t, CachedPrefix> prefixes_;            // by prefix id
  std::set<std::pair<std::uint64_t, std::int64_t>> unused_;  // (last use, id) of prefixes no one uses
  std::int64_t unused_blocks_ = 0;
  std::uint64_t clock_ = 0;
  ServingRole role_;
  std::vector<std::size_t> handoffs_;
};

}  // namespace strata::models
