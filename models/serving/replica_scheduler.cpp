#include "models/serving/replica_scheduler.hpp"

#include <algorithm>

namespace strata::models {

ReplicaScheduler::ReplicaScheduler(int replica, const Deployment& deployment, const BatchLimits& limits,
                                   std::int64_t kv_blocks, const std::vector<ServingRequest>& requests,
                                   std::vector<RequestRecord>& records, std::int64_t host_blocks,
                                   ServingRole role)
    : replica_(replica),
      deployment_(deployment),
      limits_(limits),
      kv_blocks_(kv_blocks),
      free_blocks_(kv_blocks),
      requests_(requests),
      records_(records),
      host_blocks_(host_blocks),
      role_(role) {}

void ReplicaScheduler::enqueue(std::size_t request) {
  records_[request].replica = replica_;
  waiting_.push_back(request);
}

std::int64_t ReplicaScheduler::blocks_for(std::int64_t tokens) const {
  return (tokens + deployment_.kv_block_tokens - 1) / deployment_.kv_block_tokens;
}

// No-evict: the whole length. With preemption: what is cached once this iteration has run (a swapped
// request decodes at once; any other prefills its prompt).
// A prefill scheduler keeps the prompt only; a request that arrived with its KV (decode pool) is cached
// like a swapped one.
std::int64_t ReplicaScheduler::admission_blocks(const Active& active) const {
  const ServingRequest& request = requests_[active.request];
  if (role_ == ServingRole::kPrefill) return blocks_for(active.prompt);
  if (deployment_.preemption == PreemptionKind::kNone)
    return blocks_for(request.input_len + request.output_len);
  if (active.swapped || active.prefilled == active.prompt)
    return blocks_for(request.input_len + active.generated);
  return blocks_for(active.prompt);
}

void ReplicaScheduler::add_prefill(BatchWork& work, const Active& active) {
  const auto c = static_cast<double>(active.chunk);
  const auto p = static_cast<double>(active.prefilled);
  work.prefill_tokens += active.chunk;
  work.prefill_pairs += c * p + c * (c + 1) / 2;
  work.prefill_cached += active.prefilled;
  if (active.prefilled + active.chunk == active.prompt) ++work.sampled_sequences;
}

void ReplicaScheduler::add_decode(BatchWork& work, Active& active, std::int64_t& tokens_left) {
  --tokens_left;
  ++work.decode_requests;
  work.decode_context += requests_[active.request].input_len + active.generated;
  ++work.sampled_sequences;
  active.chunk = -1;  // decoding this iteration
}

std::int64_t ReplicaScheduler::shareable_blocks(const ServingRequest& request) const {
  if (!deployment_.prefix_caching || request.prefix_id < 0 || role_ == ServingRole::kDecode) return 0;
  return request.prefix_len / deployment_.kv_block_tokens;
}

// Frees blocks by evicting unused cached prefixes (never `keep`), least recently used first, until `blocks`
// are free; false when even all of them would not do (nothing is evicted then).
bool ReplicaScheduler::make_room(std::int64_t blocks, std::int64_t keep) {
  if (blocks <= free_blocks_) return true;
  const auto kept = prefixes_.find(keep);
  const std::int64_t spared = kept != prefixes_.end() && kept->second.users == 0 ? kept->second.blocks : 0;
  if (blocks > free_blocks_ + unused_blocks_ - spared) return false;
  for (auto it = unused_.begin(); blocks > free_blocks_;) {
    if (it->second == keep) {
      ++it;
      continue;
    }
    const std::int64_t freed = prefixes_.at(it->second).blocks;
    free_blocks_ += freed;
    unused_blocks_ -= freed;
    prefixes_.erase(it->second);
    it = unused_.erase(it);
  }
  return true;
}

// A request stops using its cached prefix (it finished or was preempted to be recomputed). A prefix never
// computed (its first user left before) is dropped.
void ReplicaScheduler::release_prefix(Active& active) {
  if (active.prefix < 0) return;
  CachedPrefix& cached = prefixes_.at(active.prefix);
  if (--cached.users == 0) {
    if (cached.ready) {
      cached.last_use = ++clock_;
      unused_.emplace(cached.last_use, active.prefix);
      unused_blocks_ += cached.blocks;
    } else {
      free_blocks_ += cached.blocks;
      prefixes_.erase(active.prefix);
    }
  }
  active.prefix = -1;
}

// Admits `active` into this iteration when its blocks are free and its tokens fit; false: it waits.
bool ReplicaScheduler::admit_one(Active active, BatchWork& work, std::int64_t& tokens_left) {
  std::int64_t blocks = admission_blocks(active);
  if (active.prefilled == active.prompt && !active.swapped) {  // arrived with its KV: it decodes at once
    if (!make_room(blocks, -1)) return false;
    active.blocks = blocks;
    free_blocks_ -= blocks;
    add_decode(work, active, tokens_left);
    active_.push_back(active);
    return true;
  }
  if (active.swapped) {
    if (active.prefix >= 0) blocks -= prefixes_.at(active.prefix).blocks;  // stayed on the GPU
    if (!make_room(blocks, active.prefix)) return false;
    work.swap_in_blocks += active.blocks;
    host_blocks_used_ -= active.blocks;
    active.swapped = false;
    active.blocks = blocks;
    free_blocks_ -= blocks;
    add_decode(work, active, tokens_left);
    active_.push_back(active);
    return true;
  }
  // A cached prefix: its blocks are not this request's, and its tokens need no prefill but the last.
  const ServingRequest& request = requests_[active.request];
  const std::int64_t shared = shareable_blocks(request);
  const auto cached = shared > 0 ? prefixes_.find(request.prefix_id) : prefixes_.end();
  const bool reuse = cached != prefixes_.end() && cached->second.ready;
  const bool create = shared > 0 && cached == prefixes_.end();
  const std::int64_t skipped = reuse ? std::min(shared * deployment_.kv_block_tokens, active.prompt - 1) : 0;
  if (reuse) blocks -= shared;
  const std::int64_t left = active.prompt - skipped;
  if (!deployment_.chunked_prefill && left > tokens_left) return false;
  if (!make_room(blocks, reuse ? request.prefix_id : -1)) return false;
  free_blocks_ -= blocks;
  if (reuse) {
    CachedPrefix& entry = cached->second;
    if (entry.users++ == 0) {
      unused_.erase({entry.last_use, request.prefix_id});
      unused_blocks_ -= entry.blocks;
    }
    active.prefix = request.prefix_id;
    active.prefilled = skipped;
  } else if (create) {
    prefixes_.emplace(request.prefix_id, CachedPrefix{shared, 1, false, 0});
    blocks -= shared;  // the cache's from now on
    active.prefix = request.prefix_id;
  }
  active.blocks = blocks;
  active.chunk = std::min(active.prompt - active.prefilled, tokens_left);
  tokens_left -= active.chunk;
  add_prefill(work, active);
  active_.push_back(active);
  return true;
}

void ReplicaScheduler::admit(BatchWork& work, std::int64_t& tokens_left) {
  const auto room = [&] {
    return static_cast<std::int64_t>(active_.size()) < limits_.max_batch_size && tokens_left > 0;
  };
  while (!preempted_.empty() && room()) {
    if (!admit_one(preempted_.front(), work, tokens_left)) return;
    preempted_.pop_front();
  }
  while (!waiting_.empty() && room()) {
    Active active;
    active.request = waiting_.front();
    active.prompt = requests_[active.request].input_len;
    if (role_ == ServingRole::kDecode) {  // its prompt's KV came from the prefill pool with the first token
      active.prefilled = active.prompt;
      active.generated = 1;
    }
    if (!admit_one(active, work, tokens_left)) return;
    waiting_.pop_front();
  }
}

// The running request admitted last gives up its blocks: copied to host memory while the swap space has
// room (swap), else dropped to be prefilled again with what it generated (recompute).
void ReplicaScheduler::preempt_last(BatchWork& work) {
  Active victim = active_.back();
  active_.pop_back();
  ++preemptions_;
  free_blocks_ += victim.blocks;
  const bool decoding = victim.prefilled == victim.prompt && victim.generated > 0;
  if (deployment_.preemption == PreemptionKind::kSwap && decoding &&
      host_blocks_used_ + victim.blocks <= host_blocks_) {
    work.swap_out_blocks += victim.blocks;
    host_blocks_used_ += victim.blocks;
    victim.swapped = true;
  } else {
    release_prefix(victim);
    victim.prompt = requests_[victim.request].input_len + victim.generated;
    victim.prefilled = 0;
    victim.blocks = 0;
  }
  victim.chunk = 0;
  preempted_.push_front(victim);
}

// Every decoding request needs blocks for the token it writes; the last admitted give theirs up until it
// has them, itself last of all.
void ReplicaScheduler::grow_or_preempt(BatchWork& work) {
  for (std::size_t i = 0; i < active_.size(); ++i) {
    const ServingRequest& request = requests_[active_[i].request];
    if (active_[i].prefilled < active_[i].prompt) continue;
    const std::int64_t cached = active_[i].prefix >= 0 ? prefixes_.at(active_[i].prefix).blocks : 0;
    const std::int64_t needed =
        blocks_for(request.input_len + active_[i].generated) - active_[i].blocks - cached;
    if (needed > free_blocks_) make_room(std::min(needed, free_blocks_ + unused_blocks_), -1);
    while (needed > free_blocks_ && i < active_.size()) preempt_last(work);
    if (i == active_.size()) return;  // it preempted itself
    if (needed > 0) {
      active_[i].blocks += needed;
      free_blocks_ -= needed;
    }
  }
}

// Tokens of the decoding requests' cached prefixes beyond the first request of each: what a shared-prefix
// kernel does not read again.
std::int64_t ReplicaScheduler::shared_reads() const {
  std::map<std::int64_t, std::int64_t> decoding;  // prefix id -> decoding requests that use it
  for (const Active& active : active_) {
    if (active.chunk < 0 && active.prefix >= 0) ++decoding[active.prefix];
  }
  std::int64_t shared = 0;
  for (const auto& [prefix, requests] : decoding)
    shared += (requests - 1) * prefixes_.at(prefix).blocks * deployment_.kv_block_tokens;
  return shared;
}

std::optional<BatchWork> ReplicaScheduler::next_iteration() {
  BatchWork work;
  if (deployment_.preemption != PreemptionKind::kNone) grow_or_preempt(work);
  std::int64_t tokens_left = limits_.max_num_tokens;
  for (Active& active : active_) {
    active.chunk = 0;
    if (active.prefilled < active.prompt) {
      active.chunk = std::min(active.prompt - active.prefilled, tokens_left);
      tokens_left -= active.chunk;
      if (active.chunk > 0) add_prefill(work, active);
    } else if (tokens_left > 0) {
      add_decode(work, active, tokens_left);
    }
  }
  if (deployment_.scheduler == BatchSchedulerKind::kContinuous || active_.empty()) admit(work, tokens_left);
  if (deployment_.prefix_attention == PrefixAttentionKind::kShared) work.decode_shared = shared_reads();
  if (work.tokens() == 0) return std::nullopt;
  return work;
}

void ReplicaScheduler::complete_iteration(sim::SimTime now) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    Active active = active_[i];
    const ServingRequest& request = requests_[active.request];
    if (active.chunk > 0) {
      active.prefilled += active.chunk;
      if (active.prefix >= 0) {
        CachedPrefix& cached = prefixes_.at(active.prefix);
        if (active.prefilled >= cached.blocks * deployment_.kv_block_tokens) cached.ready = true;
      }
      if (active.prefilled == active.prompt) {
        // The prompt's last position samples a token: the first, or after a recompute the next one.
        if (active.generated == 0) records_[active.request].first_token = now;
        ++active.generated;
      }
    } else if (active.chunk < 0) {
      ++active.generated;
    }
    active.chunk = 0;
    const bool done = active.prefilled == active.prompt && active.generated >= request.output_len;
    if (!done && role_ == ServingRole::kPrefill && active.prefilled == active.prompt) {
      handoffs_.push_back(active.request);  // its KV goes to the decode pool
      free_blocks_ += active.blocks;
      release_prefix(active);
      continue;
    }
    if (done) {
      records_[active.request].finish = now;
      free_blocks_ += active.blocks;
      release_prefix(active);
      continue;
    }
    active_[kept++] = active;
  }
  active_.resize(kept);
}

}  // namespace strata::models
