#include "models/serving/serving_memory.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "models/serving/attention_geometry.hpp"
#include "sim/error.hpp"

namespace strata::models {

namespace {

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return text;
}

ReplicaWeights stage_weights(const TransformerConfig& model, const ServingStage& stage) {
  ReplicaWeights weights;
  const ParameterCounts params = count_parameters(model);
  // A tied LM head is the embedding's table: the last stage keeps a copy when it is not the first.
  const double head = params.lm_head > 0 ? params.lm_head : params.embedding;
  weights.sixteen_bit = (stage.embedding ? params.embedding : 0.0) +
                        (stage.lm_head && (params.lm_head > 0 || !stage.embedding) ? head : 0.0);
  for (int layer = stage.first_layer; layer < stage.end_layer; ++layer) {
    for (const WeightTensor& tensor : layer_weight_tensors(model, layer))
      (tensor.expert ? weights.experts : weights.dense) += tensor.parameters;
  }
  return weights;
}

// The widest MLP intermediate one token keeps alive on one GPU, in elements.
double mlp_activations_per_token(const TransformerConfig& model, const Deployment& deployment) {
  const double mlp_tp = deployment.attention_tp();
  const double matrices = model.activation == MlpActivation::kSwiGlu ? 2.0 : 1.0;
  double widest = 0;
  for (int layer = 0; layer < model.layers; ++layer) {
    if (!model.is_moe_layer(layer)) {
      widest = std::max(widest, matrices * model.ffn_hidden / mlp_tp);
      continue;
    }
    // The routed copies of every gathered token (top-k of them, a share 1 / ep on this GPU), and the shared
    // experts' intermediate on the GPU's own tokens.
    const double routed = static_cast<double>(deployment.attention_ranks()) * model.moe.experts_per_token /
                          deployment.ep *
                          (model.hidden + matrices * model.moe.expert_ffn_hidden / deployment.moe_tp());
    widest = std::max(widest, routed + matrices * model.moe.shared_ffn_hidden / mlp_tp);
  }
  return widest;
}

ServingMemory stage_memory(const TransformerConfig& model, const Deployment& deployment,
                           const GpuProfile& gpu, const BatchLimits& limits, const ServingStage& stage) {
  constexpr double kActivationBytes = 2.0;  // bf16 activations
  constexpr double kLogitBytes = 4.0;       // fp32 logits
  const double tp = deployment.tp;
  const double attention_tp = deployment.attention_tp();
  const ReplicaWeights weights = stage_weights(model, stage);
  ServingMemory memory;
  memory.capacity_bytes = gpu.memory_capacity.value.as_double();
  // MLA's compressions are whole on every GPU: the share 1 - 1 / attention_tp of them comes on top.
  const double replicated =
      replicated_attention_parameters(model) * stage.layers() / model.layers * (1.0 - 1.0 / attention_tp);
  memory.weights_bytes = (weights.dense / attention_tp + replicated + weights.experts / tp) *
                             dtype_bytes(deployment.weights_dtype) +
                         weights.sixteen_bit / attention_tp * kActivationBytes;
  const double qkv_width = attention_geometry(model, deployment.attention_tp()).activation_width;
  const double per_token = model.hidden + mlp_activations_per_token(model, deployment) + qkv_width;
  memory.activation_bytes =
      limits.max_num_tokens * per_token * kActivationBytes +
      (stage.lm_head ? limits.max_batch_size * (model.vocab / attention_tp) * kLogitBytes : 0.0);
  memory.kv_bytes_per_token = kv_bytes_per_token(model, deployment, stage.layers());
  const double left = memory.capacity_bytes - memory.weights_bytes - memory.activation_bytes;
  const double block_bytes = memory.kv_bytes_per_token * deployment.kv_block_tokens;
  memory.kv_blocks =
      left > 0 ? static_cast<std::int64_t>(std::floor(left * deployment.kv_memory_fraction / block_bytes))
               : 0;
  memory.kv_block_tokens = deployment.kv_block_tokens;
  memory.replica_kv_blocks = memory.kv_blocks * deployment.attention_ranks();
  memory.kv_cache_bytes = static_cast<double>(memory.kv_blocks) * block_bytes;
  return memory;
}

}  // namespace

int kv_heads_per_gpu(const TransformerConfig& model, int tp) { return (model.kv_heads + tp - 1) / tp; }

double kv_bytes_per_token(const TransformerConfig& model, const Deployment& deployment, int layers) {
  return layers * attention_geometry(model, deployment.attention_tp()).kv_elements_per_token *
         dtype_bytes(deployment.kv_dtype);
}

ServingStage serving_stage(const TransformerConfig& model, const Deployment& deployment, int index) {
  const int base = model.layers / deployment.pp;
  const int extra = model.layers % deployment.pp;
  ServingStage stage;
  stage.first_layer = index * base + std::min(index, extra);
  stage.end_layer = stage.first_layer + base + (index < extra ? 1 : 0);
  stage.embedding = index == 0;
  stage.lm_head = index == deployment.pp - 1;
  return stage;
}

ServingStage whole_model(const TransformerConfig& model) { return {0, model.layers, true, true}; }

ReplicaWeights replica_weights(const TransformerConfig& model) {
  return stage_weights(model, whole_model(model));
}

ServingMemory serving_memory(const TransformerConfig& model, const Deployment& deployment,
                             const GpuProfile& gpu, const BatchLimits& limits) {
  ServingMemory memory;
  for (int index = 0; index < deployment.pp; ++index) {
    ServingMemory stage =
        stage_memory(model, deployment, gpu, limits, serving_stage(model, deployment, index));
    if (index == 0 || stage.kv_blocks < memory.kv_blocks) memory = stage;
  }
  memory.micro_batch_kv_blocks = memory.kv_blocks / deployment.pp;
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
