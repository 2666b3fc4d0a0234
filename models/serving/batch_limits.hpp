// The batch limits trtllm-bench picks when the user gives none (TensorRT-LLM tensorrt_llm/bench/build/
// tuning.py, calc_engine_setting and finetune_setting), so that a deployment without max_batch_size or
// max_num_tokens runs as the published trtllm-bench results ran:
//   kv bytes per token  = 2 x layers x max(tp, kv_heads) x head_dim x bytes(kv dtype)      (whole replica)
//   cache memory        = (GPU memory x tp - parameters x bytes(weights dtype)) x kv fraction
//   requests that fit   = cache memory / (kv bytes per token x (input + output))
//   raw batch           = min(requests that fit, 4096)
//   raw tokens          = min(raw batch x (1 + input / output), 32768)
//   max_batch_size      = raw < 256: max(64, 32 ceil(raw / 32)); < 1024: 128 ceil(raw / 128); else 256
//   ceil(..) max_num_tokens      = raw < 4096: max(2048, 256 ceil(raw / 256)); < 8192: 512 ceil(..); else
//   1024 ceil(..)
// (memory in GiB there as here; pipeline parallelism, which divides the batch, is not modelled for serving).
// Without chunked prefill trtllm-bench then raises max_num_tokens to at least the longest prompt plus
// max_batch_size, so that a prompt fits beside a full batch of decoding requests
// (tensorrt_llm/bench/benchmark/utils/general.py, get_settings).
#pragma once

#include <cstdint>
#include <vector>

#include "models/hardware/gpu_profile.hpp"
#include "models/serving/deployment.hpp"
#include "models/workload/transformer_config.hpp"

namespace strata::models {

struct BatchLimits {
  int max_batch_size = 0;
  int max_num_tokens = 0;
};

// Throws sim::InputError when the weights alone exceed the replica's memory.
BatchLimits trtllm_bench_batch_limits(const TransformerConfig& model, const Deployment& deployment,
                                      const GpuProfile& gpu, std::int64_t input_len, std::int64_t output_len);

// What trtllm-bench reads of a dataset: its mean prompt and output lengths (rounded) and its longest prompt.
struct RequestLengths {
  std::int64_t mean_input = 0;
  std::int64_t mean_output = 0;
  std::int64_t max_input = 0;
  std::int64_t max_total = 0;  // the longest input + output
};
RequestLengths request_lengths(const std::vector<ServingRequest>& requests);  // requests not empty

// The deployment's own limits where it sets them, trtllm-bench's for the mean lengths elsewhere (with the
// raise above, to the longest prompt, when the deployment leaves max_num_tokens to it and does not chunk;
// with preemption to the longest input + output instead, as a recomputed request prefills its prompt and its
// generated tokens in one iteration: vLLM requires max_num_batched_tokens >= max_model_len without chunked
// prefill, vllm/config.py SchedulerConfig).
BatchLimits effective_batch_limits(const TransformerConfig& model, const Deployment& deployment,
                                   const GpuProfile& gpu, const RequestLengths& lengths);

}  // namespace strata::models
