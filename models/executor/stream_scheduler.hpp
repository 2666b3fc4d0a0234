// Program order and dependencies: every (rank, stream) of an execution graph is a serial resource that runs
// its tasks in the order they were added (program order), each once its dependencies are done. The scheduler
// hands a task to its stream's resource when every earlier task of the stream has been handed over and its
// own dependencies have finished; what the task then does on the resource (a kernel of known length, a wait
// for its peers and the network) is the dispatcher's business (executor.hpp).
//
// Tasks may be added while the simulation runs (after start()): a task added ready goes to its stream at
// once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "sim/event_queue.hpp"
#include "sim/serial_resource.hpp"
#include "sim/timeline_recorder.hpp"

namespace strata::models {

class StreamScheduler {
 public:
  // Called for each task handed to its stream, in program order. `resumed`: the stream was idle with nothing
  // queued, so the task ends a gap on it; `blocker`: the task whose completion made it ready (none at the
  // start, or for a task added ready while running).
  using Dispatch = std::function<void(TaskId task, sim::SerialResource& stream, bool resumed,
                                      std::optional<TaskId> blocker)>;

  // Streams are named "gpu<g>/<stream name>" on the timeline (null: no recording).
  StreamScheduler(sim::EventQueue& queue, std::vector<std::string> stream_names, Dispatch dispatch,
                  sim::TimelineRecorder* timeline);

  // Adds the streams of a rank placed on GPU `gpu`; ranks are numbered in the order they are added.
  void add_rank(int gpu);
  // Adds task `id` (the next id: ids are dense and added in order) of `rank` on `stream` after `deps`
  // (earlier ids). After start() a ready task is handed to its stream at once.
  void add(TaskId id, int rank, int stream, std::span<const TaskId> deps);
  // Hands the first ready tasks of every stream over, rank by rank and stream by stream. Once.
  void start();
  // Task `id` finished: its dependents may become ready.
  void finished(TaskId id);

  bool is_finished(TaskId id) const { return finished_[id] != 0; }
  // The first task, in (rank, stream) order, that was never handed over or is still running: a graph that
  // cannot finish (a missing peer, a cycle through a rendezvous). None when everything ran.
  std::optional<TaskId> stuck() const;

 private:
  std::size_t slot(int rank, int stream) const {
    return static_cast<std::size_t>(rank) * names_.size() + static_cast<std::size_t>(stream);
  }
  void issue(std::size_t slot, std::optional<TaskId> blocker);

  sim::EventQueue& queue_;
  std::vector<std::string> names_;
  Dispatch dispatch_;
  sim::TimelineRecorder* timeline_;
  std::vector<std::unique_ptr<sim::SerialResource>> streams_;  // by slot
  std::vector<std::vector<TaskId>> program_;                   // by slot
  std::vector<std::size_t> cursor_;                            // by slot: next task to hand over
  std::vector<std::size_t> slot_of_;                           // by task
  std::vector<std::uint32_t> remaining_;                       // by task: unfinished dependencies
  std::vector<std::vector<TaskId>> dependents_;                // by task
  std::vector<char> finished_;                                 // by task
  bool started_ = false;
};

}  // namespace strata::models
