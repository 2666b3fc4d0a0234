#include "models/serving/batch_limits.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/error.hpp"

namespace strata::models {
namespace {

int rounded_up(double value, double step) { return static_cast<int>(step * std::ceil(value / step)); }

}  // namespace

BatchLimits trtllm_bench_batch_limits(const TransformerConfig& model, const Deployment& deployment,
                                      const GpuProfile& gpu, std::int64_t input_len,
                                      std::int64_t output_len) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const double kv_per_token = 2.0 * model.layers * std::max(deployment.tp, model.kv_heads) * model.head_dim *
                              dtype_bytes(deployment.kv_dtype) / kGiB;
  const double weights = count_parameters(model).total * dtype_bytes(deployment.weights_dtype) / kGiB;
  const double memory = gpu.memory_capacity.value.as_double() / kGiB * deployment.gpus_per_replica();
  if (memory <= weights) {
    throw sim::InputError("", "/tp",
                          "the weights need " + std::to_string(static_cast<int>(weights)) + " GiB but " +
                              std::to_string(deployment.gpus_per_replica()) + " GPU(s) of a replica hold " +
                              std::to_string(static_cast<int>(memory)) + " GiB");
  }
  const double cache = (memory - weights) * deployment.kv_memory_fraction;
  const double requests = cache / (kv_per_token * static_cast<double>(input_len + output_len));
  const double raw_batch = std::min(requests, 4096.0) / deployment.pp;  // per micro-batch
  const double raw_tokens =
      std::min(raw_batch * (1.0 + static_cast<double>(input_len) / static_cast<double>(output_len)), 32768.0);
  BatchLimits limits;
  if (raw_batch < 256) {
    limits.max_batch_size = std::max(64, rounded_up(raw_batch, 32));
  } else if (raw_batch < 1024) {
    limits.max_batch_size = rounded_up(raw_batch, 128);
  } else {
    limits.max_batch_size = rounded_up(raw_batch, 256);
  }
  if (raw_tokens < 4096) {
    limits.max_num_tokens = std::max(2048, rounded_up(raw_tokens, 256));
  } else if (raw_tokens < 8192) {
    limits.max_num_tokens = rounded_up(raw_tokens, 512);
  } else {
    limits.max_num_tokens = rounded_up(raw_tokens, 1024);
  }
  return limits;
}

RequestLengths request_lengths(const std::vector<ServingRequest>& requests) {
  double input = 0;
  double output = 0;
  RequestLengths lengths;
  for (const ServingRequest& request : requests) {
    input += static_cast<double>(request.input_len);
    output += static_cast<double>(request.output_len);
    lengths.max_input = std::max(lengths.max_input, request.input_len);
    lengths.max_total = std::max(lengths.max_total, request.input_len + request.output_len);
  }
  const auto n = static_cast<double>(requests.size());
  lengths.mean_input = std::max<std::int64_t>(1, std::llround(input / n));
  lengths.mean_output = std::max<std::int64_t>(1, std::llround(output / n));
  return lengths;
}

BatchLimits effective_batch_limits(const TransformerConfig& model, const Deployment& deployment,
                                   const GpuProfile& gpu, const RequestLengths& lengths) {
  if (deployment.max_batch_size && deployment.max_num_tokens)
    return {*deployment.max_batch_size, *deployment.max_num_tokens};
  BatchLimits limits =
      trtllm_bench_batch_limits(model, deployment, gpu, lengths.mean_input, lengths.mean_output);
  if (deployment.max_batch_size) limits.max_batch_size = *deployment.max_batch_size;
  if (deployment.max_num_tokens) {
    limits.max_num_tokens = *deployment.max_num_tokens;
  } else if (!deployment.chunked_prefill) {
    const std::int64_t longest =
        deployment.preemption == PreemptionKind::kNone ? lengths.max_input : lengths.max_total;
    const std::int64_t needed = longest + limits.max_batch_size;
    limits.max_num_tokens = static_cast<int>(std::min<std::int64_t>(
        std::max<std::int64_t>(limits.max_num_tokens, needed), std::numeric_limits<int>::max()));
  }
  return limits;
}

}  // namespace strata::models
