#include "models/strategy/training_lowering.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/error.hpp"

namespace strata::models {
namespace {

// Streams of every rank. TP collectives run on the compute stream (Megatron-LM without TP overlap: they
// block the next GEMM); gradient reduction has its own stream; sends and receives one each.
enum Stream : int { kCompute = 0, kDataParallel = 1, kSend = 2, kRecv = 3 };

constexpr double kAdamBytesPerParameter = 30.0;  // see training_lowering.hpp
constexpr double kAttentionBackwardFactor = 2.5;  // FlashAttention-2: backward 2.5x forward FLOPs
constexpr double kCausalFraction = 0.5;           // causal attention skips the upper triangle

Task make_task(int rank, int stream, TaskType type, std::string name, std::string category, std::vector<TaskId> deps) {
  Task task;
  task.rank = rank;
  task.stream = stream;
  task.type = type;
  task.name = std::move(name);
  task.category = std::move(category);
  task.deps = std::move(deps);
  return task;
}

struct Coordinates {
  int pp;
  int dp;
  int tp;
};

class Builder {
 public:
  Builder(const TransformerConfig& model, const TrainingSpec& training, const ParallelStrategy& strategy)
      : m_(model), t_(training), s_(strategy), tokens_(static_cast<double>(strategy.micro_batch * training.seq_len)) {
    graph_.ranks = strategy.world_size();
    graph_.streams = {"compute", "dp", "pp-send", "pp-recv"};
    stage_layers_ = split_layers(model.layers, strategy.pp, strategy.stage_layers);
    microbatches_ = strategy.microbatches(training);
    for (int p = 0; p < s_.pp; ++p) {
      for (int d = 0; d < s_.dp; ++d) {
        CommGroup tp{"tp", {}};
        for (int t = 0; t < s_.tp; ++t) tp.ranks.push_back(rank_of({p, d, t}));
        tp_group_[{p, d}] = add_group(std::move(tp));
      }
      for (int t = 0; t < s_.tp; ++t) {
        CommGroup dp{"dp", {}};
        for (int d = 0; d < s_.dp; ++d) dp.ranks.push_back(rank_of({p, d, t}));
        dp_group_[{p, t}] = add_group(std::move(dp));
      }
    }
    const ParameterCounts counts = count_parameters(model);
    layer_parameters_ = (counts.attention + counts.mlp + counts.norms) / model.layers;
    embedding_parameters_ = static_cast<double>(model.vocab) * model.hidden;
  }

  ExecutionGraph build() {
    for (int rank = 0; rank < graph_.ranks; ++rank) build_rank(coordinates_of(rank));
    return std::move(graph_);
  }
  const std::vector<int>& stage_layers() const { return stage_layers_; }
  std::int64_t microbatches() const { return microbatches_; }

 private:
  int rank_of(Coordinates c) const { return (c.pp * s_.dp + c.dp) * s_.tp + c.tp; }
  Coordinates coordinates_of(int rank) const {
    return {rank / (s_.dp * s_.tp), (rank / s_.tp) % s_.dp, rank % s_.tp};
  }
  int add_group(CommGroup group) {
    graph_.groups.push_back(std::move(group));
    return static_cast<int>(graph_.groups.size()) - 1;
  }

  TaskId add(Task task) { return graph_.add(std::move(task)); }

  TaskId gemm(int rank, std::string name, double m, double n, double k, std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, kCompute, TaskType::kCompute, std::move(name), "compute", std::move(deps));
    task.compute.kind = ComputeKind::kGemm;
    task.compute.gemm = GemmShape{static_cast<std::int64_t>(m), static_cast<std::int64_t>(n), static_cast<std::int64_t>(k)};
    task.compute.dtype = t_.dtype;
    return add(std::move(task));
  }
  TaskId memory_bound(int rank, std::string name, double bytes, std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, kCompute, TaskType::kCompute, std::move(name), "compute", std::move(deps));
    task.compute.kind = ComputeKind::kMemoryBound;
    task.compute.bytes = bytes;
    return add(std::move(task));
  }
  TaskId attention(int rank, std::string name, double factor, std::vector<TaskId> deps = {}) {
    const double heads = static_cast<double>(m_.heads) / s_.tp;
    const double qk = m_.uses_mla() ? m_.mla.qk_nope_head_dim + m_.mla.qk_rope_head_dim : m_.head_dim;
    const double v = m_.uses_mla() ? m_.mla.v_head_dim : m_.head_dim;
    Task task = make_task(rank, kCompute, TaskType::kCompute, std::move(name), "compute", std::move(deps));
    task.compute.kind = ComputeKind::kAttention;
    task.compute.flops = factor * kCausalFraction * 2.0 * tokens_ * static_cast<double>(t_.seq_len) * heads * (qk + v);
    task.compute.bytes = factor * 2.0 * tokens_ * heads * (2.0 * qk + 2.0 * v);  // read q, k, v; write o
    return add(std::move(task));
  }
  TaskId collective(int rank, int group, CollectiveOp op, double bytes, const char* category, int stream,
                    std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, stream, TaskType::kCollective, std::string(collective_op_name(op)), category, std::move(deps));
    const std::uint64_t sequence = collective_sequence_[{rank, group}]++;
    task.collective = {op, static_cast<std::int64_t>(bytes), group, (static_cast<std::uint64_t>(group) << 32) | sequence};
    return add(std::move(task));
  }
  TaskId transfer(int rank, TaskType type, int peer, double bytes, std::uint64_t tag, std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, type == TaskType::kSend ? kSend : kRecv, type, type == TaskType::kSend ? "send" : "recv",
                          "pp", std::move(deps));
    task.p2p = {peer, static_cast<std::int64_t>(bytes), tag};
    return add(std::move(task));
  }
  TaskId memory(int rank, double bytes, const char* category, std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, kCompute, TaskType::kMemory, std::string("memory ") + category, "memory", std::move(deps));
    task.memory = {static_cast<std::int64_t>(bytes), category};
    return add(std::move(task));
  }

  // The TP collective after attention or the MLP: all-reduce, or reduce-scatter with sequence parallelism.
  void tp_exit(int rank, int group) {
    if (s_.tp == 1) return;
    collective(rank, group, s_.sequence_parallel ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce,
               tokens_ * m_.hidden * 2.0, "tp", kCompute);
  }
  // With sequence parallelism, the all-gather before attention or the MLP.
  void tp_entry(int rank, int group) {
    if (s_.tp == 1 || !s_.sequence_parallel) return;
    collective(rank, group, CollectiveOp::kAllGather, tokens_ * m_.hidden * 2.0, "tp", kCompute);
  }

  double norm_bytes() const { return 4.0 * tokens_ * m_.hidden / (s_.sequence_parallel ? s_.tp : 1); }

  void forward_layer(int rank, int group) {
    const double h = m_.hidden;
    const double q = static_cast<double>(m_.heads) * m_.head_dim;
    const double kv = static_cast<double>(m_.kv_heads) * m_.head_dim;
    const double ffn_out = (m_.activation == MlpActivation::kSwiGlu ? 2.0 : 1.0) * m_.ffn_hidden;
    memory_bound(rank, "norm", norm_bytes());
    tp_entry(rank, group);
    gemm(rank, "qkv", tokens_, (q + 2 * kv) / s_.tp, h);
    attention(rank, "attention", 1.0);
    gemm(rank, "attention out", tokens_, h, q / s_.tp);
    tp_exit(rank, group);
    memory_bound(rank, "residual+norm", 1.5 * norm_bytes());
    tp_entry(rank, group);
    gemm(rank, "mlp up", tokens_, ffn_out / s_.tp, h);
    memory_bound(rank, "activation", 2.0 * tokens_ * ffn_out / s_.tp);
    gemm(rank, "mlp down", tokens_, h, m_.ffn_hidden / static_cast<double>(s_.tp));
    tp_exit(rank, group);
  }

  // Backward of one layer: for each forward GEMM (m x n x k) a data-gradient GEMM (m x k x n) and a
  // weight-gradient GEMM (k x n x m); TP collectives mirror the forward's.
  void backward_layer(int rank, int group) {
    const double h = m_.hidden;
    const double q = static_cast<double>(m_.heads) * m_.head_dim;
    const double kv = static_cast<double>(m_.kv_heads) * m_.head_dim;
    const double ffn_out = (m_.activation == MlpActivation::kSwiGlu ? 2.0 : 1.0) * m_.ffn_hidden;
    if (s_.recompute == Recompute::kFull) forward_layer(rank, group);
    const auto both = [&](const char* name, double m, double n, double k) {
      gemm(rank, std::string(name) + " dgrad", m, k, n);
      gemm(rank, std::string(name) + " wgrad", k, n, m);
    };
    tp_entry(rank, group);
    both("mlp down", tokens_, h, m_.ffn_hidden / static_cast<double>(s_.tp));
    memory_bound(rank, "activation backward", 3.0 * tokens_ * ffn_out / s_.tp);
    both("mlp up", tokens_, ffn_out / s_.tp, h);
    tp_exit(rank, group);
    memory_bound(rank, "norm backward", 2.0 * norm_bytes());
    tp_entry(rank, group);
    both("attention out", tokens_, h, q / s_.tp);
    if (s_.recompute == Recompute::kSelective) attention(rank, "attention recompute", 1.0);
    attention(rank, "attention backward", kAttentionBackwardFactor);
    both("qkv", tokens_, (q + 2 * kv) / s_.tp, h);
    tp_exit(rank, group);
    memory_bound(rank, "norm backward", 2.0 * norm_bytes());
  }

  double activation_bytes(int layers) const {
    ActivationInputs in;
    in.seq_len = t_.seq_len;
    in.micro_batch = s_.micro_batch;
    in.tp = s_.tp;
    in.cp = s_.cp;
    in.sequence_parallel = s_.sequence_parallel;
    in.recompute = s_.recompute;
    in.dropout = m_.family == Family::kGpt;
    return layers * layer_activation_bytes(m_, 0, in);
  }

  void build_rank(Coordinates c) {
    const int rank = rank_of(c);
    const int stage = c.pp;
    const int layers = stage_layers_[static_cast<std::size_t>(stage)];
    const bool first = stage == 0;
    const bool last = stage == s_.pp - 1;
    const int tp_group = tp_group_.at({c.pp, c.dp});
    const double boundary_bytes = tokens_ * m_.hidden * 2.0 / (s_.sequence_parallel ? s_.tp : 1);

    double parameters = layers * layer_parameters_ / s_.tp;
    if (first) parameters += embedding_parameters_ / s_.tp;
    if (last) parameters += embedding_parameters_ / s_.tp;  // the LM head (a copy when tied, as Megatron keeps)
    memory(rank, model_state_bytes({parameters, s_.dp, s_.zero, s_.gradient_bytes}).total(), "model states");

    // Schedule: (forward?, micro-batch) in the order this stage runs them.
    std::vector<std::pair<bool, std::int64_t>> order;
    const std::int64_t m = microbatches_;
    if (s_.schedule == PipelineSchedule::kGpipe) {
      for (std::int64_t i = 0; i < m; ++i) order.emplace_back(true, i);
      for (std::int64_t i = 0; i < m; ++i) order.emplace_back(false, i);
    } else {
      const std::int64_t warmup = std::min<std::int64_t>(s_.pp - stage - 1, m);
      for (std::int64_t i = 0; i < warmup; ++i) order.emplace_back(true, i);
      for (std::int64_t i = 0; i + warmup < m; ++i) {
        order.emplace_back(true, warmup + i);
        order.emplace_back(false, i);
      }
      for (std::int64_t i = m - warmup; i < m; ++i) order.emplace_back(false, i);
    }
    const int previous = first ? -1 : rank_of({stage - 1, c.dp, c.tp});
    const int next = last ? -1 : rank_of({stage + 1, c.dp, c.tp});
    TaskId last_backward = 0;
    std::vector<TaskId> activation_free;
    for (const auto& [forward, mb] : order) {
      const std::uint64_t tag = static_cast<std::uint64_t>(mb) * 2 + (forward ? 0 : 1);
      if (forward) {
        std::vector<TaskId> deps;
        if (!first) deps.push_back(transfer(rank, TaskType::kRecv, previous, boundary_bytes, tag));
        memory(rank, activation_bytes(layers), "activations", deps);
        if (first) memory_bound(rank, "embedding", 2.0 * tokens_ * m_.hidden);
        for (int l = 0; l < layers; ++l) forward_layer(rank, tp_group);
        TaskId end = 0;
        if (last) {
          gemm(rank, "lm head", tokens_, static_cast<double>(m_.vocab) / s_.tp, m_.hidden);
          end = memory_bound(rank, "loss", 3.0 * 4.0 * tokens_ * m_.vocab / s_.tp);
        } else {
          end = memory_bound(rank, "stage output", 0.0);
          transfer(rank, TaskType::kSend, next, boundary_bytes, tag, {end});
        }
      } else {
        std::vector<TaskId> deps;
        if (!last) deps.push_back(transfer(rank, TaskType::kRecv, next, boundary_bytes, tag));
        if (last) {
          gemm(rank, "lm head dgrad", tokens_, m_.hidden, static_cast<double>(m_.vocab) / s_.tp, deps);
          gemm(rank, "lm head wgrad", m_.hidden, static_cast<double>(m_.vocab) / s_.tp, tokens_);
        } else {
          memory_bound(rank, "stage input gradient", 0.0, deps);
        }
        for (int l = 0; l < layers; ++l) backward_layer(rank, tp_group);
        if (first) memory_bound(rank, "embedding backward", 4.0 * tokens_ * m_.hidden);
        last_backward = memory(rank, -activation_bytes(layers), "activations");
        if (!first) transfer(rank, TaskType::kSend, previous, boundary_bytes, tag, {last_backward});
      }
    }
    finish_step(rank, c, parameters, last_backward);
  }

  // Gradient reduction in buckets (overlapped with the last backward only at bucket granularity here: every
  // bucket waits for the end of the last micro-batch's backward), the optimizer, ZeRO-1's all-gather.
  void finish_step(int rank, Coordinates c, double parameters, TaskId last_backward) {
    std::vector<TaskId> reduced;
    const int dp_group = dp_group_.at({c.pp, c.tp});
    const double gradient_bytes = parameters * s_.gradient_bytes;
    const double buckets = std::max(1.0, std::ceil(gradient_bytes / static_cast<double>(s_.dp_bucket_bytes)));
    if (s_.dp > 1) {
      for (int b = 0; b < static_cast<int>(buckets); ++b) {
        reduced.push_back(collective(rank, dp_group, s_.zero >= 1 ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce,
                                     gradient_bytes / buckets, "dp", kDataParallel, {last_backward}));
      }
    }
    Task step = make_task(rank, kCompute, TaskType::kCompute, "optimizer step", "optimizer", reduced);
    step.compute.kind = ComputeKind::kMemoryBound;
    step.compute.bytes = kAdamBytesPerParameter * parameters / (s_.zero >= 1 ? s_.dp : 1);
    const TaskId optimizer = add(std::move(step));
    if (s_.dp > 1 && s_.zero >= 1) {
      for (int b = 0; b < static_cast<int>(buckets); ++b) {
        collective(rank, dp_group, CollectiveOp::kAllGather, parameters * 2.0 / buckets, "dp", kDataParallel, {optimizer});
      }
    }
  }

  const TransformerConfig& m_;
  const TrainingSpec& t_;
  const ParallelStrategy& s_;
  double tokens_;
  ExecutionGraph graph_;
  std::vector<int> stage_layers_;
  std::int64_t microbatches_ = 0;
  std::map<std::pair<int, int>, int> tp_group_;
  std::map<std::pair<int, int>, int> dp_group_;
  std::map<std::pair<int, int>, std::uint64_t> collective_sequence_;
  double layer_parameters_ = 0;
  double embedding_parameters_ = 0;
};

}  // namespace

LoweredTraining lower_training(const TransformerConfig& model, const TrainingSpec& training, const ParallelStrategy& strategy,
                               int gpus) {
  validate_strategy(model, training, strategy, gpus);
  check_lowering_support(model, strategy);
  Builder builder(model, training, strategy);
  LoweredTraining lowered;
  lowered.graph = builder.build();
  lowered.microbatches = builder.microbatches();
  lowered.stage_layers = builder.stage_layers();
  lowered.model_flops_per_step = model_flops_per_step(model, training.global_batch, training.seq_len);
  lowered.tokens_per_step = static_cast<double>(training.global_batch * training.seq_len);
  return lowered;
}

}  // namespace strata::models
