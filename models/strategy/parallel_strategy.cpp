#include "models/strategy/parallel_strategy.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "sim/error.hpp"

namespace strata::models {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& detail) { throw sim::InputError("", "/" + field, detail); }

}  // namespace

std::string_view schedule_name(PipelineSchedule schedule) {
  return schedule == PipelineSchedule::kGpipe ? "gpipe" : "1f1b";
}

std::vector<int> split_layers(int layers, int pp, const std::vector<int>& stage_layers) {
  if (!stage_layers.empty()) return stage_layers;
  std::vector<int> split(static_cast<std::size_t>(pp), layers / pp);
  // The remainder goes to the stages nearest the middle: the first and last stages also carry the embedding
  // and the LM head (Llama 3 405B: 126 layers on 16 stages; BLOOM: 70 on 12).
  std::vector<int> order(static_cast<std::size_t>(pp));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [pp](int a, int b) {
    return std::abs(2 * a - (pp - 1)) < std::abs(2 * b - (pp - 1));
  });
  for (int i = 0; i < layers % pp; ++i) ++split[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])];
  return split;
}

void validate_strategy(const TransformerConfig& model, const TrainingSpec& training, const ParallelStrategy& s, int gpus) {
  for (const auto& [value, field] : {std::pair{s.tp, "tp"}, {s.pp, "pp"}, {s.dp, "dp"}, {s.cp, "cp"}, {s.ep, "ep"}, {s.vpp, "vpp"}}) {
    if (value < 1) bad(field, "must be at least 1, got " + std::to_string(value));
  }
  if (s.micro_batch < 1) bad("micro_batch", "must be at least 1");
  if (training.seq_len < 1) bad("seq_len", "must be at least 1");
  if (model.heads % s.tp != 0) {
    bad("tp", std::to_string(s.tp) + " does not divide the " + std::to_string(model.heads) + " attention heads");
  }
  if (!model.uses_mla() && model.kv_heads % s.tp != 0 && s.tp % model.kv_heads != 0) {
    bad("tp", std::to_string(s.tp) + " and the " + std::to_string(model.kv_heads) + " key-value heads do not divide each other");
  }
  if (s.world_size() != gpus) {
    bad("dp", "tp x pp x cp x dp = " + std::to_string(s.tp) + " x " + std::to_string(s.pp) + " x " + std::to_string(s.cp) +
                  " x " + std::to_string(s.dp) + " = " + std::to_string(s.world_size()) + ", but the cluster has " +
                  std::to_string(gpus) + " GPUs");
  }
  if (training.global_batch < 1 || training.global_batch % (s.micro_batch * s.dp) != 0) {
    bad("micro_batch", "global batch " + std::to_string(training.global_batch) + " is not a multiple of micro_batch x dp = " +
                           std::to_string(s.micro_batch * s.dp));
  }
  if (s.pp * s.vpp > model.layers) {
    bad(s.vpp > 1 ? "vpp" : "pp", std::to_string(s.pp * s.vpp) + (s.vpp > 1 ? " virtual" : "") + " stages for " +
                                       std::to_string(model.layers) + " layers");
  }
  if (s.tp_overlap && !s.sequence_parallel) bad("tp_overlap", "TP communication overlap needs sequence_parallel");
  if (s.vpp > 1) {
    if (s.pp < 2) bad("vpp", "the interleaved schedule needs pp >= 2");
    if (s.schedule != PipelineSchedule::kOneFOneB) bad("vpp", "virtual stages need the 1f1b (interleaved) schedule");
    const std::int64_t m = s.microbatches(training);
    if (m > 0 && m % s.pp != 0) {
      bad("vpp", "the interleaved schedule needs the micro-batches per step (" + std::to_string(m) + ") to be a multiple of pp (" +
                     std::to_string(s.pp) + ")");
    }
  }
  if (!s.stage_layers.empty()) {
    if (static_cast<int>(s.stage_layers.size()) != s.pp * s.vpp) bad("stage_layers", "needs one entry per (virtual) pipeline stage");
    if (std::accumulate(s.stage_layers.begin(), s.stage_layers.end(), 0) != model.layers) {
      bad("stage_layers", "must sum to the model's " + std::to_string(model.layers) + " layers");
    }
    for (int layers : s.stage_layers) {
      if (layers < 0) bad("stage_layers", "entries must not be negative");
    }
  }
  if (model.moe.experts > 0 && model.moe.experts % s.ep != 0) {
    bad("ep", std::to_string(s.ep) + " does not divide the " + std::to_string(model.moe.experts) + " experts");
  }
  if (s.zero < 0 || s.zero > 3) bad("zero", "ZeRO stage must be 0, 1, 2 or 3");
}

void check_lowering_support(const TransformerConfig& model, const ParallelStrategy& s) {
  // Not modelled by the lowering yet: say so instead of simulating something else.
  if (s.cp > 1) bad("cp", "context parallelism is not lowered yet");
  if (s.ep > 1 || model.moe.experts > 0) bad("ep", "MoE and expert parallelism are not lowered yet");
}

double stage_parameters(const TransformerConfig& model, const ParallelStrategy& s, int stage) {
  const ParameterCounts counts = count_parameters(model);
  const double per_layer = (counts.attention + counts.mlp + counts.norms) / model.layers;
  const double embedding = static_cast<double>(model.vocab) * model.hidden;
  const std::vector<int> layers = split_layers(model.layers, s.pp * s.vpp, s.stage_layers);
  double parameters = 0;
  for (int chunk = 0; chunk < s.vpp; ++chunk) parameters += layers[static_cast<std::size_t>(chunk * s.pp + stage)] * per_layer;
  if (stage == 0) parameters += embedding;
  if (stage == s.pp - 1) parameters += embedding;
  return parameters / s.tp;
}

// The forward FLOPs recompute adds, in the model-FLOPs convention (full s x s attention): every layer's
// forward for full recompute, the attention core for selective (Korthikanti et al. 2022, section 5: HFU).
double recompute_flops_per_step(const TransformerConfig& model, const TrainingSpec& training, Recompute recompute) {
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

}  // namespace strata::models
