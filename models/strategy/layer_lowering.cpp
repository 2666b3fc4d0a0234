#include "models/strategy/layer_lowering.hpp"

#include <algorithm>
#include <cmath>

namespace strata::models {
namespace {

constexpr double kAttentionBackwardFactor = 2.5;  // FlashAttention-2: backward 2.5x forward FLOPs
constexpr double kCausalFraction = 0.5;           // causal attention skips the upper triangle
constexpr double kActivationBytes = 2.0;          // 16-bit activations and gradients
constexpr double kDropoutMaskBytes = 1.0;         // PyTorch's fused dropout keeps a 1-byte mask per element

// Transformer Engine's userbuffers TP overlap (--tp-comm-overlap) with its default configuration
// (transformer_engine/pytorch/module/base.py, initialize_ub, get_default_config): "pipeline" splits the
// GEMM before a reduce-scatter into 4 chunks; "pipeline" and "bulk" communication kernels run on 16 SMs that
// the GEMM beside them leaves free (set_sm_margin); "ring_exchange" splits its GEMM into tp chunks and moves
// the shards with copy engines (use_ce), taking no SMs. Their collectives are sm_free: the executor takes
// no further SMs for them (models/executor/sm_sharing.hpp).
constexpr int kPipelineSplits = 4;
constexpr int kUserbufferSms = 16;

}  // namespace

LayerLowering::LayerLowering(const TransformerConfig& model, const TrainingSpec& training,
                             const ParallelStrategy& strategy, TaskEmitter& emit)
    : m_(model),
      t_(training),
      s_(strategy),
      emit_(emit),
      tokens_(static_cast<double>(strategy.micro_batch * training.seq_len) / strategy.cp) {
  const double heads = model.heads;
  if (model.uses_mla()) {
    const double qk = model.mla.qk_nope_head_dim + model.mla.qk_rope_head_dim;
    const double v = model.mla.v_head_dim;
    widths_ = {heads * qk, heads * qk, heads * v, heads * v, qk, v};
  } else {
    const double d = model.head_dim;
    const double kv = static_cast<double>(model.kv_heads) * d;
    widths_ = {heads * d, kv, kv, heads * d, d, d};
  }
}

double LayerLowering::hidden_elements() const {
  return tokens_ * m_.hidden / (s_.sequence_parallel ? s_.tp : 1);
}

// Norm forward: read the input, write the normalized output.
double LayerLowering::norm_bytes() const { return 2.0 * kActivationBytes * hidden_elements(); }

// Megatron-Core's bias-dropout-add after each sublayer: read the sublayer output and the residual, write the
// sum, and with dropout (GPT-era training) its mask.
double LayerLowering::residual_bytes() const {
  return (3.0 * kActivationBytes + (dropout() ? kDropoutMaskBytes : 0.0)) * hidden_elements();
}

// Its backward with dropout: read the gradient and the mask, write the masked gradient. Without dropout the
// add passes the gradient through and costs nothing.
double LayerLowering::dropout_backward_bytes() const {
  return dropout() ? (2.0 * kActivationBytes + kDropoutMaskBytes) * hidden_elements() : 0.0;
}

// Norm backward: read the output gradient and the input, write the input gradient, then add it to the
// residual stream's gradient (autograd's accumulation: read two, write one).
double LayerLowering::norm_backward_bytes() const { return 6.0 * kActivationBytes * hidden_elements(); }

// Rotary embeddings (every model without learned positions or ALiBi), one fused kernel each way: read and
// write the rotated part of q and k (MLA rotates qk_rope_head_dim per query head and one shared key part).
double LayerLowering::rope_bytes() const {
  if (!m_.uses_rotary()) return 0.0;
  const double rotated = m_.uses_mla() ? static_cast<double>(m_.heads) * m_.mla.qk_rope_head_dim / s_.tp +
                                             m_.mla.qk_rope_head_dim
                                       : (widths_.q + widths_.k) / s_.tp;
  return 2.0 * kActivationBytes * tokens_ * rotated;
}

// The MLP activation on `rows` rows: forward reads the up-projection's output (both halves for SwiGLU) and
// writes the `ffn`-wide input of the down-projection; backward reads that gradient and the saved input and
// writes the input's gradient.
double LayerLowering::activation_bytes(double rows, double ffn) const {
  return kActivationBytes * rows * (mlp_input_width(ffn) + ffn);
}
double LayerLowering::activation_backward_bytes(double rows, double ffn) const {
  return kActivationBytes * rows * (2.0 * mlp_input_width(ffn) + ffn);
}

// The TP collective after attention or the MLP: all-reduce, or reduce-scatter with sequence parallelism.
// Without overlap it blocks the compute stream. With tp_overlap it is pipelined with the GEMM that produced
// its input (the compute task just added): it starts with that GEMM and the next compute task waits for it.
void LayerLowering::tp_exit(int rank, int group) {
  if (s_.tp == 1) return;
  const CollectiveOp op = s_.sequence_parallel ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce;
  const double bytes = tokens_ * m_.hidden * kActivationBytes;
  if (!s_.tp_overlap) {
    emit_.collective(rank, group, op, bytes, TimeCategory::kTensorParallel, kCompute);
    return;
  }
  std::vector<TaskId> deps;
  if (emit_.previous_compute() != kNoTask) deps.push_back(emit_.previous_compute());
  emit_.defer(emit_.collective(rank, group, op, bytes, TimeCategory::kTensorParallel, kTensorParallel, deps),
              0);
}

// With sequence parallelism, the all-gather before attention or the MLP. With tp_overlap it is pipelined
// with the GEMM that consumes it (the next compute task): the task after that GEMM waits for it.
void LayerLowering::tp_entry(int rank, int group) {
  if (s_.tp == 1 || !s_.sequence_parallel) return;
  const double bytes = tokens_ * m_.hidden * kActivationBytes;
  if (!s_.tp_overlap) {
    emit_.collective(rank, group, CollectiveOp::kAllGather, bytes, TimeCategory::kTensorParallel, kCompute);
    return;
  }
  std::vector<TaskId> deps;
  if (emit_.last_compute() != kNoTask) deps.push_back(emit_.last_compute());
  // The consuming GEMM is preceded by its input's FP8 cast under FP8.
  emit_.defer(emit_.collective(rank, group, CollectiveOp::kAllGather, bytes, TimeCategory::kTensorParallel,
                               kTensorParallel, deps),
              t_.dtype == Dtype::kFp8 ? 2 : 1);
}

bool LayerLowering::userbuffers() const { return s_.tp_overlap && s_.sequence_parallel && s_.tp > 1; }

// The bytes of one all-gathered or reduce-scattered [b s / cp, h] activation: FP8 for an input Transformer
// Engine casts before gathering it (fp8_buf), 16-bit otherwise.
double LayerLowering::tp_activation_bytes(bool fp8_buffer) const {
  return tokens_ * m_.hidden *
         (fp8_buffer && t_.dtype == Dtype::kFp8 ? dtype_bytes(Dtype::kFp8) : kActivationBytes);
}

// A GEMM whose m rows are the all-gathered sequence (qkv and MLP up in forward; attention out and MLP down
// data gradients in backward). With userbuffers ("ring_exchange"): tp chunk GEMMs of one rank's b s / (cp tp)
// rows, the first on the local shard, chunk i + 1 on the shard that arrived while chunk i ran (tp - 1
// send-recv steps around the TP ring on the tp stream). Returns the last chunk; without userbuffers the
// all-gather (tp_entry) then the whole GEMM.
TaskId LayerLowering::gathered_gemm(int rank, int group, const std::string& name, Dtype dtype, double n,
                                    double k) {
  if (!userbuffers()) {
    tp_entry(rank, group);
    return emit_.gemm(dtype, rank, name, tokens_, n, k);
  }
  const double rows = tokens_ / s_.tp;
  const double step_bytes = tp_activation_bytes(true) / s_.tp;
  std::vector<TaskId> deps;
  if (emit_.last_compute() != kNoTask) deps.push_back(emit_.last_compute());
  TaskId arrived = kNoTask;
  TaskId last = kNoTask;
  for (int chunk = 0; chunk < s_.tp; ++chunk) {
    TaskId exchange = kNoTask;
    if (chunk + 1 < s_.tp) {
      exchange = emit_.sm_free(emit_.collective(rank, group, CollectiveOp::kSendRecv, step_bytes,
                                                TimeCategory::kTensorParallel, kTensorParallel,
                                                chunk == 0 ? deps : std::vector<TaskId>{}));
    }
    if (arrived != kNoTask) emit_.defer(arrived, 0);
    last = emit_.gemm(dtype, rank, name + " chunk " + std::to_string(chunk), rows, n, k);
    arrived = exchange;
  }
  return last;
}

// A row-parallel GEMM whose output is reduce-scattered (attention out, MLP down). With userbuffers
// ("pipeline"): 4 chunk GEMMs of a quarter of the rows each on the SMs the reduce-scatter kernel leaves,
// each chunk's output reduce-scattered while the next one runs; the next compute task waits for the last.
// Without: the GEMM, then tp_exit.
void LayerLowering::scattered_linear(int rank, int group, const std::string& name, double n, double k) {
  if (!userbuffers()) {
    linear(rank, name, tokens_, n, k);
    tp_exit(rank, group);
    return;
  }
  fp8_cast(rank, name, tokens_ * k);
  const double rows = tokens_ / kPipelineSplits;
  TaskId scattered = kNoTask;
  for (int chunk = 0; chunk < kPipelineSplits; ++chunk) {
    const TaskId gemm = emit_.gemm(t_.dtype, rank, name + " chunk " + std::to_string(chunk), rows, n, k, {},
                                   1, kUserbufferSms);
    scattered = emit_.sm_free(emit_.collective(rank, group, CollectiveOp::kReduceScatter,
                                               tp_activation_bytes(false) / kPipelineSplits,
                                               TimeCategory::kTensorParallel, kTensorParallel, {gemm}));
  }
  emit_.defer(scattered, 0);
}

// A column-parallel layer's forward (qkv, MLP up): its sequence-parallel input all-gathered, then the GEMM.
void LayerLowering::gathered_linear(int rank, int group, const std::string& name, double n, double k) {
  // Transformer Engine casts the local shard to FP8 and gathers FP8; the cast covers the gathered rows here.
  fp8_cast(rank, name, tokens_ * k);
  gathered_gemm(rank, group, name, t_.dtype, n, k);
}

// A row-parallel layer's backward (attention out, MLP down; forward m x n x k with m the tokens): the
// sequence-parallel output gradient all-gathered for the data-gradient GEMM (gathered_gemm), then the
// weight-gradient GEMM on the whole gathered gradient.
void LayerLowering::gathered_gradients(int rank, int group, const std::string& name, double n, double k,
                                       LayerWeightGradients* held) {
  if (!userbuffers()) {
    tp_entry(rank, group);
    gradients(rank, name, tokens_, n, k, held, t_.dtype);
    return;
  }
  fp8_cast(rank, name + " output gradient", tokens_ * n);
  gathered_gemm(rank, group, name + " dgrad", t_.dtype, k, n);
  weight_gradient(rank, name, t_.dtype, tokens_, n, k, held);
}

// A column-parallel layer's backward (qkv, MLP up): data and weight gradients, then the reduce-scatter of
// the input gradient. With userbuffers ("bulk"): the all-gather of the saved sequence-parallel input (for
// the weight gradient) beside the data-gradient GEMM, the input gradient's reduce-scatter beside the
// weight-gradient GEMM, each taking 16 SMs from its GEMM. Without: gradients, then tp_exit.
void LayerLowering::scattered_gradients(int rank, int group, const std::string& name, double n, double k,
                                        LayerWeightGradients* held) {
  if (!userbuffers()) {
    gradients(rank, name, tokens_, n, k, held, t_.dtype);
    tp_exit(rank, group);
    return;
  }
  fp8_cast(rank, name + " output gradient", tokens_ * n);
  std::vector<TaskId> deps;
  if (emit_.last_compute() != kNoTask) deps.push_back(emit_.last_compute());
  const TaskId input =
      emit_.sm_free(emit_.collective(rank, group, CollectiveOp::kAllGather, tp_activation_bytes(true),
                                     TimeCategory::kTensorParallel, kTensorParallel, deps));
  const TaskId dgrad = emit_.gemm(t_.dtype, rank, name + " dgrad", tokens_, k, n, {}, 1, kUserbufferSms);
  const TaskId scattered =
      emit_.sm_free(emit_.collective(rank, group, CollectiveOp::kReduceScatter, tp_activation_bytes(false),
                                     TimeCategory::kTensorParallel, kTensorParallel, {dgrad}));
  if (held != nullptr)
    emit_.defer(input, 0);  // a held weight gradient runs later; the gathered input must be there by then
  weight_gradient(rank, name, t_.dtype, tokens_, n, k, held, 1, {input}, kUserbufferSms);
  emit_.defer(scattered, 0);
}

// Transformer Engine runs an FP8 GEMM on FP8 copies of its 16-bit operands: each input is cast (read 16-bit,
// write FP8) together with the transposed FP8 copy the backward's other GEMM needs (its fused cast-transpose
// kernel; Hopper FP8 GEMMs take only the TN layout). Weights are cast once per step (Megatron passes
// is_first_microbatch), left out; activations in forward and their gradients in backward every micro-batch.
void LayerLowering::fp8_cast(int rank, const std::string& name, double elements) {
  if (t_.dtype != Dtype::kFp8) return;
  emit_.memory_bound(rank, name + " fp8 cast-transpose",
                     elements * (dtype_bytes(Dtype::kBf16) + 2.0 * dtype_bytes(Dtype::kFp8)));
}

TaskId LayerLowering::linear(int rank, const std::string& name, double m, double n, double k,
                             std::vector<TaskId> deps, double batch) {
  fp8_cast(rank, name, m * k * batch);
  return emit_.gemm(t_.dtype, rank, name, m, n, k, std::move(deps), batch);
}

void LayerLowering::gradients(int rank, const std::string& name, double m, double n, double k,
                              LayerWeightGradients* held, Dtype dtype, double batch) {
  if (dtype == t_.dtype) fp8_cast(rank, name + " output gradient", m * n * batch);
  emit_.gemm(dtype, rank, name + " dgrad", m, k, n, {}, batch);
  weight_gradient(rank, name, dtype, m, n, k, held, batch);
}

// The weight-gradient GEMM (k x n x m) of a forward GEMM m x n x k, or with `held` kept for ZB-H1's W pass
// (which runs it whole, with no communication beside it).
void LayerLowering::weight_gradient(int rank, const std::string& name, Dtype dtype, double m, double n,
                                    double k, LayerWeightGradients* held, double batch,
                                    std::vector<TaskId> deps, int reserved_sms) {
  if (held != nullptr) {
    held->push_back({name + " wgrad", dtype, k, n, m, batch});
    return;
  }
  emit_.gemm(dtype, rank, name + " wgrad", k, n, m, std::move(deps), batch, reserved_sms);
}

TaskId LayerLowering::weight_gradients(int rank, const LayerWeightGradients& held, std::vector<TaskId> deps) {
  TaskId last = kNoTask;
  for (const WeightGradient& w : held) {
    last = emit_.gemm(w.dtype, rank, w.name, w.m, w.n, w.k,
                      last == kNoTask ? std::move(deps) : std::vector<TaskId>{}, w.batch);
  }
  return last == kNoTask ? emit_.memory_bound(rank, "weight gradients", 0.0, std::move(deps)) : last;
}

// Non-MLA: one fused q, k, v GEMM. MLA: the down-projections are duplicated on every TP rank, the
// up-projections column-parallel.
void LayerLowering::projections_forward(int rank, int group) {
  const double h = m_.hidden;
  const double t = s_.tp;
  if (!m_.uses_mla()) {
    gathered_linear(rank, group, "qkv", (widths_.q + widths_.k + widths_.v) / t, h);
    return;
  }
  // MLA: several GEMMs read the gathered input; its all-gather runs beside the first (tp_entry).
  tp_entry(rank, group);
  const MlaConfig& mla = m_.mla;
  if (mla.q_lora_rank > 0) {
    linear(rank, "q down", tokens_, mla.q_lora_rank, h);
    linear(rank, "q up", tokens_, widths_.q / t, mla.q_lora_rank);
  } else {
    linear(rank, "q", tokens_, widths_.q / t, h);
  }
  linear(rank, "kv down", tokens_, static_cast<double>(mla.kv_lora_rank) + mla.qk_rope_head_dim, h);
  linear(rank, "kv up", tokens_, m_.heads * (static_cast<double>(mla.qk_nope_head_dim) + mla.v_head_dim) / t,
         mla.kv_lora_rank);
}

void LayerLowering::projections_backward(int rank, int group, LayerWeightGradients* held) {
  const double h = m_.hidden;
  const double t = s_.tp;
  if (!m_.uses_mla()) {
    scattered_gradients(rank, group, "qkv", (widths_.q + widths_.k + widths_.v) / t, h, held);
    return;
  }
  const MlaConfig& mla = m_.mla;
  gradients(rank, "kv up", tokens_,
            m_.heads * (static_cast<double>(mla.qk_nope_head_dim) + mla.v_head_dim) / t, mla.kv_lora_rank,
            held, t_.dtype);
  gradients(rank, "kv down", tokens_, static_cast<double>(mla.kv_lora_rank) + mla.qk_rope_head_dim, h, held,
            t_.dtype);
  if (mla.q_lora_rank > 0) {
    gradients(rank, "q up", tokens_, widths_.q / t, mla.q_lora_rank, held, t_.dtype);
    gradients(rank, "q down", tokens_, mla.q_lora_rank, h, held, t_.dtype);
  } else {
    gradients(rank, "q", tokens_, widths_.q / t, h, held, t_.dtype);
  }
  tp_exit(rank, group);
}

// The fused kernel's FLOPs over this rank's b s / cp queries against the whole sequence's keys, split into
// `blocks` equal kernels (ring attention's per-chunk blocks).
void LayerLowering::fused_core(int rank, const std::string& name, double factor, int blocks) {
  const double heads = static_cast<double>(m_.heads) / s_.tp;
  const double flops = factor * kCausalFraction * 2.0 * tokens_ * static_cast<double>(t_.seq_len) * heads *
                       (widths_.qk_head + widths_.v_head);
  const double bytes =
      factor * 2.0 * tokens_ * heads * (2.0 * widths_.qk_head + 2.0 * widths_.v_head);  // q, k, v, o
  const FusedAttentionKernel kernel = t_.attention == AttentionKernel::kTriton
                                          ? FusedAttentionKernel::kTriton
                                          : FusedAttentionKernel::kFlashAttention2;
  emit_.attention(rank, name, flops / blocks, bytes / blocks, kernel);
}

void LayerLowering::ring_core(int rank, int group, const std::string& name, bool backward) {
  const double kv_bytes = tokens_ * (widths_.k + widths_.v) / s_.tp * kActivationBytes;
  const double factor = backward ? kAttentionBackwardFactor : 1.0;
  std::vector<TaskId> deps;
  if (emit_.last_compute() != kNoTask) deps.push_back(emit_.last_compute());
  TaskId arrived = kNoTask;
  for (int block = 0; block < s_.cp; ++block) {
    TaskId exchange = kNoTask;
    if (block + 1 < s_.cp) {
      exchange = emit_.collective(rank, group, CollectiveOp::kSendRecv, (backward ? 2.0 : 1.0) * kv_bytes,
                                  TimeCategory::kContextParallel, kContextParallel,
                                  block == 0 ? deps : std::vector<TaskId>{});
    }
    if (arrived != kNoTask) emit_.defer(arrived, 0);
    fused_core(rank, name + " block " + std::to_string(block), factor, s_.cp);
    arrived = exchange;
  }
  if (backward) {
    // The last block's key and value gradients go back to the ranks that own those chunks.
    emit_.defer(emit_.collective(rank, group, CollectiveOp::kSendRecv, kv_bytes,
                                 TimeCategory::kContextParallel, kContextParallel, {emit_.last_compute()}),
                0);
  }
}

// Megatron-LM's unfused path: batched GEMMs Q K^T (s x s x d) and P V (s x d x s) over b a/t heads, the fused
// scale-mask-softmax (read scores, write probabilities, 2-byte), dropout (read, write, 1-byte mask) for
// models trained with dropout; backward: the GEMMs' data gradients (dV, dP, dQ, dK) and the softmax and
// dropout backward passes. Causal masking does not save the unfused GEMMs any work.
void LayerLowering::unfused_core(int rank, const std::string& name, bool backward) {
  const double d = m_.head_dim;
  const double s = static_cast<double>(t_.seq_len);
  const double batch = static_cast<double>(m_.heads) / s_.tp * static_cast<double>(s_.micro_batch);
  const double scores = batch * s * s;  // elements
  const bool dropout = m_.trained_with_dropout();
  const auto bmm = [&](const char* what, double m, double n, double k) {
    emit_.gemm(sixteen_bit(), rank, name + " " + what, m, n, k, {}, batch);
  };
  if (!backward) {
    bmm("QK^T", s, s, d);
    emit_.memory_bound(rank, name + " softmax", 4.0 * scores);
    if (dropout) emit_.memory_bound(rank, name + " dropout", 5.0 * scores);
    bmm("PV", s, d, s);
    return;
  }
  bmm("dV", s, d, s);
  bmm("dP", s, s, d);
  if (dropout) emit_.memory_bound(rank, name + " dropout backward", 5.0 * scores);
  emit_.memory_bound(rank, name + " softmax backward", 6.0 * scores);
  bmm("dQ", s, d, s);
  bmm("dK", s, d, s);
}

void LayerLowering::core(int rank, const LayerGroups& groups, const std::string& name, bool backward) {
  if (t_.attention == AttentionKernel::kUnfused) {
    unfused_core(rank, name, backward);
    return;
  }
  if (s_.cp > 1 && s_.cp_comm == ContextParallelComm::kRing) {
    ring_core(rank, groups.cp, name, backward);
    return;
  }
  const bool ulysses = s_.cp > 1;
  const double in_bytes = tokens_ * (widths_.q + widths_.k + widths_.v) / s_.tp * kActivationBytes;
  const double out_bytes = tokens_ * widths_.o / s_.tp * kActivationBytes;
  if (ulysses)
    emit_.collective(rank, groups.cp, CollectiveOp::kAllToAll, backward ? out_bytes : in_bytes,
                     TimeCategory::kContextParallel, kCompute);
  fused_core(rank, name, backward ? kAttentionBackwardFactor : 1.0, 1);
  if (ulysses)
    emit_.collective(rank, groups.cp, CollectiveOp::kAllToAll, backward ? in_bytes : out_bytes,
                     TimeCategory::kContextParallel, kCompute);
}

void LayerLowering::dense_mlp_forward(int rank, int group, const std::string& name, double ffn) {
  const double ffn_out = mlp_input_width(ffn);
  gathered_linear(rank, group, name + " up", ffn_out / s_.tp, m_.hidden);
  emit_.memory_bound(rank, name + " activation", activation_bytes(tokens_, ffn / s_.tp));
  scattered_linear(rank, group, name + " down", m_.hidden, ffn / s_.tp);
}

void LayerLowering::dense_mlp_backward(int rank, int group, const std::string& name, double ffn,
                                       LayerWeightGradients* held) {
  const double ffn_out = mlp_input_width(ffn);
  gathered_gradients(rank, group, name + " down", m_.hidden, ffn / s_.tp, held);
  emit_.memory_bound(rank, name + " activation backward", activation_backward_bytes(tokens_, ffn / s_.tp));
  scattered_gradients(rank, group, name + " up", ffn_out / s_.tp, m_.hidden, held);
}

// Into the experts: all-to-all over EP, then all-gather over expert TP; out of them the reverse, a
// reduce-scatter then an all-to-all. Backward runs the same exchanges in reverse order.
void LayerLowering::expert_exchange(int rank, const LayerGroups& groups, bool into_experts) {
  const double bytes = expert_work().permuted_bytes * s_.expert_load_imbalance();  // the busiest rank's share
  const bool gather = s_.expert_tp > 1;
  if (into_experts && s_.ep > 1)
    emit_.collective(rank, groups.ep, CollectiveOp::kAllToAll, bytes, TimeCategory::kExpertParallel,
                     kCompute);
  if (gather) {
    emit_.collective(rank, groups.expert_tp,
                     into_experts ? CollectiveOp::kAllGather : CollectiveOp::kReduceScatter,
                     bytes * s_.expert_tp, TimeCategory::kExpertParallel, kCompute);
  }
  if (!into_experts && s_.ep > 1)
    emit_.collective(rank, groups.ep, CollectiveOp::kAllToAll, bytes, TimeCategory::kExpertParallel,
                     kCompute);
}

double LayerLowering::mlp_input_width(double ffn) const {
  return (m_.activation == MlpActivation::kSwiGlu ? 2.0 : 1.0) * ffn;  // SwiGLU: gate and up side by side
}

LayerLowering::ExpertWork LayerLowering::expert_work() const {
  const MoeConfig& moe = m_.moe;
  ExpertWork work;
  work.tokens = tokens_ / s_.tp;  // sequence-parallel shard (required with tp > 1)
  work.permuted_bytes = work.tokens * moe.experts_per_token * m_.hidden * kActivationBytes;
  work.rows = work.tokens * moe.experts_per_token * s_.expert_load_imbalance() * s_.expert_tp;
  work.local_experts = static_cast<double>(moe.experts) / s_.ep;
  work.rows_per_expert = std::max(1.0, std::ceil(work.rows / work.local_experts));
  work.ffn = static_cast<double>(moe.expert_ffn_hidden) / s_.expert_tp;
  work.up_width = mlp_input_width(work.ffn);
  return work;
}

void LayerLowering::moe_forward(int rank, const LayerGroups& groups) {
  const MoeConfig& moe = m_.moe;
  const ExpertWork w = expert_work();
  emit_.gemm(sixteen_bit(), rank, "router", w.tokens, moe.experts, m_.hidden);
  emit_.memory_bound(rank, "router top-k",
                     3.0 * 4.0 * w.tokens * moe.experts);  // fp32 logits: softmax, top-k
  emit_.memory_bound(rank, "permute", 2.0 * w.permuted_bytes);
  expert_exchange(rank, groups, true);
  linear(rank, "experts up", w.rows_per_expert, w.up_width, m_.hidden, {}, w.local_experts);
  emit_.memory_bound(rank, "experts activation", activation_bytes(w.rows, w.ffn));
  linear(rank, "experts down", w.rows_per_expert, m_.hidden, w.ffn, {}, w.local_experts);
  expert_exchange(rank, groups, false);
  emit_.memory_bound(rank, "unpermute", 2.0 * w.permuted_bytes);
  if (moe.shared_ffn_hidden > 0) dense_mlp_forward(rank, groups.tp, "shared experts", moe.shared_ffn_hidden);
}

void LayerLowering::moe_backward(int rank, const LayerGroups& groups, LayerWeightGradients* held) {
  const MoeConfig& moe = m_.moe;
  if (moe.shared_ffn_hidden > 0)
    dense_mlp_backward(rank, groups.tp, "shared experts", moe.shared_ffn_hidden, held);
  const ExpertWork w = expert_work();
  emit_.memory_bound(rank, "unpermute backward", 2.0 * w.permuted_bytes);
  expert_exchange(rank, groups, true);
  gradients(rank, "experts down", w.rows_per_expert, m_.hidden, w.ffn, held, t_.dtype, w.local_experts);
  emit_.memory_bound(rank, "experts activation backward", activation_backward_bytes(w.rows, w.ffn));
  gradients(rank, "experts up", w.rows_per_expert, w.up_width, m_.hidden, held, t_.dtype, w.local_experts);
  expert_exchange(rank, groups, false);
  emit_.memory_bound(rank, "permute backward", 2.0 * w.permuted_bytes);
  gradients(rank, "router", w.tokens, moe.experts, m_.hidden, held, sixteen_bit());
}

TaskId LayerLowering::forward(int rank, const LayerGroups& groups, int layer, std::vector<TaskId> deps) {
  const TaskId first = emit_.memory_bound(rank, "norm", norm_bytes(), std::move(deps));
  projections_forward(rank, groups.tp);
  if (rope_bytes() > 0) emit_.memory_bound(rank, "rope", rope_bytes());
  core(rank, groups, "attention", false);
  scattered_linear(rank, groups.tp, "attention out", m_.hidden, widths_.o / s_.tp);
  emit_.memory_bound(rank, "residual+norm", residual_bytes() + norm_bytes());
  if (m_.is_moe_layer(layer))
    moe_forward(rank, groups);
  else
    dense_mlp_forward(rank, groups.tp, "mlp", m_.ffn_hidden);
  emit_.memory_bound(rank, "residual", residual_bytes());
  return first;
}

std::pair<TaskId, TaskId> LayerLowering::backward(int rank, const LayerGroups& groups, int layer,
                                                  std::vector<TaskId> deps, LayerWeightGradients* held) {
  const TaskId first = emit_.memory_bound(rank, "layer backward start", 0.0, std::move(deps));
  if (s_.recompute == Recompute::kFull) forward(rank, groups, layer, {});
  if (dropout()) emit_.memory_bound(rank, "dropout backward", dropout_backward_bytes());
  if (m_.is_moe_layer(layer))
    moe_backward(rank, groups, held);
  else
    dense_mlp_backward(rank, groups.tp, "mlp", m_.ffn_hidden, held);
  emit_.memory_bound(rank, "norm backward", norm_backward_bytes());
  if (dropout()) emit_.memory_bound(rank, "dropout backward", dropout_backward_bytes());
  gathered_gradients(rank, groups.tp, "attention out", m_.hidden, widths_.o / s_.tp, held);
  if (s_.recompute == Recompute::kSelective) core(rank, groups, "attention recompute", false);
  core(rank, groups, "attention backward", true);
  if (rope_bytes() > 0) emit_.memory_bound(rank, "rope backward", rope_bytes());
  projections_backward(rank, groups.tp, held);
  const TaskId last = emit_.memory_bound(rank, "norm backward", norm_backward_bytes());
  return {first, last};
}

}  // namespace strata::models
