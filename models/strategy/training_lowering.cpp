#include "models/strategy/training_lowering.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "models/strategy/pipeline_schedule.hpp"
#include "sim/error.hpp"

namespace strata::models {
namespace {

// Streams of every rank. TP collectives run on the compute stream (Megatron-LM without TP overlap: they
// block the next GEMM); gradient reduction has its own stream; sends and receives one each.
// Point-to-point traffic has one stream per direction, so a transfer waiting for its partner never holds up
// one going the other way.
enum Stream : int {
  kCompute = 0,
  kDataParallel = 1,
  kSendNext = 2,
  kSendPrevious = 3,
  kRecvPrevious = 4,
  kRecvNext = 5,
  kGather = 6,  // ZeRO-3 parameter all-gathers (prefetched one layer ahead)
  kReduce = 7,  // ZeRO-3 per-layer gradient reduce-scatters
  kTensorParallel = 8,  // TP collectives overlapped with GEMMs (tp_overlap)
};

constexpr TaskId kNoTask = std::numeric_limits<TaskId>::max();

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
  Builder(const TransformerConfig& model, const TrainingSpec& training, const ParallelStrategy& strategy, RankSet rank_set)
      : m_(model), t_(training), s_(strategy), tokens_(static_cast<double>(strategy.micro_batch * training.seq_len)),
        dp_(rank_set == RankSet::kAll ? strategy.dp : 1), tp_(rank_set == RankSet::kAll ? strategy.tp : 1) {
    graph_.ranks = s_.pp * dp_ * tp_;
    if (rank_set == RankSet::kSymmetricOnce) {
      graph_.gpus = strategy.world_size();
      for (int p = 0; p < s_.pp; ++p) graph_.gpu_of_rank.push_back(gpu_of({p, 0, 0}));
    }
    graph_.streams = {"compute", "dp", "pp-send-next", "pp-send-previous", "pp-recv-previous", "pp-recv-next",
                      "dp-gather", "dp-reduce", "tp"};
    stage_layers_ = split_layers(model.layers, strategy.pp * strategy.vpp, strategy.stage_layers);
    microbatches_ = strategy.microbatches(training);
    // Groups list their simulated members; when ranks are collapsed, `gpus` keeps the whole communicator.
    const bool collapsed = rank_set == RankSet::kSymmetricOnce;
    for (int p = 0; p < s_.pp; ++p) {
      for (int d = 0; d < dp_; ++d) {
        CommGroup tp{"tp", {}, {}};
        for (int t = 0; t < tp_; ++t) tp.ranks.push_back(rank_of({p, d, t}));
        for (int t = 0; collapsed && t < s_.tp; ++t) tp.gpus.push_back(gpu_of({p, d, t}));
        tp_group_[{p, d}] = add_group(std::move(tp));
      }
      for (int t = 0; t < tp_; ++t) {
        CommGroup dp{"dp", {}, {}};
        for (int d = 0; d < dp_; ++d) dp.ranks.push_back(rank_of({p, d, t}));
        for (int d = 0; collapsed && d < s_.dp; ++d) dp.gpus.push_back(gpu_of({p, d, t}));
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
  // Simulated ranks cover dp_ x tp_ of each stage (all, or replica 0's TP rank 0); gpu_of is the job's layout.
  int rank_of(Coordinates c) const { return (c.pp * dp_ + c.dp) * tp_ + c.tp; }
  int gpu_of(Coordinates c) const { return (c.pp * s_.dp + c.dp) * s_.tp + c.tp; }
  Coordinates coordinates_of(int rank) const { return {rank / (dp_ * tp_), (rank / tp_) % dp_, rank % tp_}; }
  int add_group(CommGroup group) {
    graph_.groups.push_back(std::move(group));
    return static_cast<int>(graph_.groups.size()) - 1;
  }

  // Compute-stream tasks pick up the dependencies overlapped TP collectives left for them (tp_overlap).
  TaskId add(Task task) {
    if (task.stream != kCompute) return graph_.add(std::move(task));
    for (auto it = deferred_.begin(); it != deferred_.end();) {
      if (it->second == 0) {
        task.deps.push_back(it->first);
        it = deferred_.erase(it);
      } else {
        --it->second;
        ++it;
      }
    }
    const TaskId id = graph_.add(std::move(task));
    previous_compute_ = last_compute_;
    last_compute_ = id;
    return id;
  }

  // A transformer layer's linear-layer GEMM, in the training dtype.
  TaskId gemm(int rank, std::string name, double m, double n, double k, std::vector<TaskId> deps = {}) {
    return gemm_in(t_.dtype, rank, std::move(name), m, n, k, std::move(deps));
  }
  // The LM head and the unfused attention core stay 16-bit under FP8 training (Transformer Engine's fp8
  // autocast covers the layers' Linear modules only; Megatron-Core's output layer is not one).
  TaskId gemm_16bit(int rank, std::string name, double m, double n, double k, std::vector<TaskId> deps = {}) {
    return gemm_in(t_.dtype == Dtype::kFp8 ? Dtype::kBf16 : t_.dtype, rank, std::move(name), m, n, k, std::move(deps));
  }
  TaskId gemm_in(Dtype dtype, int rank, std::string name, double m, double n, double k, std::vector<TaskId> deps) {
    Task task = make_task(rank, kCompute, TaskType::kCompute, std::move(name), "compute", std::move(deps));
    task.compute.kind = ComputeKind::kGemm;
    task.compute.gemm = GemmShape{static_cast<std::int64_t>(m), static_cast<std::int64_t>(n), static_cast<std::int64_t>(k)};
    task.compute.dtype = dtype;
    return add(std::move(task));
  }
  TaskId memory_bound(int rank, std::string name, double bytes, std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, kCompute, TaskType::kCompute, std::move(name), "compute", std::move(deps));
    task.compute.kind = ComputeKind::kMemoryBound;
    task.compute.bytes = bytes;
    return add(std::move(task));
  }
  // The attention core: one fused kernel (FlashAttention-2: backward 2.5x forward FLOPs, causal half), or
  // Megatron-LM's unfused path: batched GEMMs Q K^T (s x s x d) and P V (s x d x s) over b a/t heads, the
  // fused scale-mask-softmax (read scores, write probabilities, 2-byte), dropout (read, write, 1-byte mask)
  // for models trained with dropout; backward: the GEMMs' data gradients (dV, dP, dQ, dK) and the softmax and
  // dropout backward passes. Causal masking does not save the unfused GEMMs any work.
  void attention(int rank, std::string name, bool backward) {
    if (t_.attention == AttentionKernel::kFused) {
      fused_attention(rank, std::move(name), backward ? kAttentionBackwardFactor : 1.0);
      return;
    }
    const double heads = static_cast<double>(m_.heads) / s_.tp;
    const double d = m_.head_dim;
    const double s = static_cast<double>(t_.seq_len);
    const double batch = heads * static_cast<double>(s_.micro_batch);
    const double scores = batch * s * s;  // elements
    const bool dropout = m_.family == Family::kGpt;
    const auto bmm = [&](const char* what, double m, double n, double k) {
      const TaskId id = gemm_16bit(rank, name + " " + what, m, n, k);
      graph_.tasks[id].compute.gemm.batch = static_cast<std::int64_t>(batch);
    };
    if (!backward) {
      bmm("QK^T", s, s, d);
      memory_bound(rank, name + " softmax", 4.0 * scores);
      if (dropout) memory_bound(rank, name + " dropout", 5.0 * scores);
      bmm("PV", s, d, s);
      return;
    }
    bmm("dV", s, d, s);
    bmm("dP", s, s, d);
    if (dropout) memory_bound(rank, name + " dropout backward", 5.0 * scores);
    memory_bound(rank, name + " softmax backward", 6.0 * scores);
    bmm("dQ", s, d, s);
    bmm("dK", s, d, s);
  }
  TaskId fused_attention(int rank, std::string name, double factor, std::vector<TaskId> deps = {}) {
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
  TaskId transfer(int rank, Stream stream, TaskType type, int peer, double bytes, std::uint64_t tag,
                  std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, stream, type, type == TaskType::kSend ? "send" : "recv", "pp", std::move(deps));
    task.p2p = {peer, static_cast<std::int64_t>(bytes), tag};
    return add(std::move(task));
  }
  TaskId memory(int rank, double bytes, const char* category, std::vector<TaskId> deps = {}) {
    Task task = make_task(rank, kCompute, TaskType::kMemory, std::string("memory ") + category, "memory", std::move(deps));
    task.memory = {static_cast<std::int64_t>(bytes), category};
    return add(std::move(task));
  }

  // The TP collective after attention or the MLP: all-reduce, or reduce-scatter with sequence parallelism.
  // Without overlap it blocks the compute stream. With tp_overlap it is pipelined with the GEMM that
  // produced its input (the compute task just added): it starts with that GEMM and the next compute task
  // waits for it.
  void tp_exit(int rank, int group) {
    if (s_.tp == 1) return;
    const CollectiveOp op = s_.sequence_parallel ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce;
    if (!s_.tp_overlap) {
      collective(rank, group, op, tokens_ * m_.hidden * 2.0, "tp", kCompute);
      return;
    }
    std::vector<TaskId> deps;
    if (previous_compute_ != kNoTask) deps.push_back(previous_compute_);
    deferred_.emplace_back(collective(rank, group, op, tokens_ * m_.hidden * 2.0, "tp", kTensorParallel, deps), 0);
  }
  // With sequence parallelism, the all-gather before attention or the MLP. With tp_overlap it is pipelined
  // with the GEMM that consumes it (the next compute task): the task after that GEMM waits for it.
  void tp_entry(int rank, int group) {
    if (s_.tp == 1 || !s_.sequence_parallel) return;
    if (!s_.tp_overlap) {
      collective(rank, group, CollectiveOp::kAllGather, tokens_ * m_.hidden * 2.0, "tp", kCompute);
      return;
    }
    std::vector<TaskId> deps;
    if (last_compute_ != kNoTask) deps.push_back(last_compute_);
    deferred_.emplace_back(collective(rank, group, CollectiveOp::kAllGather, tokens_ * m_.hidden * 2.0, "tp", kTensorParallel, deps), 1);
  }

  double norm_bytes() const { return 4.0 * tokens_ * m_.hidden / (s_.sequence_parallel ? s_.tp : 1); }

  // Returns the layer's first task (the norm), which starts only after `deps`.
  TaskId forward_layer(int rank, int group, std::vector<TaskId> deps = {}) {
    const double h = m_.hidden;
    const double q = static_cast<double>(m_.heads) * m_.head_dim;
    const double kv = static_cast<double>(m_.kv_heads) * m_.head_dim;
    const double ffn_out = (m_.activation == MlpActivation::kSwiGlu ? 2.0 : 1.0) * m_.ffn_hidden;
    const TaskId first = memory_bound(rank, "norm", norm_bytes(), std::move(deps));
    tp_entry(rank, group);
    gemm(rank, "qkv", tokens_, (q + 2 * kv) / s_.tp, h);
    attention(rank, "attention", false);
    gemm(rank, "attention out", tokens_, h, q / s_.tp);
    tp_exit(rank, group);
    memory_bound(rank, "residual+norm", 1.5 * norm_bytes());
    tp_entry(rank, group);
    gemm(rank, "mlp up", tokens_, ffn_out / s_.tp, h);
    memory_bound(rank, "activation", 2.0 * tokens_ * ffn_out / s_.tp);
    gemm(rank, "mlp down", tokens_, h, m_.ffn_hidden / static_cast<double>(s_.tp));
    tp_exit(rank, group);
    return first;
  }

  // Backward of one layer: for each forward GEMM (m x n x k) a data-gradient GEMM (m x k x n) and a
  // weight-gradient GEMM (k x n x m); TP collectives mirror the forward's.
  // Returns {first task, last task} of the layer's backward; the first starts only after `deps`.
  std::pair<TaskId, TaskId> backward_layer(int rank, int group, std::vector<TaskId> deps = {}) {
    const double h = m_.hidden;
    const double q = static_cast<double>(m_.heads) * m_.head_dim;
    const double kv = static_cast<double>(m_.kv_heads) * m_.head_dim;
    const double ffn_out = (m_.activation == MlpActivation::kSwiGlu ? 2.0 : 1.0) * m_.ffn_hidden;
    const TaskId first = memory_bound(rank, "layer backward start", 0.0, std::move(deps));
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
    if (s_.recompute == Recompute::kSelective) attention(rank, "attention recompute", false);
    attention(rank, "attention backward", true);
    both("qkv", tokens_, (q + 2 * kv) / s_.tp, h);
    tp_exit(rank, group);
    const TaskId last = memory_bound(rank, "norm backward", 2.0 * norm_bytes());
    return {first, last};
  }

  // ZeRO-3 / FSDP (Rajbhandari et al. 2020, stage 3; PyTorch FSDP): a layer's 16-bit weights are all-gathered
  // before its forward and again before its backward, one layer ahead of use (the gather for a layer waits
  // for the previous layer to start), and its gradients are reduce-scattered right after its backward.
  bool zero3() const { return s_.zero >= 3 && s_.dp > 1; }
  // Buckets reduced while the backward runs: only data-parallel reductions of whole buckets (not ZeRO-3,
  // which reduces per layer).
  bool overlapped_reduction() const { return s_.dp_overlap && s_.dp > 1 && !zero3(); }
  bool overlapped_gather() const { return s_.dp_overlap && s_.dp > 1 && (s_.zero == 1 || s_.zero == 2); }

  // Gradients accumulate in bucket order; a full bucket is reduced (on the dp stream) once the task that
  // produced its last gradient is done (Megatron-Core's overlap-grad-reduce, PyTorch DDP).
  struct GradientBuckets {
    Builder* builder;
    int dp_group;
    double pending_bytes = 0;
    std::vector<TaskId> reductions;
    void add(int rank, double bytes, TaskId ready) {
      pending_bytes += bytes;
      if (pending_bytes >= static_cast<double>(builder->s_.dp_bucket_bytes)) flush(rank, ready);
    }
    void flush(int rank, TaskId ready) {
      if (pending_bytes <= 0) return;
      const CollectiveOp op = builder->s_.zero >= 1 ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce;
      reductions.push_back(builder->collective(rank, dp_group, op, pending_bytes, "dp", kDataParallel, {ready}));
      pending_bytes = 0;
    }
  };

  // ZeRO-1/2 with dp_overlap: the updated 16-bit weights are all-gathered bucket by bucket (forward order)
  // at the start of the step, the previous optimizer step's gather, and each layer's first forward waits for
  // its bucket. Returns, per model chunk, the gather each layer waits for.
  std::vector<std::vector<TaskId>> overlapped_parameter_gather(int rank, int stage, int dp_group) {
    std::vector<std::vector<TaskId>> ready(static_cast<std::size_t>(s_.vpp));
    double pending = 0;
    std::vector<std::pair<int, int>> waiting;  // (chunk, layer) covered by the pending bucket
    const auto flush = [&] {
      const TaskId gather = collective(rank, dp_group, CollectiveOp::kAllGather, pending * 2.0, "dp", kDataParallel);
      for (const auto& [chunk, layer] : waiting) ready[static_cast<std::size_t>(chunk)][static_cast<std::size_t>(layer)] = gather;
      waiting.clear();
      pending = 0;
    };
    for (int chunk = 0; chunk < s_.vpp; ++chunk) {
      const int layers = stage_layers_[static_cast<std::size_t>(chunk * s_.pp + stage)];
      ready[static_cast<std::size_t>(chunk)].assign(static_cast<std::size_t>(layers), kNoTask);
      if (chunk == 0 && stage == 0) pending += embedding_parameters_ / s_.tp;
      for (int l = 0; l < layers; ++l) {
        pending += layer_parameters_ / s_.tp;
        waiting.emplace_back(chunk, l);
        if (pending * s_.gradient_bytes >= static_cast<double>(s_.dp_bucket_bytes)) flush();
      }
    }
    if (stage == s_.pp - 1) pending += embedding_parameters_ / s_.tp;
    if (pending > 0) flush();
    return ready;
  }
  double layer_weight_bytes() const { return layer_parameters_ / s_.tp * 2.0; }

  // The dependencies of layer `l`'s first task: with ZeRO-3, the all-gather of its weights, issued once the
  // previous layer has started (one layer of prefetch). Empty otherwise.
  std::vector<TaskId> gathered_weights(int rank, int dp_group, int l, TaskId previous_start) {
    if (!zero3()) return {};
    std::vector<TaskId> window;
    if (l > 0) window.push_back(previous_start);
    return {collective(rank, dp_group, CollectiveOp::kAllGather, layer_weight_bytes(), "dp", kGather, window)};
  }

  // `ready[l]`, when given, is the task layer l's forward must wait for (its bucket of the overlapped
  // ZeRO-1/2 parameter all-gather).
  void forward_layers(int rank, int group, int layers, int dp_group, const std::vector<TaskId>* ready = nullptr) {
    TaskId previous_start = 0;
    for (int l = 0; l < layers; ++l) {
      std::vector<TaskId> deps = gathered_weights(rank, dp_group, l, previous_start);
      if (ready != nullptr) deps.push_back((*ready)[static_cast<std::size_t>(l)]);
      previous_start = forward_layer(rank, group, std::move(deps));
    }
  }

  // Returns the reduce-scatters (ZeRO-3) for the optimizer to wait on. `buckets`, when given (the last
  // micro-batch's backward with dp_overlap), collects the layers' gradients into buckets reduced on the way.
  std::vector<TaskId> backward_layers(int rank, int group, int layers, int dp_group, GradientBuckets* buckets = nullptr) {
    std::vector<TaskId> reductions;
    TaskId previous_start = 0;
    for (int l = 0; l < layers; ++l) {
      const auto [first, last] = backward_layer(rank, group, gathered_weights(rank, dp_group, l, previous_start));
      if (buckets != nullptr) buckets->add(rank, layer_parameters_ / s_.tp * s_.gradient_bytes, last);
      previous_start = first;
      if (zero3()) {
        reductions.push_back(collective(rank, dp_group, CollectiveOp::kReduceScatter,
                                        layer_parameters_ / s_.tp * s_.gradient_bytes, "dp", kReduce, {last}));
      }
    }
    return reductions;
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
    const int p = s_.pp;
    const int virtual_stages = p * s_.vpp;
    const int tp_group = tp_group_.at({c.pp, c.dp});
    last_compute_ = previous_compute_ = kNoTask;
    deferred_.clear();
    // Each TP rank sends its 1/t slice of the boundary activations (sequence parallelism shards them; without
    // it, Megatron-LM's scatter/gather optimisation, on by default since SC21 section 4.1, splits the send and
    // all-gathers over NVLink after the receive, a cost left out here).
    const double boundary_bytes = tokens_ * m_.hidden * 2.0 / s_.tp;
    const auto layers_of = [&](int chunk) { return stage_layers_[static_cast<std::size_t>(chunk * p + stage)]; };

    const double parameters = stage_parameters(m_, s_, stage);
    memory(rank, model_state_bytes({parameters, s_.dp, s_.zero, s_.gradient_bytes}).total(), "model states");

    const int next = rank_of({(stage + 1) % p, c.dp, c.tp});
    const int previous = rank_of({(stage + p - 1) % p, c.dp, c.tp});
    // A transfer's tag: micro-batch, the virtual stage it goes to, direction; sender and receiver agree on it.
    const auto tag = [&](std::int64_t mb, int to_virtual_stage, bool forward) {
      return (static_cast<std::uint64_t>(mb) * static_cast<std::uint64_t>(virtual_stages) +
              static_cast<std::uint64_t>(to_virtual_stage)) * 2 + (forward ? 0 : 1);
    };
    const int dp_group = dp_group_.at({c.pp, c.tp});
    TaskId last_backward = 0;
    std::vector<TaskId> layer_reductions;
    const std::vector<std::vector<TaskId>> gathered =
        overlapped_gather() ? overlapped_parameter_gather(rank, stage, dp_group) : std::vector<std::vector<TaskId>>{};
    GradientBuckets buckets{this, dp_group, 0.0, {}};
    for (const auto& [forward, mb, chunk] : pipeline_order(s_, microbatches_, stage)) {
      const int vs = chunk * p + stage;
      const int layers = layers_of(chunk);
      const bool first = vs == 0;
      const bool last = vs == virtual_stages - 1;
      if (forward) {
        std::vector<TaskId> deps;
        if (!first) deps.push_back(transfer(rank, kRecvPrevious, TaskType::kRecv, previous, boundary_bytes, tag(mb, vs, true)));
        memory(rank, activation_bytes(layers), "activations", deps);
        if (first) memory_bound(rank, "embedding", 2.0 * tokens_ * m_.hidden);
        forward_layers(rank, tp_group, layers, dp_group, mb == 0 && !gathered.empty() ? &gathered[static_cast<std::size_t>(chunk)] : nullptr);
        if (last) {
          gemm_16bit(rank, "lm head", tokens_, static_cast<double>(m_.vocab) / s_.tp, m_.hidden);
          memory_bound(rank, "loss", 3.0 * 4.0 * tokens_ * m_.vocab / s_.tp);
        } else {
          const TaskId end = memory_bound(rank, "stage output", 0.0);
          transfer(rank, kSendNext, TaskType::kSend, next, boundary_bytes, tag(mb, vs + 1, true), {end});
        }
      } else {
        std::vector<TaskId> deps;
        if (!last) deps.push_back(transfer(rank, kRecvNext, TaskType::kRecv, next, boundary_bytes, tag(mb, vs, false)));
        const bool reduce_now = overlapped_reduction() && mb == microbatches_ - 1;
        if (last) {
          gemm_16bit(rank, "lm head dgrad", tokens_, m_.hidden, static_cast<double>(m_.vocab) / s_.tp, deps);
          const TaskId wgrad = gemm_16bit(rank, "lm head wgrad", m_.hidden, static_cast<double>(m_.vocab) / s_.tp, tokens_);
          if (reduce_now) buckets.add(rank, embedding_parameters_ / s_.tp * s_.gradient_bytes, wgrad);
        } else {
          memory_bound(rank, "stage input gradient", 0.0, deps);
        }
        const std::vector<TaskId> reduced = backward_layers(rank, tp_group, layers, dp_group, reduce_now ? &buckets : nullptr);
        layer_reductions.insert(layer_reductions.end(), reduced.begin(), reduced.end());
        if (first) {
          const TaskId embedding = memory_bound(rank, "embedding backward", 4.0 * tokens_ * m_.hidden);
          if (reduce_now) buckets.add(rank, embedding_parameters_ / s_.tp * s_.gradient_bytes, embedding);
        }
        last_backward = memory(rank, -activation_bytes(layers), "activations");
        if (reduce_now) buckets.flush(rank, last_backward);
        if (!first) transfer(rank, kSendPrevious, TaskType::kSend, previous, boundary_bytes, tag(mb, vs - 1, false), {last_backward});
      }
    }
    layer_reductions.insert(layer_reductions.end(), buckets.reductions.begin(), buckets.reductions.end());
    finish_step(rank, c, parameters, last_backward, layer_reductions);
  }

  // Gradient reduction in buckets (every bucket waits for the end of the last micro-batch's backward; the
  // overlap is at bucket granularity), the optimizer, and ZeRO-1/2's all-gather of the updated weights.
  // ZeRO-3 reduced per layer already (`layer_reductions`); only the layers' gradients left the embedding and
  // LM head, which are reduced here like ZeRO-2.
  void finish_step(int rank, Coordinates c, double parameters, TaskId last_backward, const std::vector<TaskId>& layer_reductions) {
    std::vector<TaskId> reduced = layer_reductions;
    const int dp_group = dp_group_.at({c.pp, c.tp});
    double bucketed = parameters;
    if (zero3()) {
      int layers = 0;
      for (int chunk = 0; chunk < s_.vpp; ++chunk) layers += stage_layers_[static_cast<std::size_t>(chunk * s_.pp + c.pp)];
      bucketed -= layers * layer_parameters_ / s_.tp;
    }
    const double gradient_bytes = bucketed * s_.gradient_bytes;
    const double buckets = std::max(1.0, std::ceil(gradient_bytes / static_cast<double>(s_.dp_bucket_bytes)));
    if (s_.dp > 1 && gradient_bytes > 0 && !overlapped_reduction()) {
      for (int b = 0; b < static_cast<int>(buckets); ++b) {
        reduced.push_back(collective(rank, dp_group, s_.zero >= 1 ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce,
                                     gradient_bytes / buckets, "dp", kDataParallel, {last_backward}));
      }
    }
    Task step = make_task(rank, kCompute, TaskType::kCompute, "optimizer step", "optimizer", reduced);
    step.compute.kind = ComputeKind::kMemoryBound;
    step.compute.bytes = kAdamBytesPerParameter * parameters / (s_.zero >= 1 ? s_.dp : 1);
    const TaskId optimizer = add(std::move(step));
    if (s_.dp > 1 && s_.zero >= 1 && s_.zero <= 2 && !overlapped_gather()) {
      for (int b = 0; b < static_cast<int>(buckets); ++b) {
        collective(rank, dp_group, CollectiveOp::kAllGather, parameters * 2.0 / buckets, "dp", kDataParallel, {optimizer});
      }
    }
  }

  const TransformerConfig& m_;
  const TrainingSpec& t_;
  const ParallelStrategy& s_;
  double tokens_;
  TaskId last_compute_ = kNoTask;      // the rank's latest compute-stream task
  TaskId previous_compute_ = kNoTask;  // the one before it
  std::vector<std::pair<TaskId, int>> deferred_;  // (TP collective, compute tasks to skip before waiting on it)
  int dp_;  // simulated data-parallel replicas
  int tp_;  // simulated tensor-parallel ranks per stage
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
                               int gpus, RankSet rank_set) {
  validate_strategy(model, training, strategy, gpus);
  check_lowering_support(model, strategy);
  Builder builder(model, training, strategy, rank_set);
  LoweredTraining lowered;
  lowered.graph = builder.build();
  lowered.microbatches = builder.microbatches();
  lowered.stage_layers = builder.stage_layers();
  lowered.model_flops_per_step = model_flops_per_step(model, training.global_batch, training.seq_len);
  lowered.hardware_flops_per_step = lowered.model_flops_per_step + recompute_flops_per_step(model, training, strategy.recompute);
  lowered.tokens_per_step = static_cast<double>(training.global_batch * training.seq_len);
  return lowered;
}

}  // namespace strata::models
