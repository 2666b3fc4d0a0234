// Pipeline schedules: the order in which each pipeline stage runs its forward and backward passes, and
// everything else that depends on the schedule. One descriptor per schedule, in its own file under
// models/strategy/schedules/, listed once in schedules/schedule_registry.cpp; nothing else names a schedule.
// Adding one: a file defining a PipelineScheduleKind and its accessor, plus its entry in the registry.
//
// A descriptor states:
//  - its scenario word and candidate-name suffix, and the vpp it takes (virtual stages per rank: model
//  chunks,
//    loops or waves);
//  - its own checks (beyond the general ones of validate_strategy);
//  - placement: which virtual stage (layers counted from the embedding) each of a rank's model chunks runs,
//    which way a chunk's activations travel, which micro-batches a chunk processes;
//  - the pass order of each stage;
//  - for the steady-state extrapolation and the search's lower bound: the multiple the micro-batch count must
//    be, and whether a long step is affine in it;
//  - for the search: the micro-batches in flight on the first stage (its activation memory estimate) and
//    whether it is tried when a search does not list schedules.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "models/strategy/parallel_strategy.hpp"

namespace strata::models {

// PassKind is declared with the execution graph (models/graph/execution_graph.hpp): tasks carry it.
struct PipelinePass {
  PassKind kind = PassKind::kForward;
  std::int64_t microbatch = 0;
  int chunk = 0;  // model chunk of the rank (PipelineScheduleKind::virtual_stage)
};

// Where a virtual stage runs: a model chunk of a pipeline rank.
struct ChunkPlace {
  int chunk = 0;
  int stage = 0;
};

class PipelineScheduleKind {
 public:
  // `field` is the strategy key the error names ("vpp", "pp", "micro_batch", ...).
  using Fail = std::function<void(const std::string& field, const std::string& detail)>;

  virtual ~PipelineScheduleKind() = default;

  virtual std::string_view name() const = 0;
  // Appended to a search candidate's name ("" for 1F1B and interleaved, whose vpp names them).
  virtual std::string_view candidate_suffix() const = 0;
  // The vpp values it takes: [min_vpp, max_vpp], and whether vpp must be even.
  virtual int min_vpp() const { return 1; }
  virtual int max_vpp() const { return 1; }
  virtual bool even_vpp() const { return false; }
  // Checks beyond validate_strategy's and the vpp range, for a step of `microbatches` micro-batches.
  virtual void validate(const ParallelStrategy& s, std::int64_t microbatches, const Fail& fail) const;

  // Model chunks one rank holds.
  virtual int chunks_per_rank(const ParallelStrategy& s) const { return s.vpp; }
  // The virtual stage chunk `chunk` of rank `stage` runs (0 .. virtual_stages - 1).
  virtual int virtual_stage(const ParallelStrategy& s, int chunk, int stage) const {
    return chunk * s.pp + stage;
  }
  // The virtual stages the model is split into (pp x vpp for the looped placements).
  virtual int virtual_stages(const ParallelStrategy& s) const { return s.pp * s.vpp; }
  // Where virtual stage `vs` runs for a micro-batch that `chunk` processes (schedules that hold two copies of
  // the model, like DualPipe, keep each micro-batch in one copy).
  virtual ChunkPlace place_of(const ParallelStrategy& s, int /*chunk*/, int vs) const {
    return {vs / s.pp, vs % s.pp};
  }
  // Whether `chunk`'s forward activations travel from higher ranks to lower ones; its transfers then use
  // streams of their own, so the two directions never queue behind each other.
  virtual bool reversed(const ParallelStrategy& /*s*/, int /*chunk*/) const { return false; }
  // The micro-batches chunk `chunk` processes: [first, last].
  virtual std::pair<std::int64_t, std::int64_t> chunk_microbatches(const ParallelStrategy& /*s*/,
                                                                   std::int64_t microbatches,
                                                                   int /*chunk*/) const {
    return {0, microbatches - 1};
  }

  // Copies of the model the pipeline holds (2 for the bidirectional schedules: each rank holds stages of both
  // directions). The copies' gradients are summed between the two ranks that hold a stage before the
  // optimizer step (deepseek-ai/DualPipe, examples/example_dualpipe.py: p0.grad += the mirror rank's
  // p1.grad).
  virtual int model_copies() const { return 1; }
  // The rank holding the other copy of rank `stage`'s stages (model_copies() == 2).
  int mirror_stage(const ParallelStrategy& s, int stage) const { return s.pp - 1 - stage; }
  // Whether consecutive passes of one chunk in the same direction share its weights: ZeRO-3 gathers them
  // once for the run and reduce-scatters the chunk's gradients once, after its last micro-batch
  // (breadth-first pipelines, Lamy-Poirier 2023, section 4.2). Otherwise every pass gathers and reduces, as
  // PyTorch FSDP does per micro-batch.
  virtual bool shares_weights_across_microbatches() const { return false; }

  // The passes rank `stage` runs, in order.
  virtual std::vector<PipelinePass> order(const ParallelStrategy& s, std::int64_t microbatches,
                                          int stage) const = 0;
  // Every rank's passes (index: stage); schedules that find all ranks' orders at once override it.
  virtual std::vector<std::vector<PipelinePass>> orders(const ParallelStrategy& s,
                                                        std::int64_t microbatches) const;

  // The micro-batch count must be a multiple of this (the extrapolation steps by it).
  virtual std::int64_t microbatch_multiple(const ParallelStrategy& /*s*/) const { return 1; }
  // Whether every micro-batch past the warm-up adds the same work, so that a long step is affine in the
  // micro-batch count (scenarios/runner/steady_state_run.hpp) and the lower bound follows from small steps.
  virtual bool extrapolates() const { return true; }

  // Micro-batches whose activations of one chunk the first stage holds at its peak, summed over its chunks
  // and divided by its chunks' activations of one micro-batch: the factor of the search's memory estimate.
  virtual double in_flight_microbatches(const ParallelStrategy& s, std::int64_t microbatches) const = 0;
  // Whether a search that does not list schedules tries this one (for this model).
  virtual bool searched_by_default(const TransformerConfig& /*model*/) const { return true; }
};

// Every schedule, in registry order.
std::span<const PipelineScheduleKind* const> pipeline_schedules();
// The schedule called `name`, or null.
const PipelineScheduleKind* find_pipeline_schedule(std::string_view name);
// The schedule called `name`; sim::InputError listing the names when there is none.
const PipelineScheduleKind& pipeline_schedule(std::string_view name);
// "1f1b, interleaved, gpipe, ..." in registry order, for messages.
std::string pipeline_schedule_names();

// The vpp range, evenness and the descriptor's own checks of the strategy's schedule.
void validate_schedule(const ParallelStrategy& s, std::int64_t microbatches,
                       const PipelineScheduleKind::Fail& fail);

// The strategy's schedule applied to it (the descriptor's methods with s bound).
int pass_virtual_stage(const ParallelStrategy& s, int chunk, int stage);
int chunks_per_rank(const ParallelStrategy& s);
int virtual_stages(const ParallelStrategy& s);
std::vector<PipelinePass> pipeline_order(const ParallelStrategy& s, std::int64_t microbatches, int stage);

}  // namespace strata::models
