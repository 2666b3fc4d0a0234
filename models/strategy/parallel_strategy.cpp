#include "models/strategy/parallel_strategy.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "models/strategy/pipeline_schedule.hpp"
#include "sim/error.hpp"

namespace strata::models {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& detail) {
  throw sim::InputError("", "/" + field, detail);
}

std::string str(std::int64_t value) { return std::to_string(value); }

// Megatron-Core splits the sequence into 2 x cp chunks, rank i holding chunks i and 2cp - 1 - i, so that
// causal attention costs every rank the same; Ulysses moves heads, which must divide over tp x cp.
void validate_context_parallel(const TransformerConfig& model, const TrainingSpec& training,
                               const ParallelStrategy& s) {
  if (s.cp == 1) return;
  if (training.seq_len % (2 * s.cp) != 0) {
    bad("cp", "the sequence (" + str(training.seq_len) +
                  " tokens) does not split into 2 x cp = " + str(2 * s.cp) + " equal chunks");
  }
  if (s.cp_comm == ContextParallelComm::kUlysses) {
    const int heads = model.heads / s.tp;
    const int kv_heads = model.uses_mla() ? heads : std::max(1, model.kv_heads / s.tp);
    if (heads % s.cp != 0 || kv_heads % s.cp != 0) {
      bad("cp", "Ulysses needs the " + str(heads) + " query and " + str(kv_heads) +
                    " key-value heads per TP rank to divide by cp = " + str(s.cp));
    }
  }
}

void validate_experts(const TransformerConfig& model, const ParallelStrategy& s) {
  if (s.expert_tp < 1) bad("expert_tp", "must be at least 1, got " + str(s.expert_tp));
  if (!(s.moe_imbalance >= 1.0 && s.moe_imbalance <= 1000.0))
    bad("moe_imbalance", "max/mean tokens per expert must be in [1, 1000]");
  if (model.moe.experts == 0) {
    if (s.ep > 1 || s.expert_tp > 1)
      bad(s.ep > 1 ? "ep" : "expert_tp",
          "expert parallelism needs an MoE model; " + model.name + " is dense");
    return;
  }
  if (model.moe.experts % s.ep != 0)
    bad("ep", str(s.ep) + " does not divide the " + str(model.moe.experts) + " experts");
  if (s.stage_ranks() % (s.ep * s.expert_tp) != 0) {
    bad("ep", "ep x expert_tp = " + str(s.ep * s.expert_tp) + " must divide the tp x cp x dp = " +
                  str(s.stage_ranks()) + " ranks of a pipeline stage it is folded over");
  }
  if (model.moe.expert_ffn_hidden % s.expert_tp != 0) {
    bad("expert_tp", str(s.expert_tp) + " does not divide the experts' intermediate size " +
                         str(model.moe.expert_ffn_hidden));
  }
  if (s.tp > 1 && !s.sequence_parallel)
    bad("sequence_parallel", "MoE layers with tp > 1 need sequence parallelism (as Megatron-Core requires)");
}

// Options that would change nothing in this configuration are refused with the reason (DESIGN.md, "Bad
// input"), never silently ignored.
void validate_effects(const TransformerConfig& model, const ParallelStrategy& s) {
  if (model.moe.experts == 0 && s.moe_imbalance != 1.0) {
    bad("moe_imbalance", "has no effect: " + model.name + " is dense (no routed experts)");
  }
  if (s.fssdp) {
    if (model.moe.experts == 0)
      bad("fssdp", "has no effect: " + model.name + " is dense (no routed experts)");
    if (s.expert_dp() == 1) {
      bad("fssdp", "has no effect: ep x expert_tp = " + str(s.ep * s.expert_tp) +
                       " already spreads each expert over its own ranks; FSSDP shards over the other ranks "
                       "of the stage");
    }
    if (s.moe_imbalance != 1.0) {
      bad("moe_imbalance",
          "has no effect with fssdp: its placement follows the step's expert loads (Hecate), so the "
          "busiest expert does not set the pace");
    }
    if (s.offload != MemoryTier::kHbm) bad("fssdp", "fssdp with offload is not modelled");
  }
  if (s.sequence_parallel && s.tp == 1)
    bad("sequence_parallel", "has no effect with tp 1: it shards activations over TP ranks");
  if (s.cp_comm != ContextParallelComm::kRing && s.cp == 1) bad("cp_comm", "has no effect with cp 1");
  const bool default_bucket =
      s.dp_bucket_bytes == ParallelStrategy::kDefaultBucketElements * s.gradient_bytes;
  if (!reduces_gradients(model, s)) {
    const std::string none = "has no effect: with dp x cp = " + str(s.dp * s.cp) +
                             (model.moe.experts > 0 ? " and one rank per expert group" : "") +
                             " no gradients are reduced";
    if (s.zero > 0)
      bad("zero",
          "ZeRO shards over the data-parallel ranks; " + none.substr(std::string("has no effect: ").size()));
    if (!s.dp_overlap) bad("dp_overlap", none);
    if (!default_bucket) bad("dp_bucket", none);
    return;
  }
  if (!s.dp_overlap && s.zero >= 3) {
    bad("dp_overlap",
        "false has no effect with ZeRO-3: its all-gathers and reduce-scatters run per layer as the passes "
        "reach it");
  }
  if (!default_bucket && s.zero < 3) {
    // Buckets hold whole layers (training_lowering.cpp): any bucket up to the smallest layer's gradients
    // reduces one layer at a time, the same as a bucket of exactly that size.
    double smallest = -1;
    for (int layer = 0; layer < model.layers; ++layer) {
      const LayerParameters p = layer_parameters(model, layer);
      const double bytes = (p.dense / s.tp + p.expert / (s.ep * s.expert_tp)) * s.gradient_bytes;
      if (smallest < 0 || bytes < smallest) smallest = bytes;
    }
    if (static_cast<double>(s.dp_bucket_bytes) < smallest) {
      bad("dp_bucket", str(s.dp_bucket_bytes) + " bytes is below one layer's gradients on a GPU (" +
                           str(static_cast<std::int64_t>(smallest)) +
                           " bytes): buckets hold whole layers, so any smaller "
                           "bucket reduces the same; use at least that");
    }
  }
}

}  // namespace

bool reduces_gradients(const TransformerConfig& model, const ParallelStrategy& s) {
  return s.dp * s.cp > 1 || (model.moe.experts > 0 && s.expert_dp() > 1);
}

std::vector<int> split_layers(int layers, int pp, const std::vector<int>& stage_layers) {
  if (!stage_layers.empty()) return stage_layers;
  std::vector<int> split(static_cast<std::size_t>(pp), layers / pp);
  // The remainder goes to the stages nearest the middle: the first and last stages also carry the embedding
  // and the LM head (Llama 3 405B: 126 layers on 16 stages; BLOOM: 70 on 12).
  std::vector<int> order(static_cast<std::size_t>(pp));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [pp](int a, int b) { return std::abs(2 * a - (pp - 1)) < std::abs(2 * b - (pp - 1)); });
  for (int i = 0; i < layers % pp; ++i) ++split[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])];
  return split;
}

int default_gradient_bytes(Dtype training_dtype) { return training_dtype == Dtype::kFp16 ? 2 : 4; }

void validate_strategy(const TransformerConfig& model, const TrainingSpec& training,
                       const ParallelStrategy& s, int gpus) {
  for (const auto& [value, field] :
       {std::pair{s.tp, "tp"}, {s.pp, "pp"}, {s.dp, "dp"}, {s.cp, "cp"}, {s.ep, "ep"}, {s.vpp, "vpp"}}) {
    if (value < 1) bad(field, "must be at least 1, got " + std::to_string(value));
  }
  if (s.micro_batch < 1) bad("micro_batch", "must be at least 1");
  if (training.seq_len < 1) bad("seq_len", "must be at least 1");
  if (model.heads % s.tp != 0) {
    bad("tp",
        std::to_string(s.tp) + " does not divide the " + std::to_string(model.heads) + " attention heads");
  }
  if (!model.uses_mla() && model.kv_heads % s.tp != 0 && s.tp % model.kv_heads != 0) {
    bad("tp", std::to_string(s.tp) + " and the " + std::to_string(model.kv_heads) +
                  " key-value heads do not divide each other");
  }
  if (s.world_size() != gpus) {
    bad("dp", "tp x pp x cp x dp = " + std::to_string(s.tp) + " x " + std::to_string(s.pp) + " x " +
                  std::to_string(s.cp) + " x " + std::to_string(s.dp) + " = " +
                  std::to_string(s.world_size()) + ", but the cluster has " + std::to_string(gpus) + " GPUs");
  }
  if (training.global_batch < 1 || training.global_batch % (s.micro_batch * s.dp) != 0) {
    bad("micro_batch",
        "global batch " + std::to_string(training.global_batch) +
            " is not a multiple of micro_batch x dp = " + std::to_string(s.micro_batch * s.dp));
  }
  const int stages = virtual_stages(s);
  if (stages > model.layers) {
    bad(s.vpp > 1 ? "vpp" : "pp", std::to_string(stages) + (stages > s.pp ? " virtual" : "") +
                                      " stages for " + std::to_string(model.layers) + " layers");
  }
  if (s.tp_overlap && !s.sequence_parallel)
    bad("tp_overlap", "TP communication overlap needs sequence_parallel");
  validate_schedule(s, s.microbatches(training), bad);
  if (!s.stage_layers.empty()) {
    if (static_cast<int>(s.stage_layers.size()) != stages)
      bad("stage_layers", "needs one entry per (virtual) pipeline stage");
    if (std::accumulate(s.stage_layers.begin(), s.stage_layers.end(), 0) != model.layers) {
      bad("stage_layers", "must sum to the model's " + std::to_string(model.layers) + " layers");
    }
    for (int layers : s.stage_layers) {
      if (layers < 0) bad("stage_layers", "entries must not be negative");
    }
  }
  validate_context_parallel(model, training, s);
  validate_experts(model, s);
  for (std::size_t i = static_cast<std::size_t>(s.placement.named); i < s.placement.order.size(); ++i) {
    const PlacementAxis axis = s.placement.order[i];
    const int degree = s.degree(axis);
    if (degree > 1) {
      bad("placement", "leaves out " + std::string(kPlacementAxisNames.name(axis)) + ", whose degree is " +
                           str(degree) + ": name every axis above 1 (e.g. \"" + RankPlacement{}.text() +
                           "\")");
    }
  }
  if (s.zero < 0 || s.zero > 3) bad("zero", "ZeRO stage must be 0, 1, 2 or 3");
  validate_effects(model, s);
  if (s.dp_shard != 0) {
    if (s.dp_shard < 1 || (s.dp * s.cp) % s.dp_shard != 0) {
      bad("dp_shard",
          str(s.dp_shard) + " does not divide the dp x cp = " + str(s.dp * s.cp) + " data-parallel ranks");
    }
    if (s.zero == 0 && s.dp_shard < s.dp * s.cp)
      bad("dp_shard", "hybrid sharding shards ZeRO states: it needs zero >= 1");
  }
  // DeepSpeed: offload_optimizer to the CPU with ZeRO 1-3, to NVMe with ZeRO-3 only; offload_param with
  // ZeRO-3.
  if (s.offload != MemoryTier::kHbm && s.zero < 1)
    bad("offload", "optimizer offload partitions with ZeRO: it needs zero >= 1");
  if (s.offload == MemoryTier::kNvme && s.zero < 3)
    bad("offload", "NVMe offload (ZeRO-Infinity) needs zero 3");
  if (s.offload_parameters && (s.zero < 3 || s.offload == MemoryTier::kHbm)) {
    bad("offload_parameters", "parameter offload needs zero 3 and an offload tier (cpu or nvme)");
  }
}

LayerParameters layer_parameters(const TransformerConfig& model, int layer) {
  LayerParameters parameters;
  for (const OperatorSummary& op : layer_operators(model, layer, 1)) {
    (op.name.rfind("routed experts", 0) == 0 ? parameters.expert : parameters.dense) += op.parameters;
  }
  return parameters;
}

LayerParameters stage_parameters(const TransformerConfig& model, const ParallelStrategy& s, int stage) {
  const double embedding = static_cast<double>(model.vocab) * model.hidden;
  const std::vector<int> layers = split_layers(model.layers, virtual_stages(s), s.stage_layers);
  LayerParameters total;
  const int last_virtual_stage = virtual_stages(s) - 1;
  for (int chunk = 0; chunk < chunks_per_rank(s); ++chunk) {
    const int virtual_stage = pass_virtual_stage(s, chunk, stage);
    if (virtual_stage == 0) total.dense += embedding;
    if (virtual_stage == last_virtual_stage) total.dense += embedding;  // the LM head
    const int first = std::accumulate(layers.begin(), layers.begin() + virtual_stage, 0);
    for (int layer = first; layer < first + layers[static_cast<std::size_t>(virtual_stage)]; ++layer) {
      const LayerParameters p = layer_parameters(model, layer);
      total.dense += p.dense;
      total.expert += p.expert;
    }
  }
  return {total.dense / s.tp, total.expert / (s.ep * s.expert_tp)};
}

namespace {

// The model states of one GPU of the stage: dense and expert parts, each sharded over its own group.
ModelStateBytes stage_states(const TransformerConfig& model, const ParallelStrategy& s, int stage) {
  const LayerParameters p = stage_parameters(model, s, stage);
  const ModelStateBytes dense = model_state_bytes({p.dense, s.zero_shard(), s.zero, s.gradient_bytes});
  // FSSDP shards every expert state over the stage's ranks: ZeRO-3 over the expert-data-parallel ranks.
  const ModelStateBytes expert =
      model_state_bytes({p.expert, s.expert_dp(), s.fssdp ? 3 : s.zero, s.gradient_bytes});
  return {dense.weights + expert.weights, dense.gradients + expert.gradients,
          dense.optimizer + expert.optimizer};
}

}  // namespace

// With offload the optimizer states and the gradient shard leave the GPU (ZeRO-Offload keeps the reduced
// gradients in pinned host memory; the reduction buckets on the GPU are not counted), and with
// offload_parameters the 16-bit weight shards too (ZeRO-3 gathers them into transient buffers).
double stage_model_state_bytes(const TransformerConfig& model, const ParallelStrategy& s, int stage) {
  const ModelStateBytes states = stage_states(model, s, stage);
  if (s.offload == MemoryTier::kHbm) return states.total();
  return s.offload_parameters ? 0.0 : states.weights;
}

// ZeRO-Infinity with NVMe keeps the optimizer states (and offloaded weights) on NVMe, the gradients in host
// memory; ZeRO-Offload keeps all of them in host memory.
OffloadedBytes stage_offloaded_bytes(const TransformerConfig& model, const ParallelStrategy& s, int stage) {
  if (s.offload == MemoryTier::kHbm) return {};
  const ModelStateBytes states = stage_states(model, s, stage);
  const double weights = s.offload_parameters ? states.weights : 0.0;
  if (s.offload == MemoryTier::kNvme) return {states.gradients, states.optimizer + weights};
  return {states.gradients + states.optimizer + weights, 0.0};
}

// The forward FLOPs recompute adds, in the model-FLOPs convention (full s x s attention): every layer's
// forward for full recompute, the attention core for selective (Korthikanti et al. 2022, section 5: HFU).
double recompute_flops_per_step(const TransformerConfig& model, const TrainingSpec& training,
                                Recompute recompute) {
  if (recompute == Recompute::kNone) return 0;
  const double s = static_cast<double>(training.seq_len);
  double per_sequence = 0;
  for (int layer = 0; layer < model.layers; ++layer) {
    const std::vector<OperatorSummary> ops = layer_operators(model, layer, training.seq_len);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const bool core = ops[i].name.rfind("attention core", 0) == 0;
      if (recompute == Recompute::kFull || core) per_sequence += s * ops[i].forward_flops_per_token;
    }
  }
  return per_sequence * static_cast<double>(training.global_batch);
}

ActivationInputs activation_inputs(const TransformerConfig& model, const TrainingSpec& training,
                                   const ParallelStrategy& strategy) {
  ActivationInputs in;
  in.seq_len = training.seq_len;
  in.micro_batch = strategy.micro_batch;
  in.tp = strategy.tp;
  in.cp = strategy.cp;
  in.sequence_parallel = strategy.sequence_parallel;
  in.recompute = strategy.recompute;
  in.fused_attention = training.attention != AttentionKernel::kUnfused;
  in.dropout = model.trained_with_dropout();
  in.fp8_linear_inputs = training.dtype == Dtype::kFp8;
  return in;
}

}  // namespace strata::models
