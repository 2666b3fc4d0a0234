// One transformer layer of one rank, forward and backward, as execution-graph tasks (training_lowering.hpp
// describes the step around it).
//
// Forward: norm; attention projections (q, k, v; for MLA the duplicated down-projections and TP-sharded
// up-projections, Megatron-Core's MLASelfAttention); the attention core; output projection; the TP
// collective; residual and norm; the MLP (dense) or the MoE block; the TP collective.
//  - TP (Shoeybi et al. 2019): column/row-parallel GEMMs, one all-reduce after attention and after the MLP,
//    or with sequence parallelism (Korthikanti et al. 2022) a reduce-scatter after and an all-gather before.
//    With tp_overlap, Transformer Engine's userbuffers (default configuration): ring-exchange GEMMs in tp
//    chunks after each all-gather, 4 pipelined chunks before each reduce-scatter, and in backward "bulk"
//    overlaps of the saved input's all-gather and the input gradient's reduce-scatter with the data- and
//    weight-gradient GEMMs; pipeline and bulk kernels take 16 SMs from the GEMM beside them.
//  - Attention core: one fused kernel (FlashAttention-2, Dao 2023: backward 2.5x forward FLOPs; causal
//    attention executes half of the s x s FLOPs) or Megatron-LM's unfused batched GEMMs and softmax.
//  - CP with ring attention (Megatron-Core / Transformer Engine "p2p"): each rank holds b s / cp tokens and
//    runs its attention in cp blocks, one per key-value chunk; while block j runs, the chunk for block j + 1
//    travels one step around the CP ring (a send-recv on the cp stream). Backward exchanges keys, values and
//    their gradients (twice the bytes) and returns the last gradients home after the last block.
//  - CP with Ulysses (Jacobs et al. 2023): an all-to-all of q, k, v before the core and of its output after
//    (reversed in backward), blocking the compute stream as DeepSpeed runs them.
//  - MoE (Megatron-Core's all-to-all token dispatcher): router GEMM and top-k softmax on the rank's b s /
//    (cp tp) tokens, permute, all-to-all over the EP group, all-gather over expert TP, the local experts as
//    grouped GEMMs (batch = experts per rank), reduce-scatter, all-to-all back, unpermute; shared experts as
//    a TP-sharded dense MLP. With load imbalance f (max/mean tokens per expert) every rank is charged the
//    busiest rank's f x tokens in its expert GEMMs and all-to-alls, since the combine makes all wait for it.
// Between the GEMMs, memory-bound kernels at HBM speed: norms, rotary embeddings (models without learned
// positions), Megatron-Core's bias-dropout-add after each sublayer (a 1-byte mask with dropout), the MLP
// activation, and their backward passes with the residual stream's gradient accumulation.
// Under FP8 each layer GEMM's 16-bit input (forward) and output gradient (backward) is first cast to FP8
// with its transpose (Transformer Engine's cast-transpose: read 2 bytes, write 1 + 1 per element).
// Backward runs, for every forward GEMM (m x n x k), a data-gradient GEMM (m x k x n) and a weight-gradient
// GEMM (k x n x m), in reverse order; full recompute reruns the layer's forward first, selective recompute
// the attention core. ZB-H1 holds the weight-gradient GEMMs back for a later W pass.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "models/strategy/parallel_strategy.hpp"
#include "models/strategy/task_emitter.hpp"

namespace strata::models {

// The communicator groups (ExecutionGraph::groups indices) a rank's layers use; -1 where unused.
struct LayerGroups {
  int tp = -1;
  int cp = -1;
  int ep = -1;
  int expert_tp = -1;
};

// A weight-gradient GEMM held back from a layer's backward (ZB-H1).
struct WeightGradient {
  std::string name;
  Dtype dtype = Dtype::kBf16;
  double m = 0, n = 0, k = 0, batch = 1;
};
using LayerWeightGradients = std::vector<WeightGradient>;

class LayerLowering {
 public:
  LayerLowering(const TransformerConfig& model, const TrainingSpec& training,
                const ParallelStrategy& strategy, TaskEmitter& emit);

  // Tokens of one micro-batch on one rank before sequence-parallel sharding: b s / cp.
  double tokens() const { return tokens_; }
  // The dtype of GEMMs that stay 16-bit under FP8 training (the LM head, the unfused attention core, the
  // router: Transformer Engine's fp8 autocast covers the layers' Linear modules only).
  Dtype sixteen_bit() const { return t_.dtype == Dtype::kFp8 ? Dtype::kBf16 : t_.dtype; }

  // Returns the layer's first task, which starts after `deps`.
  TaskId forward(int rank, const LayerGroups& groups, int layer, std::vector<TaskId> deps);
  // Returns {first, last} task. With `held`, the weight-gradient GEMMs are appended there instead of run.
  std::pair<TaskId, TaskId> backward(int rank, const LayerGroups& groups, int layer, std::vector<TaskId> deps,
                                     LayerWeightGradients* held = nullptr);
  // ZB-H1's W pass for one layer: runs the held GEMMs; returns the last task.
  TaskId weight_gradients(int rank, const LayerWeightGradients& held, std::vector<TaskId> deps);

 private:
  // The MoE block's sizes on this rank (layer_lowering.hpp, MoE).
  struct ExpertWork {
    double tokens;           // routed by this rank: b s / (cp tp)
    double permuted_bytes;   // its top-k copies of the hidden state
    double rows;             // token rows the busiest rank's local experts process (imbalance, expert TP)
    double local_experts;    // experts / ep
    double rows_per_expert;  // at least 1
    double ffn;              // one expert's intermediate size over expert TP
    double up_width;         // its up-projection's output width (mlp_input_width)
  };
  ExpertWork expert_work() const;
  // The up-projection's output width for an intermediate size: doubled for SwiGLU's gate.
  double mlp_input_width(double ffn) const;

  struct AttentionWidths {
    double q, k, v, o;  // total over all heads, before TP sharding
    double qk_head, v_head;
  };

  void tp_exit(int rank, int group);
  void tp_entry(int rank, int group);
  // TP layers with their collectives: through Transformer Engine's userbuffers under tp_overlap
  // (userbuffers()), else GEMMs with tp_entry / tp_exit (layer_lowering.cpp).
  bool userbuffers() const;
  double tp_activation_bytes(bool fp8_buffer) const;
  TaskId gathered_gemm(int rank, int group, const std::string& name, Dtype dtype, double n, double k);
  void gathered_linear(int rank, int group, const std::string& name, double n, double k);
  void scattered_linear(int rank, int group, const std::string& name, double n, double k);
  void gathered_gradients(int rank, int group, const std::string& name, double n, double k,
                          LayerWeightGradients* held);
  void scattered_gradients(int rank, int group, const std::string& name, double n, double k,
                           LayerWeightGradients* held);
  // Memory-bound kernels between the GEMMs, in bytes (layer_lowering.cpp states what each reads and writes).
  double hidden_elements() const;  // one rank's b s h / cp elements, over tp with sequence parallelism
  bool dropout() const { return m_.trained_with_dropout(); }
  double norm_bytes() const;
  double norm_backward_bytes() const;
  double residual_bytes() const;
  double dropout_backward_bytes() const;
  double rope_bytes() const;
  double activation_bytes(double rows, double ffn) const;
  double activation_backward_bytes(double rows, double ffn) const;
  void fp8_cast(int rank, const std::string& name, double elements);
  TaskId linear(int rank, const std::string& name, double m, double n, double k,
                std::vector<TaskId> deps = {}, double batch = 1);
  void gradients(int rank, const std::string& name, double m, double n, double k, LayerWeightGradients* held,
                 Dtype dtype, double batch = 1);
  void weight_gradient(int rank, const std::string& name, Dtype dtype, double m, double n, double k,
                       LayerWeightGradients* held, double batch = 1, std::vector<TaskId> deps = {},
                       int reserved_sms = 0);

  void projections_forward(int rank, int group);
  void projections_backward(int rank, int group, LayerWeightGradients* held);
  void core(int rank, const LayerGroups& groups, const std::string& name, bool backward);
  void fused_core(int rank, const std::string& name, double factor, int blocks);
  void ring_core(int rank, int group, const std::string& name, bool backward);
  void unfused_core(int rank, const std::string& name, bool backward);
  void dense_mlp_forward(int rank, int group, const std::string& name, double ffn);
  void dense_mlp_backward(int rank, int group, const std::string& name, double ffn,
                          LayerWeightGradients* held);
  void moe_forward(int rank, const LayerGroups& groups);
  void moe_backward(int rank, const LayerGroups& groups, LayerWeightGradients* held);
  void expert_exchange(int rank, const LayerGroups& groups, bool into_experts);

  const TransformerConfig& m_;
  const TrainingSpec& t_;
  const ParallelStrategy& s_;
  TaskEmitter& emit_;
  double tokens_;
  AttentionWidths widths_;
};

}  // namespace strata::models
