#include "models/serving/iteration_cost.hpp"

#include <algorithm>

#include "models/collectives/analytic_collective.hpp"
#include "models/cost/compute_cost.hpp"
#include "models/serving/serving_memory.hpp"

namespace strata::models {
namespace {

constexpr double kActivationBytes = 2.0;  // bf16 activations between kernels
constexpr double kLogitBytes = 4.0;       // fp32 logits

sim::SimTime gemm(const GpuProfile& gpu, std::int64_t m, double n, double k, Dtype dtype) {
  GemmShape shape;
  shape.m = m;
  shape.n = std::max<std::int64_t>(1, static_cast<std::int64_t>(n));
  shape.k = std::max<std::int64_t>(1, static_cast<std::int64_t>(k));
  return gemm_time(gpu, shape, dtype).total;
}

sim::SimTime memory_pass(const GpuProfile& gpu, double bytes) {
  return memory_bound_time(gpu, sim::Bytes::from_count(static_cast<std::int64_t>(bytes))).total;
}

}  // namespace

IterationCost::IterationCost(const TransformerConfig& model, const Deployment& deployment,
                             const GpuProfile& gpu, const SystemProfile& system)
    : model_(model), deployment_(deployment), gpu_(gpu), system_(system) {
  (void)gpu_.gemm_efficiency(deployment.weights_dtype);  // the GPU must have data for the weights dtype
}

const IterationCost::TokenParts& IterationCost::token_parts(std::int64_t tokens) {
  if (const auto found = by_tokens_.find(tokens); found != by_tokens_.end()) return found->second;
  const double tp = deployment_.tp;
  const double h = model_.hidden;
  const double head_dim = model_.head_dim;
  const double ffn = model_.ffn_hidden / tp;
  const double heads = model_.heads / tp;
  const double kv_heads = kv_heads_per_gpu(model_, deployment_.tp);
  const bool swiglu = model_.activation == MlpActivation::kSwiGlu;
  const Dtype dtype = deployment_.weights_dtype;
  const double t = static_cast<double>(tokens);

  TokenParts parts;
  parts.gemm = gemm(gpu_, tokens, (heads + 2 * kv_heads) * head_dim, h, dtype) +
               gemm(gpu_, tokens, h, heads * head_dim, dtype) +
               gemm(gpu_, tokens, (swiglu ? 2 : 1) * ffn, h, dtype) + gemm(gpu_, tokens, h, ffn, dtype);
  const double norm_bytes = 4 * t * h * kActivationBytes;
  const double rope_bytes = 2 * t * (heads + kv_heads) * head_dim * kActivationBytes;
  const double activation_bytes = (swiglu ? 3 : 2) * t * ffn * kActivationBytes;
  parts.memory_bound =
      memory_pass(gpu_, norm_bytes) * 2 + memory_pass(gpu_, rope_bytes) + memory_pass(gpu_, activation_bytes);
  if (deployment_.tp > 1) {
    const int per_node = std::min(deployment_.tp, system_.gpus_per_node.value);
    const CollectiveScope scope{(deployment_.tp + per_node - 1) / per_node, per_node};
    const auto bytes = sim::Bytes::from_count(static_cast<std::int64_t>(t * h * kActivationBytes));
    parts.tp = analytic_collective(system_, CollectiveOp::kAllReduce, bytes, scope).time * 2;
  }
  return by_tokens_.emplace(tokens, parts).first->second;
}

IterationTime IterationCost::price(const BatchWork& work) {
  IterationTime time;
  const std::int64_t tokens = work.tokens();
  if (tokens == 0) return time;
  const TokenParts& parts = token_parts(tokens);
  const double tp = deployment_.tp;
  const double head_dim = model_.head_dim;
  const double heads = model_.heads / tp;
  const double kv_heads = kv_heads_per_gpu(model_, deployment_.tp);
  const double kv_token_bytes = 2 * kv_heads * head_dim * dtype_bytes(deployment_.kv_dtype);
  sim::SimTime attention;
  if (work.prefill_tokens > 0) {
    const double flops = 4 * work.prefill_pairs * head_dim * heads;
    const double bytes =
        static_cast<double>(work.prefill_tokens) * (2 * heads + 2 * kv_heads) * head_dim * kActivationBytes +
        static_cast<double>(work.prefill_cached) * kv_token_bytes;
    attention += fused_attention_time(gpu_, sim::Flops::from_count(flops),
                                      sim::Bytes::from_count(static_cast<std::int64_t>(bytes)))
                     .total;
  }
  if (work.decode_requests > 0) {
    const double context = static_cast<double>(work.decode_context);
    const double bytes = context * kv_token_bytes +
                         static_cast<double>(work.decode_requests) * 2 * heads * head_dim * kActivationBytes;
    attention += fused_attention_time(gpu_, sim::Flops::from_count(4 * context * head_dim * heads),
                                      sim::Bytes::from_count(static_cast<std::int64_t>(bytes)))
                     .total;
  }
  const std::int64_t layers = model_.layers;
  time.gemm = parts.gemm * layers;
  time.attention = attention * layers;
  time.memory_bound = parts.memory_bound * layers;
  time.tp = parts.tp * layers;
  const double h = model_.hidden;
  time.memory_bound += memory_pass(gpu_, 2 * static_cast<double>(tokens) * h * kActivationBytes);
  if (work.sampled_sequences > 0) {
    time.gemm += gemm(gpu_, work.sampled_sequences, model_.vocab / tp, h, Dtype::kBf16);
    time.memory_bound +=
        memory_pass(gpu_, static_cast<double>(work.sampled_sequences) * (model_.vocab / tp) * kLogitBytes);
  }
  return time;
}

}  // namespace strata::models
