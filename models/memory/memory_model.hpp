// Per-GPU training memory: model states (parameters, gradients, optimizer) by ZeRO stage and activations by
// recompute mode, sequence/tensor/context parallelism and pipeline schedule.
//
// Model states (Rajbhandari et al., "ZeRO", SC20, section 3.1): mixed-precision Adam keeps 2 bytes of 16-bit
// weights, G bytes of gradients and 12 bytes of fp32 master weights, momentum and variance per parameter.
// G = 2 (DeepSpeed/ZeRO convention) or 4 (Megatron-LM accumulates gradients in fp32: 2 + 4 + 12 = 18 bytes).
// ZeRO-1 shards the 12 optimizer bytes over data-parallel ranks, ZeRO-2 also the gradients, ZeRO-3 also the
// weights.
//
// Activations (Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models", 2022,
// section 4), derived tensor by tensor so that GQA, SwiGLU, models without dropout and fused (Flash)
// attention follow: for one layer, micro-batch b, sequence s (divided by context parallelism), tensor
// parallelism t, 2-byte activations:
//   attention: QKV input 2sbh*, Q 2sb(a d)/t, K and V 2sb(kv d)/t each, output-projection input 2sb(a d)/t,
//              dropout mask sbh* (if dropout); without fused attention also softmax output 2as^2b/t,
//              its dropout mask as^2b/t and dropout output 2as^2b/t (5as^2b/t); fused attention keeps the
//              softmax statistics 4asb/t instead;
//   MLP:       input 2sbh*, GELU input and output 2sb f/t each (SwiGLU: gate, up, activation and product,
//              2sb f/t each), dropout mask sbh* (if dropout);
//   norms:     inputs of the two norms, 2sbh* each.
// Terms marked * are replicated over the tensor-parallel group unless sequence parallelism shards them (/t).
// Selective recompute drops the s^2 terms; full recompute keeps only the layer input, 2sbh* per layer. With
// FP8 linear inputs (fp8_linear_inputs) the QKV input, the output-projection input, the MLP input and the
// MLP-down input (GELU output, SwiGLU product) are 1 byte each.
// For GPT (a d = h, ffn 4h, dropout, no fused attention) this is Korthikanti's sbh(10 + 24/t + 5as/(ht)).
// A pipeline stage holds `in_flight` micro-batches of its layers: p for 1F1B's first stage (GPipe: all m);
// Megatron's interleaved schedule adds (p-1)/(p v) (Korthikanti et al., eq. 5 and its discussion).
#pragma once

#include <cstdint>

#include "models/workload/transformer_config.hpp"
#include "sim/name_table.hpp"
#include "sim/units.hpp"

namespace strata::models {

enum class Recompute { kNone, kSelective, kFull };
inline constexpr sim::NameTable<Recompute, 3> kRecomputeNames{
    {{{Recompute::kNone, "none"}, {Recompute::kSelective, "selective"}, {Recompute::kFull, "full"}}}};

struct ActivationInputs {
  std::int64_t seq_len = 0;
  std::int64_t micro_batch = 1;
  int tp = 1;
  int cp = 1;
  bool sequence_parallel = false;
  Recompute recompute = Recompute::kNone;
  bool fused_attention = true;  // FlashAttention-style kernels: no s x s tensors kept
  bool dropout = false;         // GPT-era training used dropout; Llama-era does not
  // FP8 training with Transformer Engine: a linear layer keeps its input for the weight-gradient GEMM as the
  // FP8 tensor it already cast (1 byte; transformer_engine/pytorch/module/linear.py, _Linear.forward saves
  // the FP8 inputmat unless wgrad runs in higher precision). Halves the q/k/v/o-projection, MLP-up and
  // MLP-down inputs; attention's q, k, v and the norms' inputs stay 2 bytes.
  bool fp8_linear_inputs = false;
};

// Activation bytes one layer keeps for one micro-batch until its backward pass.
double layer_activation_bytes(const TransformerConfig& model, int layer, const ActivationInputs& inputs);

// What the loss keeps for its backward on the last pipeline stage: the fp32 softmax over this rank's
// vocabulary shard, 4 s b V / t bytes (Megatron-Core's vocab-parallel cross entropy saves it; Korthikanti et
// al. 2022, sec. 4.2, count the same 4sbv/t for the output layer).
double output_activation_bytes(const TransformerConfig& model, const ActivationInputs& inputs);

// In-flight micro-batches on the first pipeline stage: min(p, m) for 1F1B, m for GPipe, times
// 1 + (p-1)/(p v) for the interleaved schedule (v virtual stages).
double in_flight_microbatches(int pp, int vpp, std::int64_t microbatches, bool gpipe);

struct ModelStateInputs {
  double parameters_on_gpu = 0;  // after tensor, pipeline and expert sharding
  int dp = 1;
  int zero_stage = 0;      // 0..3
  int gradient_bytes = 2;  // 2 (DeepSpeed) or 4 (Megatron fp32 gradient buffers)
};

struct ModelStateBytes {
  double weights = 0;
  double gradients = 0;
  double optimizer = 0;
  double total() const { return weights + gradients + optimizer; }
};

ModelStateBytes model_state_bytes(const ModelStateInputs& inputs);

}  // namespace strata::models
