// Where each rank's step time went (DESIGN.md, "What decides accuracy": a per-effect breakdown so a wrong
// prediction can be explained). Watches one stream per rank, the compute stream, whose timeline is the
// step: every instant of it is either a task running on it or a gap waiting for something.
//
// Contract:
//  - A task that runs on the compute stream counts under its category ("compute", "optimizer", or a
//    communication kind such as "tp" for a blocking collective).
//  - A gap ends when a task becomes ready on the idle stream; the task whose completion made it ready (the
//    blocker) explains it. A communication blocker (category "tp", "dp", "pp", "cp", "ep", "offload")
//    accounts for at most the length of its stream's uninterrupted run of transfers that ended with it
//    (exposed communication), a run that began as another communication stream's run of the rank ended
//    (a gather that waited for the gradient reductions) counting from that run's start; the rest of the
//    gap is waiting on another rank: "bubble" when the blocker is pipeline traffic, "wait" otherwise. Any
//    other blocker leaves the gap as "wait".
//  - After the compute stream's last task, the time until the rank's last task finishes goes to that task's
//    category when it is communication (e.g. ZeRO's all-gather of the updated weights: "dp"), else "wait";
//    from then to the end of the step the rank waits for the others: "bubble" for a rank in a pipeline (one
//    that ran pipeline transfers: the drain, where the later stages still run backward passes), else "wait".
// The seconds of a rank then sum to the step time exactly.
//
// It also totals operation time (time inside tasks, not waiting): per category over all ranks, and per rank
// in device compute kernels.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/graph/time_category.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

using TimeBreakdown = std::map<std::string, double>;  // category -> seconds

class TimeAttribution {
 public:
  TimeAttribution(int ranks, int streams_per_rank);

  // A task ran on (rank, stream) from `start` (after any rendezvous) to `end`; `device_compute`: a kernel on
  // the GPU (not memory bookkeeping, communication or host work).
  void ran(int rank, int stream, const std::string& category, sim::SimTime start, sim::SimTime end,
           bool device_compute);
  // A task became ready at `now` on the idle compute stream of `rank`; `blocker_category` and
  // `blocker_stream` describe the task whose completion made it ready (stream -1: none).
  void compute_stream_resumed(int rank, sim::SimTime now, const std::string& blocker_category,
                              int blocker_stream);
  // Closes every rank at the step's end. Call once, after the run.
  std::vector<TimeBreakdown> finish(sim::SimTime step_end);
  // Grows the tables for ranks added while running.
  void add_rank();

  // Operation seconds by category summed over ranks ("other" for an empty category), and per rank in device
  // compute kernels.
  const std::map<std::string, double>& operation_seconds() const { return operation_seconds_; }
  const std::vector<double>& compute_seconds() const { return compute_seconds_; }

  static constexpr int kComputeStream = 0;

 private:
  struct StreamState {
    sim::SimTime run_start = sim::SimTime::zero();  // start of the current uninterrupted run of tasks
    sim::SimTime last_end = sim::SimTime::zero();
    bool communication = false;  // the last task's category is communication
  };
  StreamState& state(int rank, int stream) {
    return streams_[static_cast<std::size_t>(rank) * static_cast<std::size_t>(streams_per_rank_) +
                    static_cast<std::size_t>(stream)];
  }

  int streams_per_rank_;
  std::vector<StreamState> streams_;
  std::vector<TimeBreakdown> seconds_;
  std::vector<std::string> last_category_;
  std::vector<sim::SimTime> last_finish_;
  std::vector<char> in_pipeline_;
  std::map<std::string, double> operation_seconds_;
  std::vector<double> compute_seconds_;
};

}  // namespace strata::models
