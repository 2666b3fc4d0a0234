#include "models/serving/serving_memory.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "sim/error.hpp"

namespace strata::models {

namespace {

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return text;
}

}  // namespace

int kv_heads_per_gpu(const TransformerConfig& model, int tp) { return (model.kv_heads + tp - 1) / tp; }

ServingMemory serving_memory(const TransformerConfig& model, const Deployment& deployment,
                             const GpuProfile& gpu, const BatchLimits& limits) {
  constexpr double kActivationBytes = 2.0;  // bf16 activations
  constexpr double kLogitBytes = 4.0;       // fp32 logits
  const double tp = deployment.tp;
  const ParameterCounts params = count_parameters(model);
  const double sixteen_bit = params.embedding + params.lm_head;
  ServingMemory memory;
  memory.capacity_bytes = gpu.memory_capacity.value.as_double();
  memory.weights_bytes = ((params.total - sixteen_bit) * dtype_bytes(deployment.weights_dtype) +
                          sixteen_bit * kActivationBytes) /
                         tp;
  const double qkv_width = (model.heads + 2.0 * model.kv_heads) * model.head_dim / tp;
  const double per_token = model.hidden + 2.0 * model.ffn_hidden / tp + qkv_width;
  memory.activation_bytes = limits.max_num_tokens * per_token * kActivationBytes +
                            limits.max_batch_size * (model.vocab / tp) * kLogitBytes;
  memory.kv_bytes_per_token = 2.0 * model.layers * kv_heads_per_gpu(model, deployment.tp) * model.head_dim *
                              dtype_bytes(deployment.kv_dtype);
  const double left = memory.capacity_bytes - memory.weights_bytes - memory.activation_bytes;
  const double block_bytes = memory.kv_bytes_per_token * deployment.kv_block_tokens;
  memory.kv_blocks =
      left > 0 ? static_cast<std::int64_t>(std::floor(left * deployment.kv_memory_fraction / block_bytes))
               : 0;
  memory.kv_block_tokens = deployment.kv_block_tokens;
  memory.kv_cache_bytes = static_cast<double>(memory.kv_blocks) * block_bytes;
  if (memory.kv_blocks < 1) {
    throw sim::InputError("", "/tp",
                          "weights (" + gib(memory.weights_bytes) + ") and activations (" +
                              gib(memory.activation_bytes) + ") per GPU leave no room for the KV cache in " +
                              gib(memory.capacity_bytes) +
                              "; use more tensor parallelism, smaller weights or smaller batch limits");
  }
  return memory;
}

}  // namespace strata::models
