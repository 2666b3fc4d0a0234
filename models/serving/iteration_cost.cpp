#include "models/serving/iteration_cost.hpp"

#include <algorithm>
#include <cmath>

#include "models/collectives/analytic_collective.hpp"
#include "models/cost/compute_cost.hpp"
#include "models/serving/serving_memory.hpp"

namespace strata::models {
namespace {

constexpr double kActivationBytes = 2.0;  // bf16 activations between kernels
constexpr double kLogitBytes = 4.0;       // fp32 logits

sim::SimTime gemm(const GpuProfile& gpu, double m, double n, double k, Dtype dtype) {
  GemmShape shape;
  shape.m = std::max<std::int64_t>(1, std::llround(m));
  shape.n = std::max<std::int64_t>(1, std::llround(n));
  shape.k = std::max<std::int64_t>(1, std::llround(k));
  return gemm_time(gpu, shape, dtype).total;
}

sim::SimTime memory_pass(const GpuProfile& gpu, double bytes) {
  return memory_bound_time(gpu, sim::Bytes::from_count(static_cast<std::int64_t>(bytes))).total;
}

// A gated (SwiGLU) or plain MLP of intermediate width `ffn` on one GPU: its GEMMs and its activation.
void add_mlp(const GpuProfile& gpu, double tokens, double hidden, double ffn, bool swiglu, Dtype dtype,
             IterationTime& time) {
  if (ffn <= 0 || tokens <= 0) return;
  time.gemm +=
      gemm(gpu, tokens, (swiglu ? 2 : 1) * ffn, hidden, dtype) + gemm(gpu, tokens, hidden, ffn, dtype);
  time.memory_bound += memory_pass(gpu, (swiglu ? 3 : 2) * tokens * ffn * kActivationBytes);
}

IterationTime times(const IterationTime& part, int count) {
  IterationTime scaled;
  scaled.gemm = part.gemm * count;
  scaled.attention = part.attention * count;
  scaled.memory_bound = part.memory_bound * count;
  scaled.tp = part.tp * count;
  scaled.swap = part.swap * count;
  scaled.pp = part.pp * count;
  return scaled;
}

}  // namespace

IterationTime& IterationTime::operator+=(const IterationTime& other) {
  gemm += other.gemm;
  attention += other.attention;
  memory_bound += other.memory_bound;
  tp += other.tp;
  swap += other.swap;
  pp += other.pp;
  return *this;
}

IterationCost::IterationCost(const TransformerConfig& model, const Deployment& deployment,
                             const GpuProfile& gpu, const SystemProfile& system, const ServingStage& stage,
                             std::optional<CollectiveScope> receive)
    : model_(model),
      deployment_(deployment),
      gpu_(gpu),
      system_(system),
      stage_(stage.end_layer > 0 ? stage : whole_model(model)),
      receive_(receive),
      geometry_(attention_geometry(model, deployment.attention_tp())),
      swap_block_bytes_(kv_bytes_per_token(model, deployment, stage_.layers()) * deployment.kv_block_tokens) {
  (void)gpu_.gemm_efficiency(deployment.weights_dtype);  // the GPU must have data for the weights dtype
  for (int layer = stage_.first_layer; layer < stage_.end_layer; ++layer)
    ++(model.is_moe_layer(layer) ? moe_layers_ : dense_layers_);
}

sim::SimTime IterationCost::tp_collective(CollectiveOp op, double bytes) const {
  const int per_node = std::min(deployment_.tp, system_.gpus_per_node.value);
  const CollectiveScope scope{(deployment_.tp + per_node - 1) / per_node, per_node};
  return analytic_collective(system_, op, sim::Bytes::from_count(static_cast<std::int64_t>(bytes)), scope)
      .time;
}

const IterationTime& IterationCost::own_token_parts(std::int64_t tokens) {
  if (const auto found = own_by_tokens_.find(tokens); found != own_by_tokens_.end()) return found->second;
  const double tp = deployment_.attention_tp();
  const double h = model_.hidden;
  const bool swiglu = model_.activation == MlpActivation::kSwiGlu;
  const Dtype dtype = deployment_.weights_dtype;
  const double t = static_cast<double>(tokens);

  // Every layer: attention projections, two residual-add + norms, rotary embedding (and MLA's latent
  // norms), and with tp the two all-reduces (attention output, MLP or MoE output).
  IterationTime layer;
  for (const ProjectionGemm& projection : geometry_.projections)
    layer.gemm += gemm(gpu_, t, projection.n, projection.k, dtype);
  layer.memory_bound = memory_pass(gpu_, 4 * t * h * kActivationBytes) * 2 +
                       memory_pass(gpu_, 2 * t * geometry_.elementwise_per_token * kActivationBytes);
  if (tp > 1) layer.tp = tp_collective(CollectiveOp::kAllReduce, t * h * kActivationBytes) * 2;
  IterationTime dense;
  add_mlp(gpu_, t, h, model_.ffn_hidden / tp, swiglu, dtype, dense);
  IterationTime moe;
  if (moe_layers_ > 0) {
    moe.gemm = gemm(gpu_, t, model_.moe.experts, h, Dtype::kBf16);  // the router, unquantized
    add_mlp(gpu_, t, h, model_.moe.shared_ffn_hidden / tp, swiglu, dtype, moe);
  }
  IterationTime parts = times(layer, stage_.layers());
  parts += times(dense, dense_layers_);
  parts += times(moe, moe_layers_);
  // The embedding lookup: read and write T x h.
  if (stage_.embedding) parts.memory_bound += memory_pass(gpu_, 2 * t * h * kActivationBytes);
  return own_by_tokens_.emplace(tokens, parts).first->second;
}

const IterationTime& IterationCost::routed_expert_parts(std::int64_t tokens) {
  if (const auto found = routed_by_tokens_.find(tokens); found != routed_by_tokens_.end())
    return found->second;
  const MoeConfig& moe = model_.moe;
  const double h = model_.hidden;
  const double t = static_cast<double>(tokens);
  const double experts = moe.experts;
  const double top_k = moe.experts_per_token;
  const double local_experts = experts / deployment_.ep;
  const double routed = t * top_k / deployment_.ep;  // token copies this GPU's experts receive
  const double active = std::max(1.0, local_experts * (1.0 - std::pow(1.0 - top_k / experts, t)));
  const double width = static_cast<double>(moe.expert_ffn_hidden) / deployment_.moe_tp();
  const bool swiglu = model_.activation == MlpActivation::kSwiGlu;
  const Dtype dtype = deployment_.weights_dtype;
  const double per_expert = routed / active;

  IterationTime layer;
  layer.gemm = gemm(gpu_, per_expert, active * (swiglu ? 2 : 1) * width, h, dtype) +
               gemm(gpu_, per_expert, active * h, width, dtype);
  // Permute the copies in (read the tokens, write the copies) and out (read the outputs, write the
  // weighted sums), and the experts' activation.
  layer.memory_bound = memory_pass(gpu_, 2 * (t + routed) * h * kActivationBytes) +
                       memory_pass(gpu_, (swiglu ? 3 : 2) * routed * width * kActivationBytes);
  if (deployment_.attention_dp && deployment_.tp > 1) {
    const double bytes = t * h * kActivationBytes;
    layer.tp =
        tp_collective(CollectiveOp::kAllGather, bytes) + tp_collective(CollectiveOp::kReduceScatter, bytes);
  }
  return routed_by_tokens_.emplace(tokens, times(layer, moe_layers_)).first->second;
}

IterationTime IterationCost::attention_and_sampling(const BatchWork& work) {
  IterationTime time;
  const double tp = deployment_.attention_tp();
  const AttentionGeometry& g = geometry_;
  const double kv_token_bytes = g.kv_elements_per_token * dtype_bytes(deployment_.kv_dtype);
  if (work.prefill_tokens > 0) {
    // QK^T and PV: 2 FLOPs a multiply-add over each dim.
    const double flops = 2 * work.prefill_pairs * g.heads * (g.prefill_qk_dim + g.prefill_v_dim);
    const double bytes =
        static_cast<double>(work.prefill_tokens) * g.prefill_io_per_token * kActivationBytes +
        static_cast<double>(work.prefill_cached) * kv_token_bytes;
    time.attention += fused_attention_time(gpu_, sim::Flops::from_count(flops),
                                           sim::Bytes::from_count(static_cast<std::int64_t>(bytes)))
                          .total;
  }
  if (work.decode_requests > 0) {
    const double context = static_cast<double>(work.decode_context);
    const double read = context - static_cast<double>(work.decode_shared);
    const double bytes = read * kv_token_bytes + static_cast<double>(work.decode_requests) *
                                                     g.decode_io_per_request * kActivationBytes;
    const double flops = 2 * context * g.heads * (g.decode_qk_dim + g.decode_v_dim);
    time.attention += fused_attention_time(gpu_, sim::Flops::from_count(flops),
                                           sim::Bytes::from_count(static_cast<std::int64_t>(bytes)))
                          .total;
  }
  time.attention = time.attention * stage_.layers();
  if (work.sampled_sequences > 0 && stage_.lm_head) {
    const double h = model_.hidden;
    const double vocab = model_.vocab / tp;
    const auto sequences = static_cast<double>(work.sampled_sequences);
    time.gemm += gemm(gpu_, sequences, vocab, h, Dtype::kBf16);
    time.memory_bound += memory_pass(gpu_, sequences * vocab * kLogitBytes);
  }
  return time;
}

IterationTime IterationCost::price(std::span<const BatchWork> ranks) {
  IterationTime slowest;
  std::int64_t all_tokens = 0;
  for (const BatchWork& work : ranks) {
    const std::int64_t tokens = work.tokens();
    all_tokens += tokens;
    if (tokens == 0) continue;
    IterationTime own = own_token_parts(tokens);
    own += attention_and_sampling(work);
    if (own.total() > slowest.total()) slowest = own;
  }
  if (all_tokens > 0 && moe_layers_ > 0) slowest += routed_expert_parts(all_tokens);
  // Swaps: each GPU copies its own blocks; the GPUs of a replica wait for the one that copies the most.
  for (const BatchWork& work : ranks) {
    sim::SimTime swap;
    if (work.swap_out_blocks > 0)
      swap += sim::SimTime::from_seconds(static_cast<double>(work.swap_out_blocks) * swap_block_bytes_ /
                                         system_.device_to_host.value.bytes_per_s());
    if (work.swap_in_blocks > 0)
      swap += sim::SimTime::from_seconds(static_cast<double>(work.swap_in_blocks) * swap_block_bytes_ /
                                         system_.host_to_device.value.bytes_per_s());
    slowest.swap = std::max(slowest.swap, swap);
  }
  if (receive_ && all_tokens > 0) {
    const double bytes = static_cast<double>(all_tokens) * model_.hidden * kActivationBytes;
    slowest.pp = analytic_collective(system_, CollectiveOp::kSendRecv,
                                     sim::Bytes::from_count(static_cast<std::int64_t>(bytes)), *receive_)
                     .time;
  }
  return slowest;
}

}  // namespace strata::models
