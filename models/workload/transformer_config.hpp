// A decoder-only transformer, described with HuggingFace config vocabulary, and what follows from its shape
// alone: parameter counts and model FLOPs. Covers GPT-2/3 (learned positions, LayerNorm, GELU MLP, biases),
// Llama (RoPE, GQA, RMSNorm, SwiGLU, no biases), Mixtral-style MoE (top-k routed experts), Qwen-MoE (shared
// experts, fine-grained experts, dense layers by position) and DeepSeek-V3 (first dense layers, shared
// expert, MLA attention).
//
// FLOP convention (the one the reference publications use, shared/reference/README.md): a multiply-add is 2
// FLOPs; attention scores and the attention-weighted sum are counted over the full s x s matrix (no causal
// halving); model FLOPs of a training step are 3 x forward (backward = 2 x forward), without recompute.
// For a GPT with ffn = 4h this gives exactly 72 B s l h^2 (1 + s/(6h) + V/(12 l h)) (Korthikanti et al.
// 2022).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::models {

enum class Family { kGpt, kLlama, kMoe, kMpt };  // kMpt: MosaicML's MPT (GELU, LayerNorm, ALiBi)
enum class MlpActivation { kGelu, kSwiGlu };     // GELU: up + down; SwiGLU: gate + up + down
enum class NormKind { kLayerNorm, kRmsNorm };    // LayerNorm has a bias (2h parameters), RMSNorm not (h)

// Multi-head latent attention (DeepSeek-V2/V3): low-rank queries and a compressed key-value cache.
struct MlaConfig {
  int q_lora_rank = 0;  // 0: queries projected directly from h
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
};

struct MoeConfig {
  int experts = 0;                  // routed experts (0: a dense model)
  int experts_per_token = 0;        // top-k
  int expert_ffn_hidden = 0;        // intermediate size of one routed expert
  int shared_experts = 0;           // always-active experts (DeepSeek: n_shared_experts)
  int shared_ffn_hidden = 0;        // intermediate size of all shared experts together
  int first_dense_layers = 0;       // leading layers with a dense MLP (DeepSeek first_k_dense_replace)
  int moe_layer_interval = 1;       // every n-th layer is MoE (Qwen decoder_sparse_step)
  std::vector<int> dense_layers;    // explicit dense layer indices (Qwen mlp_only_layers)
  bool shared_expert_gate = false;  // Qwen2-MoE: a sigmoid gate (h parameters) on the shared expert
};

struct TransformerConfig {
  std::string name;
  std::string architecture;  // HuggingFace class name, e.g. "LlamaForCausalLM"
  Family family = Family::kGpt;
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;  // hidden / heads unless the config says otherwise
  int ffn_hidden = 0;
  int vocab = 0;
  int max_positions = 0;
  bool learned_positions = false;  // GPT: a position embedding table of max_positions x h
  bool alibi = false;              // MPT: ALiBi biases inside the attention kernel, no rotary embedding
  bool tied_embeddings = false;
  bool linear_biases = false;  // GPT: biases on every linear layer
  bool qkv_bias = false;       // Qwen2: biases on the query, key and value projections only
  MlpActivation activation = MlpActivation::kGelu;
  NormKind norm = NormKind::kLayerNorm;
  MoeConfig moe;
  MlaConfig mla;
  bool uses_mla() const { return mla.kv_lora_rank > 0; }
  bool dropout = false;  // the config asks for dropout (MPT: resid_pdrop, emb_pdrop or attn_pdrop above 0)
  // GPT-era recipes (GPT-2/3, Megatron-LM's GPT defaults) train with dropout; Llama-era recipes do not.
  bool trained_with_dropout() const { return family == Family::kGpt || dropout; }
  // Rotary embeddings: every model without learned positions or ALiBi.
  bool uses_rotary() const { return !learned_positions && !alibi; }
  bool is_moe_layer(int layer) const;
};

// Parameters, split where the parallel strategies need them apart.
struct ParameterCounts {
  double total = 0;      // everything, every expert
  double active = 0;     // what one token uses: the top-k routed experts only
  double embedding = 0;  // token (and position) embeddings
  double lm_head = 0;    // 0 when tied to the embedding
  double attention = 0;  // all layers
  double mlp = 0;        // all layers, dense MLPs and every expert
  double norms = 0;
};

// One operator of a layer, per token: parameters it owns and forward FLOPs it spends on one token (attention
// core: on one token attending to `seq_len` keys).
struct OperatorSummary {
  std::string name;
  double parameters = 0;
  double forward_flops_per_token = 0;
};
std::vector<OperatorSummary> layer_operators(const TransformerConfig& config, int layer,
                                             std::int64_t seq_len);

// Throws sim::InputError naming `source` and the field when the shape is impossible (non-positive sizes,
// heads not divisible by kv_heads, top-k above the expert count, ...).
void validate(const TransformerConfig& config, const std::string& source);

ParameterCounts count_parameters(const TransformerConfig& config);

// One weight tensor of a layer: its parameters, and whether it belongs to a routed expert.
struct WeightTensor {
  double parameters = 0;
  bool expert = false;
};
// The layer's weight tensors as Megatron lays them out (a framework that moves parameters one tensor at a
// time moves these): each norm's weight (and LayerNorm's bias); the fused q/k/v projection and its bias, the
// output projection and its bias (MLA: q, kv compression and expansion, their norms, o); the MLP's fused
// up (and gate) projection, its down projection, their biases; for MoE the router, each routed expert's two
// matrices, the shared experts' two and their gate. They sum to the layer's parameters.
std::vector<WeightTensor> layer_weight_tensors(const TransformerConfig& config, int layer);
// Forward FLOPs of one sequence of `seq_len` tokens (matmuls, attention over the full s x s, logits).
double forward_flops(const TransformerConfig& config, std::int64_t seq_len);
// Model FLOPs of a training step: 3 x forward x sequences.
double model_flops_per_step(const TransformerConfig& config, std::int64_t sequences, std::int64_t seq_len);

}  // namespace strata::models
