#include "models/serving/replica_scheduler.hpp"

#include <algorithm>

namespace strata::models {

ReplicaScheduler::ReplicaScheduler(int replica, const Deployment& deployment, const BatchLimits& limits,
                                   std::int64_t kv_blocks, const std::vector<ServingRequest>& requests,
                                   std::vector<RequestRecord>& records)
    : replica_(replica),
      deployment_(deployment),
      limits_(limits),
      kv_blocks_(kv_blocks),
      free_blocks_(kv_blocks),
      requests_(requests),
      records_(records) {}

void ReplicaScheduler::enqueue(std::size_t request) {
  records_[request].replica = replica_;
  waiting_.push_back(request);
}

std::int64_t ReplicaScheduler::blocks_for(const ServingRequest& request) const {
  const std::int64_t tokens = request.input_len + request.output_len;
  return (tokens + deployment_.kv_block_tokens - 1) / deployment_.kv_block_tokens;
}

void ReplicaScheduler::add_prefill(BatchWork& work, const Active& active, const ServingRequest& request) {
  const auto c = static_cast<double>(active.chunk);
  const auto p = static_cast<double>(active.prefilled);
  work.prefill_tokens += active.chunk;
  work.prefill_pairs += c * p + c * (c + 1) / 2;
  work.prefill_cached += active.prefilled;
  if (active.prefilled + active.chunk == request.input_len) ++work.sampled_sequences;
}

void ReplicaScheduler::admit(BatchWork& work, std::int64_t& tokens_left) {
  while (!waiting_.empty() && static_cast<std::int64_t>(active_.size()) < limits_.max_batch_size &&
         tokens_left > 0) {
    const ServingRequest& request = requests_[waiting_.front()];
    const std::int64_t blocks = blocks_for(request);
    if (blocks > free_blocks_) return;
    if (!deployment_.chunked_prefill && request.input_len > tokens_left) return;
    Active active;
    active.request = waiting_.front();
    active.blocks = blocks;
    active.chunk = std::min(request.input_len, tokens_left);
    tokens_left -= active.chunk;
    free_blocks_ -= blocks;
    waiting_.pop_front();
    add_prefill(work, active, request);
    active_.push_back(active);
  }
}

std::optional<BatchWork> ReplicaScheduler::next_iteration() {
  BatchWork work;
  std::int64_t tokens_left = limits_.max_num_tokens;
  for (Active& active : active_) {
    const ServingRequest& request = requests_[active.request];
    active.chunk = 0;
    if (active.prefilled < request.input_len) {
      active.chunk = std::min(request.input_len - active.prefilled, tokens_left);
      tokens_left -= active.chunk;
      if (active.chunk > 0) add_prefill(work, active, request);
    } else if (tokens_left > 0) {
      --tokens_left;
      ++work.decode_requests;
      work.decode_context += request.input_len + active.generated;
      ++work.sampled_sequences;
      active.chunk = -1;  // decoding this iteration
    }
  }
  if (deployment_.scheduler == BatchSchedulerKind::kContinuous || active_.empty()) admit(work, tokens_left);
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
      if (active.prefilled == request.input_len) {
        active.generated = 1;
        records_[active.request].first_token = now;
      }
    } else if (active.chunk < 0) {
      ++active.generated;
    }
    active.chunk = 0;
    if (active.prefilled == request.input_len && active.generated >= request.output_len) {
      records_[active.request].finish = now;
      free_blocks_ += active.blocks;
      continue;
    }
    active_[kept++] = active;
  }
  active_.resize(kept);
}

}  // namespace strata::models
