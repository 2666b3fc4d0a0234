// Pass orders for the schedules their papers describe by a placement and a priority rather than by closed
// formulas (Hanayo, BitPipe): a list scheduler runs an idealised step and every rank's order is what it ran.
//
// The idealised step: a chunk's forward pass takes 1 unit and its backward 2 (the F:B = 1:2 both papers
// assume when they count bubbles), transfers are free. Whenever a rank is idle it starts the ready pass its
// depth-first priority ranks first: a backward (the one ready longest, then the lowest micro-batch), else a
// forward (ready longest, then the furthest along its route, then the lowest micro-batch). A new micro-batch
// enters its route only while fewer than `admitted` of its copy are in flight (entered, backward of its first
// virtual stage not done), which bounds activation memory as 1F1B's warm-up does.
//
// The orders are deadlock-free with any real pass times: every pass's inputs come from passes that precede
// it in one global order (the idealised run's), and each rank runs its passes in that order.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "models/strategy/pipeline_schedule.hpp"

namespace strata::models {

struct ListScheduleInput {
  int ranks = 1;
  int virtual_stages = 1;  // length of every micro-batch's route
  std::int64_t microbatches = 0;
  int copies = 1;    // admission queues: micro-batches enter per copy of the model
  int admitted = 1;  // micro-batches of one copy in flight at most
  // Where micro-batch `mb` runs virtual stage `vs` (its copy's chunk and rank), and which copy it is in.
  std::function<ChunkPlace(std::int64_t mb, int vs)> place;
  std::function<int(std::int64_t mb)> copy_of;
};

// Every rank's passes, index: rank.
std::vector<std::vector<PipelinePass>> list_scheduled_orders(const ListScheduleInput& input);

// The most activations (chunk passes between their forward and their backward) rank `stage` holds over
// `order`, divided by `chunks`: micro-batches in flight in the units of in_flight_microbatches.
double peak_in_flight(const std::vector<PipelinePass>& order, int chunks);

// V-shaped placement (Hanayo's waves, BitPipe's V-shaped schedule): virtual stage vs of p ranks runs chunk
// vs / p on rank vs mod p for even chunks and p - 1 - (vs mod p) for odd ones, so consecutive chunks meet
// on the same rank at each turn of the V.
ChunkPlace v_shape_place(int p, int vs);
int v_shape_virtual_stage(int p, int chunk, int stage);

// A schedule whose orders come from the list scheduler: it says what to schedule (list_input), the rest
// follows. Its steady state need not repeat every micro-batch, so its steps are simulated whole; the
// search's memory estimate counts the activations the first rank's order holds; it is searched only when
// listed.
class ListScheduledKind : public PipelineScheduleKind {
 public:
  virtual ListScheduleInput list_input(const ParallelStrategy& s, std::int64_t microbatches) const = 0;

  std::vector<std::vector<PipelinePass>> orders(const ParallelStrategy& s, std::int64_t m) const override {
    return list_scheduled_orders(list_input(s, m));
  }
  std::vector<PipelinePass> order(const ParallelStrategy& s, std::int64_t m, int stage) const override {
    return orders(s, m).at(static_cast<std::size_t>(stage));
  }
  bool extrapolates() const override { return false; }
  double in_flight_microbatches(const ParallelStrategy& s, std::int64_t m) const override {
    return peak_in_flight(orders(s, m).front(), chunks_per_rank(s));
  }
  bool searched_by_default(const TransformerConfig&) const override { return false; }
};

}  // namespace strata::models
