#include "models/strategy/training_lowering.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

#include "models/strategy/data_parallel_lowering.hpp"
#include "models/strategy/layer_lowering.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "models/strategy/rank_groups.hpp"
#include "models/strategy/rank_layout.hpp"
#include "models/strategy/zero3_units.hpp"
#include "sim/error.hpp"

namespace strata::models {
namespace {

// HBM traffic per logit of the vocab-parallel cross entropy (Megatron-Core tensor_parallel/cross_entropy.py,
// one unfused PyTorch op per pass over the [tokens, V/t] logits). Forward: cast the 16-bit logits to fp32
// (read 2, write 4), max (read 4), subtract the max in place (8), exp in place (8), sum (4), divide by the
// sum to keep the softmax for the backward (8): 38 bytes. Backward: scale the saved softmax by the loss
// gradient in place (8), cast it back to 16 bits for the head's GEMMs (read 4, write 2): 14 bytes. The
// per-token gathers and the three [tokens]-sized TP all-reduces are left out.
constexpr double kCrossEntropyForwardBytes = 38.0;
constexpr double kCrossEntropyBackwardBytes = 14.0;
// The embedding's backward in PyTorch is dense (nn.Embedding, sparse=False): a zeroed 16-bit gradient of the
// whole [V/t, h] table is written and the token rows scattered into it; Megatron's gradient hook then adds it
// to the fp32 main_grad buffer (read 2 + 4, write 4). Per table element and micro-batch: 2 + 10 bytes.
constexpr double kEmbeddingGradientBytes = 12.0;

// Why a step does not fit one graph; `needs` says how many tasks it would take ("about N").
std::string too_large_reason(std::int64_t microbatches, int layers, const std::string& needs,
                             std::size_t max_tasks) {
  return "a step of " + std::to_string(microbatches) + " micro-batches over " + std::to_string(layers) +
         " layers needs " + needs + " simulated tasks, more than the " + std::to_string(max_tasks) +
         " one graph may hold; use fewer micro-batches per step (a larger micro_batch or dp, or a smaller "
         "global_batch) or "
         "more pipeline stages";
}

class Builder {
 public:
  Builder(const TransformerConfig& model, const TrainingSpec& training, const ParallelStrategy& strategy,
          RankSet rank_set, std::size_t max_tasks)
      : max_tasks_(max_tasks),
        m_(model),
        t_(training),
        s_(strategy),
        layout_(strategy),
        emit_(graph_),
        layer_(model, training, strategy, emit_),
        data_(strategy, emit_),
        locals_(rank_set == RankSet::kAll ? strategy.stage_ranks() : 1),
        collapsed_(rank_set == RankSet::kSymmetricOnce) {
    graph_.ranks = s_.pp * locals_;
    if (collapsed_) {
      graph_.gpus = strategy.world_size();
      for (int p = 0; p < s_.pp; ++p) graph_.gpu_of_rank.push_back(layout_.gpu(p, 0));
    } else if (!strategy.placement.is_default()) {  // by default rank r is on GPU r
      for (int p = 0; p < s_.pp; ++p) {
        for (int local = 0; local < locals_; ++local) graph_.gpu_of_rank.push_back(layout_.gpu(p, local));
      }
    }
    graph_.streams = lowering_stream_names();
    stage_layers_ = split_layers(model.layers, virtual_stages(strategy), strategy.stage_layers);
    first_layer_.assign(stage_layers_.size(), 0);
    for (std::size_t vs = 1; vs < stage_layers_.size(); ++vs)
      first_layer_[vs] = first_layer_[vs - 1] + stage_layers_[vs - 1];
    microbatches_ = strategy.microbatches(training);
    orders_ = strategy.schedule->orders(strategy, microbatches_);
    RankGroupBuilder communicators(model, strategy, graph_, locals_, collapsed_);
    for (int rank = 0; rank < graph_.ranks; ++rank) groups_.push_back(communicators.groups_of(rank));
    embedding_parameters_ = static_cast<double>(model.vocab) * model.hidden;
    // Per layer and per virtual stage, once: every micro-batch's passes look them up.
    for (int layer = 0; layer < model.layers; ++layer) {
      const LayerParameters p = layer_parameters(model, layer);
      layer_parameters_.push_back({p.dense / strategy.tp, p.expert / (strategy.ep * strategy.expert_tp)});
    }
    if (zero3()) {
      for (int layer = 0; layer < model.layers; ++layer)
        zero3_units_.push_back(models::zero3_units(model, strategy, layer, data_parallel_parameters(layer)));
    }
    for (std::size_t vs = 0; vs < stage_layers_.size(); ++vs)
      activation_bytes_.push_back(stage_activation_bytes(static_cast<int>(vs)));
  }

  // Ranks hold about the same number of tasks (stages differ by a layer or the head), so once the first is
  // built the rest are reserved at once: growing a vector of this size one doubling at a time moved every
  // task several times and was a tenth of a search's time.
  // Empty when the step turns out too large to hold (too_large() says why); building stops there.
  std::optional<ExecutionGraph> build() {
    for (int rank = 0; rank < graph_.ranks; ++rank) {
      if (!build_rank(rank)) return std::nullopt;
      if (rank == 0 && graph_.ranks > 1)
        graph_.tasks.reserve(graph_.tasks.size() * static_cast<std::size_t>(graph_.ranks) * 9 / 8);
    }
    return std::move(graph_);
  }
  const std::string& too_large() const { return too_large_; }
  const std::vector<int>& stage_layers() const { return stage_layers_; }
  std::int64_t microbatches() const { return microbatches_; }

 private:
  int stage_of(int rank) const { return rank / locals_; }
  int local_of(int rank) const { return rank % locals_; }

  bool reduces_gradients() const { return models::reduces_gradients(m_, s_); }
  // ZeRO-3 / FSDP (Rajbhandari et al. 2020, stage 3; PyTorch FSDP): a layer's 16-bit weights are all-gathered
  // before its forward and again before its backward, one layer ahead of use (the gather for a layer waits
  // for the previous layer to start), and its gradients are reduce-scattered right after its backward.
  bool zero3() const { return s_.zero >= 3 && reduces_gradients(); }
  // Buckets reduced while the backward runs: only data-parallel reductions of whole buckets (not ZeRO-3,
  // which reduces per layer).
  bool overlapped_reduction() const { return s_.dp_overlap && reduces_gradients() && !zero3(); }
  bool overlapped_gather() const {
    return s_.dp_overlap && reduces_gradients() && (s_.zero == 1 || s_.zero == 2);
  }
  CollectiveOp reduction_op() const {
    return s_.zero >= 1 ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce;
  }

  // Parameters one GPU holds of a (global) layer.
  SplitBytes layer_parameters_on_gpu(int layer) const {
    return layer_parameters_[static_cast<std::size_t>(layer)];
  }
  // The part of them the data-parallel machinery (buckets, ZeRO) moves: without the routed experts under
  // FSSDP, which materialises and reduces them itself (materialize_experts, return_expert_gradients).
  SplitBytes data_parallel_parameters(int layer) const {
    SplitBytes p = layer_parameters_on_gpu(layer);
    if (s_.fssdp) p.expert = 0;
    return p;
  }
  std::vector<TaskId> split_collective(int rank, CollectiveOp op, SplitBytes bytes, int stream,
                                       std::vector<TaskId> deps) {
    return data_.collective(rank, groups_[static_cast<std::size_t>(rank)].data, op, bytes, stream,
                            std::move(deps));
  }
  std::vector<TaskId> reduce_gradients(int rank, CollectiveOp op, SplitBytes bytes, int stream,
                                       TaskId ready) {
    return data_.reduce_gradients(rank, groups_[static_cast<std::size_t>(rank)].data, op, bytes, stream,
                                  ready);
  }

  // Gradients accumulate in bucket order; a full bucket is reduced (on the dp stream) once the task that
  // produced its last gradient is done (Megatron-Core's overlap-grad-reduce, PyTorch DDP).
  struct GradientBuckets {
    Builder* builder;
    SplitBytes pending;
    std::vector<TaskId> reductions;
    void add(int rank, SplitBytes bytes, TaskId ready) {
      pending.dense += bytes.dense;
      pending.expert += bytes.expert;
      if (pending.total() >= static_cast<double>(builder->s_.dp_bucket_bytes)) flush(rank, ready);
    }
    void flush(int rank, TaskId ready) {
      if (pending.total() <= 0) return;
      for (TaskId id :
           builder->reduce_gradients(rank, builder->reduction_op(), pending, kDataParallel, ready))
        reductions.push_back(id);
      pending = {};
    }
  };

  // ZeRO-1/2 with dp_overlap: the updated 16-bit weights are all-gathered bucket by bucket (forward order)
  // at the start of the step, the previous optimizer step's gather, and each layer's first forward waits for
  // its bucket. Returns, per model chunk, the gathers each layer waits for.
  std::vector<std::vector<std::vector<TaskId>>> overlapped_parameter_gather(int rank, int stage) {
    std::vector<std::vector<std::vector<TaskId>>> ready(static_cast<std::size_t>(chunks_per_rank(s_)));
    SplitBytes pending;
    std::vector<std::pair<int, int>> waiting;  // (chunk, layer) covered by the pending bucket
    const auto flush = [&] {
      const std::vector<TaskId> gathers =
          split_collective(rank, CollectiveOp::kAllGather,
                           {pending.dense * kWeightBytes, pending.expert * kWeightBytes}, kDataParallel, {});
      for (const auto& [chunk, layer] : waiting)
        ready[static_cast<std::size_t>(chunk)][static_cast<std::size_t>(layer)] = gathers;
      waiting.clear();
      pending = {};
    };
    const int last_virtual_stage = static_cast<int>(stage_layers_.size()) - 1;
    bool head = false;
    for (int chunk = 0; chunk < chunks_per_rank(s_); ++chunk) {
      const int vs = pass_virtual_stage(s_, chunk, stage);
      const int layers = stage_layers_[static_cast<std::size_t>(vs)];
      ready[static_cast<std::size_t>(chunk)].resize(static_cast<std::size_t>(layers));
      if (vs == 0) pending.dense += embedding_parameters_ / s_.tp;
      head = head || vs == last_virtual_stage;
      for (int l = 0; l < layers; ++l) {
        const SplitBytes p = data_parallel_parameters(first_layer_[static_cast<std::size_t>(vs)] + l);
        pending.dense += p.dense;
        pending.expert += p.expert;
        waiting.emplace_back(chunk, l);
        if (pending.total() * s_.gradient_bytes >= static_cast<double>(s_.dp_bucket_bytes)) flush();
      }
    }
    if (head) pending.dense += embedding_parameters_ / s_.tp;
    if (pending.total() > 0) flush();
    return ready;
  }

  // Weights a layer is run with that the GPU does not keep: ZeRO-3 gathers them, parameter offload fetches
  // them.
  bool transient_weights() const { return zero3() || s_.offload_parameters; }

  // Where a pass stands in its run of consecutive passes over the same chunk in the same direction: weights
  // fetched for the run's first pass serve the rest when the schedule shares them
  // (PipelineScheduleKind::shares_weights_across_microbatches), and the run's last pass reduces its
  // gradients. Every pass is a run of its own otherwise.
  struct WeightRun {
    bool first = true;
    bool last = true;
    // FSSDP: the step's first forward of the chunk materialises its experts, the pass that completes the
    // chunk's gradients returns theirs.
    bool first_of_step = false;
    bool last_of_step = false;
  };
  std::vector<WeightRun> weight_runs(const std::vector<PipelinePass>& order) const {
    std::vector<WeightRun> runs(order.size());
    // Each chunk's first forward and the last pass that completes gradients (a backward, or a zero-bubble W).
    std::map<int, std::size_t> first_forward;
    std::map<int, std::size_t> last_gradients;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (order[i].kind == PassKind::kForward) first_forward.emplace(order[i].chunk, i);
      if (order[i].kind == PassKind::kBackward || order[i].kind == PassKind::kWeightGradient) {
        last_gradients[order[i].chunk] = i;
      }
    }
    for (const auto& [chunk, i] : first_forward) runs[i].first_of_step = true;
    for (const auto& [chunk, i] : last_gradients) runs[i].last_of_step = true;
    if (!s_.schedule->shares_weights_across_microbatches()) return runs;
    const auto direction = [](const PipelinePass& p) { return p.kind == PassKind::kForward; };
    for (std::size_t i = 0; i < order.size(); ++i) {
      runs[i].first =
          i == 0 || order[i - 1].chunk != order[i].chunk || direction(order[i - 1]) != direction(order[i]);
      runs[i].last = i + 1 == order.size() || order[i + 1].chunk != order[i].chunk ||
                     direction(order[i + 1]) != direction(order[i]);
    }
    return runs;
  }

  const std::vector<Zero3Unit>& zero3_units(int layer) const {
    return zero3_units_[static_cast<std::size_t>(layer)];
  }

  // The dependencies of a layer's first task: with ZeRO-3, the all-gathers of its weights, issued once the
  // previous layer has started (one layer of prefetch), or with a framework that does not prefetch
  // (framework.zero3_prefetch false) once the GPU has finished the work queued before (`previous_end`: the
  // last compute task so far and, in backward, the last gradient reduction: a device synchronisation waits
  // for every stream); with parameter offload, first the copy of the rank's weight shard from the
  // offload tier. The gathered weights are held (memory) until the layer is done (`release_weights`). Empty
  // otherwise.
  std::vector<TaskId> gathered_weights(int rank, int layer, bool backward, bool first_of_pass,
                                       TaskId previous_start, std::vector<TaskId> previous_end,
                                       WeightRun run) {
    if (!transient_weights() || !run.first) return {};
    const SplitBytes p = data_parallel_parameters(layer);
    const SplitBytes weights{p.dense * kWeightBytes, p.expert * kWeightBytes};
    std::vector<TaskId> window;
    if (!s_.framework.zero3_prefetch.value) {
      for (const TaskId id : previous_end)
        if (id != kNoTask) window.push_back(id);
    } else if (!first_of_pass) {
      window.push_back(previous_start);
    }
    if (s_.offload_parameters) {
      window = {emit_.host_transfer(rank, kHostToDevice,
                                    "weights from " + std::string(memory_tier_name(s_.offload)), s_.offload,
                                    MemoryTier::kHbm, data_.shard_of(weights), std::move(window))};
    }
    std::vector<TaskId> gathers;
    if (zero3()) {
      for (const Zero3Unit& unit : zero3_units(layer)) {
        if (!unit.gathered) continue;
        const SplitBytes bytes{unit.parameters.dense * kWeightBytes, unit.parameters.expert * kWeightBytes};
        // A tensor released after the recompute forward is gathered for it and again for its backward.
        const int times = backward && unit.regathered ? 2 : 1;
        for (int i = 0; i < times; ++i) {
          std::vector<TaskId> gathered =
              split_collective(rank, CollectiveOp::kAllGather, bytes, kGather, window);
          if (s_.framework.zero3_copies_per_rank.value && !gathered.empty())
            gathered = {
                data_.list_api_copies(rank, "all_gather output copies", bytes, kGather, std::move(gathered))};
          gathers.insert(gathers.end(), gathered.begin(), gathered.end());
        }
      }
    }
    if (gathers.empty()) gathers = window;
    return {emit_.memory(rank, weights.total(), "gathered weights", std::move(gathers))};
  }
  void release_weights(int rank, int layer, WeightRun run) {
    if (!transient_weights() || !run.last) return;
    const SplitBytes p = data_parallel_parameters(layer);
    emit_.memory(rank, -(p.dense + p.expert) * kWeightBytes, "gathered weights");
  }

  // FSSDP (ParallelStrategy::fssdp): before the step's first forward of a layer, one sparse all-gather over
  // the stage brings in the 16-bit weights of the experts the rank hosts (one layer ahead, as ZeRO-3's
  // gathers); they and their gradient accumulators are held for the step. After the pass that completes the
  // layer's gradients, one sparse reduce-scatter returns the hosted experts' gradients to their shards.
  void materialize_experts(int rank, int layer, bool first_of_pass, TaskId previous_start,
                           std::vector<TaskId>& deps) {
    const double experts = layer_parameters_on_gpu(layer).expert;
    if (!s_.fssdp || experts <= 0) return;
    std::vector<TaskId> window;
    if (!first_of_pass) window.push_back(previous_start);
    const TaskId gather =
        emit_.collective(rank, groups_[static_cast<std::size_t>(rank)].data.fssdp, CollectiveOp::kAllGather,
                         experts * kWeightBytes, TimeCategory::kDataParallel, kGather, window);
    deps.push_back(
        emit_.memory(rank, experts * (kWeightBytes + s_.gradient_bytes), "materialized experts", {gather}));
  }
  void return_expert_gradients(int rank, int layer, TaskId ready, std::vector<TaskId>& reductions,
                               WeightRun run) {
    const double experts = layer_parameters_on_gpu(layer).expert;
    if (!s_.fssdp || experts <= 0 || !run.last_of_step) return;
    reductions.push_back(emit_.collective(rank, groups_[static_cast<std::size_t>(rank)].data.fssdp,
                                          CollectiveOp::kReduceScatter, experts * s_.gradient_bytes,
                                          TimeCategory::kDataParallel, kReduce, {ready}));
    emit_.memory(rank, -experts * (kWeightBytes + s_.gradient_bytes), "materialized experts");
  }

  // `ready[l]`, when given, are the tasks layer l's forward must wait for (its bucket of the overlapped
  // ZeRO-1/2 parameter all-gather).
  void forward_layers(int rank, int vs, const std::vector<std::vector<TaskId>>* ready, WeightRun run) {
    TaskId previous_start = 0;
    const int first = first_layer_[static_cast<std::size_t>(vs)];
    for (int l = 0; l < stage_layers_[static_cast<std::size_t>(vs)]; ++l) {
      emit_.set_layer(first + l);
      std::vector<TaskId> deps =
          gathered_weights(rank, first + l, false, l == 0, previous_start, {emit_.last_compute()}, run);
      if (run.first_of_step) materialize_experts(rank, first + l, l == 0, previous_start, deps);
      if (ready != nullptr)
        deps.insert(deps.end(), (*ready)[static_cast<std::size_t>(l)].begin(),
                    (*ready)[static_cast<std::size_t>(l)].end());
      previous_start =
          layer_.forward(rank, groups_[static_cast<std::size_t>(rank)].layer, first + l, std::move(deps));
      release_weights(rank, first + l, run);
    }
    emit_.set_layer(TaskOrigin::kNone);
  }

  // A layer's gradients are ready (after its backward, or its W pass under ZB-H1): into the overlapped
  // buckets, or with ZeRO-3 reduce-scattered at once, or at the end of the run that shares the weights
  // (returned for the optimizer to wait on).
  void gradients_ready(int rank, int layer, TaskId ready, GradientBuckets* buckets,
                       std::vector<TaskId>& reductions, WeightRun run) {
    return_expert_gradients(rank, layer, ready, reductions, run);
    const SplitBytes p = data_parallel_parameters(layer);
    const SplitBytes bytes{p.dense * s_.gradient_bytes, p.expert * s_.gradient_bytes};
    if (buckets != nullptr) buckets->add(rank, bytes, ready);
    if (zero3() && run.last) {
      for (const Zero3Unit& unit : zero3_units(layer)) {
        const SplitBytes unit_bytes{unit.parameters.dense * s_.gradient_bytes,
                                    unit.parameters.expert * s_.gradient_bytes};
        const TaskId staged =
            s_.framework.zero3_copies_per_rank.value
                ? data_.list_api_copies(rank, "reduce_scatter input copies", unit_bytes, kReduce, {ready})
                : ready;
        for (TaskId id : reduce_gradients(rank, CollectiveOp::kReduceScatter, unit_bytes, kReduce, staged))
          reductions.push_back(id);
      }
    }
  }

  // Backward of the virtual stage's layers, last first. With `held` (ZB-H1's B pass) the weight gradients
  // are kept per layer for the W pass and no gradient is ready yet.
  void backward_layers(int rank, int vs, GradientBuckets* buckets, std::vector<TaskId>& reductions,
                       std::vector<std::pair<int, LayerWeightGradients>>* held, WeightRun run) {
    TaskId previous_start = 0;
    const int first = first_layer_[static_cast<std::size_t>(vs)];
    const int layers = stage_layers_[static_cast<std::size_t>(vs)];
    for (int l = 0; l < layers; ++l) {
      const int layer = first + layers - 1 - l;  // backward runs the layers in reverse
      emit_.set_layer(layer);
      LayerWeightGradients* keep = nullptr;
      if (held != nullptr) keep = &held->emplace_back(layer, LayerWeightGradients{}).second;
      const auto [start, last] = layer_.backward(
          rank, groups_[static_cast<std::size_t>(rank)].layer, layer,
          gathered_weights(rank, layer, true, l == 0, previous_start,
                           {emit_.last_compute(), reductions.empty() ? kNoTask : reductions.back()}, run),
          keep);
      previous_start = start;
      release_weights(rank, layer, run);
      if (held == nullptr) gradients_ready(rank, layer, last, buckets, reductions, run);
    }
    emit_.set_layer(TaskOrigin::kNone);
  }

  // Activations one micro-batch keeps on a virtual stage until its backward (memory_model.hpp).
  double activation_bytes(int vs) const { return activation_bytes_[static_cast<std::size_t>(vs)]; }
  double stage_activation_bytes(int vs) const {
    const ActivationInputs in = activation_inputs(m_, t_, s_);
    double bytes = 0;
    const int first = first_layer_[static_cast<std::size_t>(vs)];
    for (int l = 0; l < stage_layers_[static_cast<std::size_t>(vs)]; ++l)
      bytes += layer_activation_bytes(m_, first + l, in);
    if (vs == static_cast<int>(stage_layers_.size()) - 1) bytes += output_activation_bytes(m_, in);
    return bytes;
  }

  // A step too long to hold as one graph is found before memory runs out: after each pass the graph's final
  // size is projected from the passes built so far on this rank (rank_start: the graph's size when the rank
  // began; the ranks hold about as many tasks each). False (and too_large_ set) when it will not fit.
  bool check_graph_size(int rank, std::size_t rank_start, std::size_t passes_done, std::size_t passes) {
    const std::size_t built = graph_.tasks.size();
    std::size_t projected = built;
    if (passes_done > 0) {
      const double per_pass = static_cast<double>(built - rank_start) / static_cast<double>(passes_done);
      const double rest =
          static_cast<double>(passes - passes_done) + static_cast<double>(passes) * (graph_.ranks - rank - 1);
      projected = static_cast<std::size_t>(std::min(1e18, static_cast<double>(built) + per_pass * rest));
    }
    if (projected <= max_tasks_) return true;
    too_large_ = too_large_reason(microbatches_, m_.layers, "about " + std::to_string(projected), max_tasks_);
    return false;
  }

  // False when the step is too large (check_graph_size).
  bool build_rank(int rank) {
    const int stage = stage_of(rank);
    const int local = local_of(rank);
    const int virtual_stages = static_cast<int>(stage_layers_.size());
    const double tokens = layer_.tokens();
    emit_.start_rank();
    // Each TP rank sends its 1/t slice of the boundary activations (sequence parallelism shards them; without
    // it, Megatron-LM's scatter/gather optimisation, on by default since SC21 section 4.1, splits the send
    // and all-gathers over NVLink after the receive, a cost left out here).
    const double boundary_bytes = tokens * m_.hidden * 2.0 / s_.tp;
    emit_.memory(rank, stage_model_state_bytes(m_, s_, stage), "model states");

    const PipelineScheduleKind& schedule = *s_.schedule;
    // The simulated rank that runs virtual stage `vs` for a micro-batch of `chunk`.
    const auto rank_of = [&](int chunk, int vs) {
      return schedule.place_of(s_, chunk, vs).stage * locals_ + local;
    };
    // A transfer's tag: micro-batch, the virtual stage it goes to, direction; sender and receiver agree on
    // it.
    const auto tag = [&](std::int64_t mb, int to_virtual_stage, bool forward) {
      return (static_cast<std::uint64_t>(mb) * static_cast<std::uint64_t>(virtual_stages) +
              static_cast<std::uint64_t>(to_virtual_stage)) *
                 2 +
             (forward ? 0 : 1);
    };
    TaskId last_backward = 0;
    std::vector<TaskId> reductions;
    const std::vector<std::vector<std::vector<TaskId>>> gathered =
        overlapped_gather() ? overlapped_parameter_gather(rank, stage)
                            : std::vector<std::vector<std::vector<TaskId>>>{};
    GradientBuckets buckets{this, {}, {}};
    const SplitBytes head_gradients{embedding_parameters_ / s_.tp * s_.gradient_bytes, 0.0};
    // Zero-bubble schedules: the weight gradients each (micro-batch, chunk)'s B pass held back, by layer (-1:
    // the LM head).
    std::map<std::pair<std::int64_t, int>, std::vector<std::pair<int, LayerWeightGradients>>> held;
    const std::vector<PipelinePass>& order = orders_[static_cast<std::size_t>(stage)];
    const std::vector<WeightRun> runs = weight_runs(order);
    const std::size_t rank_start = graph_.tasks.size();
    std::size_t passes_done = 0;
    for (const auto& [kind, mb, chunk] : order) {
      const WeightRun& run = runs[passes_done];
      if (!check_graph_size(rank, rank_start, passes_done++, order.size())) return false;
      emit_.set_origin({kind, mb, chunk, TaskOrigin::kNone});
      const int vs = pass_virtual_stage(s_, chunk, stage);
      const bool first = vs == 0;
      const bool last = vs == virtual_stages - 1;
      // A chunk whose activations travel from higher ranks to lower ones (DualPipe's reverse direction) has
      // transfer streams of its own, so the two directions never queue behind each other.
      const bool reverse = schedule.reversed(s_, chunk);
      const int downstream = last ? -1 : rank_of(chunk, vs + 1);
      const int upstream = first ? -1 : rank_of(chunk, vs - 1);
      // Neighbouring virtual stages on the same rank (the turn of a V-shaped placement) hand over their
      // activations and gradients in memory: no transfer, and the pass order keeps them in sequence.
      const bool receive_forward = !first && upstream != rank;
      const bool send_forward = !last && downstream != rank;
      const Stream forward_send = reverse ? kReverseSendPrevious : kSendNext;
      const Stream forward_recv = reverse ? kReverseRecvNext : kRecvPrevious;
      const Stream backward_recv = reverse ? kReverseRecvPrevious : kRecvNext;
      const Stream backward_send = reverse ? kReverseSendNext : kSendPrevious;
      // The chunk's gradients are complete after its last gradient pass of the step: the overlapped buckets
      // take them then.
      const bool reduce_now = overlapped_reduction() && run.last_of_step;
      GradientBuckets* bucket_sink = reduce_now ? &buckets : nullptr;
      if (kind == PassKind::kForward) {
        std::vector<TaskId> deps;
        if (receive_forward) {
          deps.push_back(emit_.transfer(rank, forward_recv, TaskType::kRecv, upstream, boundary_bytes,
                                        tag(mb, vs, true)));
        }
        emit_.memory(rank, activation_bytes(vs), "activations", deps);
        if (first) emit_.memory_bound(rank, "embedding", 2.0 * tokens * m_.hidden);
        forward_layers(
            rank, vs,
            run.first_of_step && !gathered.empty() ? &gathered[static_cast<std::size_t>(chunk)] : nullptr,
            run);
        if (last) {
          emit_.gemm(layer_.sixteen_bit(), rank, "lm head", tokens, static_cast<double>(m_.vocab) / s_.tp,
                     m_.hidden);
          emit_.memory_bound(rank, "loss", kCrossEntropyForwardBytes * tokens * m_.vocab / s_.tp);
        } else if (send_forward) {
          const TaskId end = emit_.memory_bound(rank, "stage output", 0.0);
          emit_.transfer(rank, forward_send, TaskType::kSend, downstream, boundary_bytes,
                         tag(mb, vs + 1, true), {end});
        }
        continue;
      }
      if (kind == PassKind::kWeightGradient) {
        TaskId done = 0;
        for (const auto& [layer, gradients] : held[{mb, chunk}]) {
          emit_.set_layer(layer >= 0 ? layer : TaskOrigin::kNone);  // -1: the LM head
          done = layer_.weight_gradients(rank, gradients, {});
          if (layer >= 0)
            gradients_ready(rank, layer, done, bucket_sink, reductions, run);
          else if (bucket_sink != nullptr)
            bucket_sink->add(rank, head_gradients, done);
        }
        held.erase({mb, chunk});
        emit_.set_layer(TaskOrigin::kNone);
        last_backward = emit_.memory(rank, -activation_bytes(vs), "activations");
        if (reduce_now) buckets.flush(rank, last_backward);
        continue;
      }
      const bool split = kind == PassKind::kInputGradient;
      std::vector<std::pair<int, LayerWeightGradients>>* keep = split ? &held[{mb, chunk}] : nullptr;
      std::vector<TaskId> deps;
      if (send_forward) {  // the gradient comes back the way the activations went
        deps.push_back(emit_.transfer(rank, backward_recv, TaskType::kRecv, downstream, boundary_bytes,
                                      tag(mb, vs, false)));
      }
      if (last) {
        emit_.memory_bound(rank, "loss backward", kCrossEntropyBackwardBytes * tokens * m_.vocab / s_.tp,
                           deps);
        emit_.gemm(layer_.sixteen_bit(), rank, "lm head dgrad", tokens, m_.hidden,
                   static_cast<double>(m_.vocab) / s_.tp);
        const LayerWeightGradients head{{"lm head wgrad", layer_.sixteen_bit(),
                                         static_cast<double>(m_.hidden),
                                         static_cast<double>(m_.vocab) / s_.tp, tokens, 1}};
        if (split) {
          keep->emplace_back(-1, head);
        } else {
          const TaskId wgrad = layer_.weight_gradients(rank, head, {});
          if (bucket_sink != nullptr) bucket_sink->add(rank, head_gradients, wgrad);
        }
      } else {
        emit_.memory_bound(rank, "stage input gradient", 0.0, deps);
      }
      backward_layers(rank, vs, split ? nullptr : bucket_sink, reductions, keep, run);
      TaskId end = emit_.last_compute();
      if (first) {
        end = emit_.memory_bound(
            rank, "embedding backward",
            4.0 * tokens * m_.hidden + kEmbeddingGradientBytes * embedding_parameters_ / s_.tp);
        if (bucket_sink != nullptr) bucket_sink->add(rank, head_gradients, end);
      }
      if (!split) {
        last_backward = emit_.memory(rank, -activation_bytes(vs), "activations");
        if (reduce_now) buckets.flush(rank, last_backward);
        end = last_backward;
      }
      if (receive_forward)
        emit_.transfer(rank, backward_send, TaskType::kSend, upstream, boundary_bytes, tag(mb, vs - 1, false),
                       {end});
    }
    reductions.insert(reductions.end(), buckets.reductions.begin(), buckets.reductions.end());
    emit_.set_origin({});  // the step's end belongs to no pass
    finish_step(rank, stage, last_backward, reductions);
    return true;
  }

  // Without overlap, gradient reduction in buckets after the last backward (every bucket waits for it); the
  // optimizer; ZeRO-1/2's all-gather of the updated weights. ZeRO-3 reduced per layer already
  // (`reductions`); only the embedding and LM head are left, reduced here like ZeRO-2.
  void finish_step(int rank, int stage, TaskId last_backward, const std::vector<TaskId>& reductions) {
    std::vector<TaskId> reduced = reductions;
    const LayerParameters parameters = stage_parameters(m_, s_, stage);
    // FSSDP reduced the experts' gradients per layer already and gathers their weights at the next step's
    // first forward: the buckets and ZeRO-1/2's gather carry the dense part only.
    const double bucketed_experts = s_.fssdp ? 0.0 : parameters.expert;
    SplitBytes left{parameters.dense, bucketed_experts};
    if (zero3()) {
      left = {};
      const int last_virtual_stage = static_cast<int>(stage_layers_.size()) - 1;
      for (int chunk = 0; chunk < chunks_per_rank(s_); ++chunk) {
        const int vs = pass_virtual_stage(s_, chunk, stage);
        if (vs == 0) left.dense += embedding_parameters_ / s_.tp;
        if (vs == last_virtual_stage) left.dense += embedding_parameters_ / s_.tp;
      }
    }
    const SplitBytes gradient_bytes{left.dense * s_.gradient_bytes, left.expert * s_.gradient_bytes};
    const double buckets =
        std::max(1.0, std::ceil(gradient_bytes.total() / static_cast<double>(s_.dp_bucket_bytes)));
    if (gradient_bytes.total() > 0 && !overlapped_reduction()) {
      for (int b = 0; b < static_cast<int>(buckets); ++b) {
        const SplitBytes bucket{gradient_bytes.dense / buckets, gradient_bytes.expert / buckets};
        for (TaskId id : reduce_gradients(rank, reduction_op(), bucket, kDataParallel, last_backward))
          reduced.push_back(id);
      }
    }
    const double sharded = data_.optimizer_parameters({parameters.dense, parameters.expert});
    const int mirror = groups_[static_cast<std::size_t>(rank)].mirror;
    if (mirror >= 0) {
      // The two copies' gradients summed with the mirror rank, after the data-parallel reduction: the rank's
      // shard of them (all of them without ZeRO).
      reduced.push_back(last_backward);
      reduced = {emit_.collective(rank, mirror, CollectiveOp::kAllReduce, sharded * s_.gradient_bytes,
                                  TimeCategory::kDataParallel, kDataParallel, std::move(reduced))};
    }
    const TaskId optimizer = data_.optimizer_step(rank, sharded, std::move(reduced));
    if (s_.zero >= 1 && s_.zero <= 2 && !overlapped_gather()) {
      for (int b = 0; b < static_cast<int>(buckets); ++b) {
        split_collective(
            rank, CollectiveOp::kAllGather,
            {parameters.dense * kWeightBytes / buckets, bucketed_experts * kWeightBytes / buckets},
            kDataParallel, {optimizer});
      }
    }
  }

  std::size_t max_tasks_;
  std::string too_large_;
  const TransformerConfig& m_;
  const TrainingSpec& t_;
  const ParallelStrategy& s_;
  RankLayout layout_;
  ExecutionGraph graph_;
  TaskEmitter emit_;
  LayerLowering layer_;
  DataParallelLowering data_;
  int locals_;  // simulated ranks per stage: every tp x cp x dp rank, or one standing for them
  bool collapsed_;
  std::vector<int> stage_layers_;
  std::vector<int> first_layer_;  // per virtual stage: its first global layer
  std::int64_t microbatches_ = 0;
  std::vector<RankGroups> groups_;                 // per simulated rank
  std::vector<std::vector<PipelinePass>> orders_;  // per stage
  double embedding_parameters_ = 0;
  std::vector<SplitBytes> layer_parameters_;         // per global layer, on one GPU
  std::vector<std::vector<Zero3Unit>> zero3_units_;  // per global layer, with ZeRO-3 (zero3_units.hpp)
  std::vector<double> activation_bytes_;             // per virtual stage, one micro-batch
};

}  // namespace

LoweringOutcome lower_training_within(const TransformerConfig& model, const TrainingSpec& training,
                                      const ParallelStrategy& strategy, int gpus, RankSet rank_set,
                                      std::size_t max_tasks) {
  validate_strategy(model, training, strategy, gpus);
  LoweringOutcome outcome;
  // Every layer runs at least kMinTasksPerLayerPass tasks in its forward and as many in its backward per
  // micro-batch on each simulated rank of its stage: a floor on the graph's size, checked before anything
  // is built, so that a step far over the limit (a config of 100,000 layers) costs nothing to refuse.
  const double floor_tasks = 2.0 * kMinTasksPerLayerPass *
                             static_cast<double>(strategy.microbatches(training)) * model.layers *
                             (rank_set == RankSet::kAll ? strategy.stage_ranks() : 1);
  if (floor_tasks > static_cast<double>(max_tasks)) {
    outcome.too_large =
        too_large_reason(strategy.microbatches(training), model.layers,
                         "at least " + std::to_string(static_cast<std::int64_t>(floor_tasks)), max_tasks);
    return outcome;
  }
  Builder builder(model, training, strategy, rank_set, max_tasks);
  std::optional<ExecutionGraph> graph = builder.build();
  if (!graph) {
    outcome.too_large = builder.too_large();
    return outcome;
  }
  LoweredTraining& lowered = outcome.lowered.emplace();
  lowered.graph = std::move(*graph);
  lowered.microbatches = builder.microbatches();
  lowered.stage_layers = builder.stage_layers();
  lowered.model_flops_per_step = model_flops_per_step(model, training.global_batch, training.seq_len);
  lowered.hardware_flops_per_step =
      lowered.model_flops_per_step + recompute_flops_per_step(model, training, strategy.recompute);
  lowered.tokens_per_step = static_cast<double>(training.global_batch * training.seq_len);
  return outcome;
}

LoweredTraining lower_training(const TransformerConfig& model, const TrainingSpec& training,
                               const ParallelStrategy& strategy, int gpus, RankSet rank_set,
                               std::size_t max_tasks) {
  LoweringOutcome outcome = lower_training_within(model, training, strategy, gpus, rank_set, max_tasks);
  if (!outcome.lowered) throw sim::InputError(outcome.too_large);
  return std::move(*outcome.lowered);
}

}  // namespace strata::models
