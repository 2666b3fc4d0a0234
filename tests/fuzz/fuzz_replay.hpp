// Shared by the harnesses whose readers produce an execution graph (graph files, imported traces): replays
// a small graph the way `strata replay` and `strata trace info --system` do, so the executor sees what the
// readers let through. Executing costs time per task: larger graphs are left to the readers' own checks.
#pragma once

#include <cstddef>
#include <string>

#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "sim/error.hpp"

namespace strata::fuzz {

inline constexpr std::size_t kMaxExecutedTasks = 256;

// Replays small graphs on one shipped system (a harness keeps one, static, for its whole run).
class SmallGraphReplay {
 public:
  explicit SmallGraphReplay(const std::string& system_name)
      : profiles_(STRATA_SOURCE_PROFILE_DIR),
        system_(profiles_.system(system_name)),
        gpu_(profiles_.gpu(system_.gpu)) {}

  void operator()(const models::ExecutionGraph& graph) const {
    if (graph.tasks.size() > kMaxExecutedTasks || graph.gpu_count() > 4096) return;
    try {
      models::execute(graph, gpu_, system_);
    } catch (const sim::OverflowError&) {
      // replay and trace info report this as bad input
    }
  }

 private:
  models::ProfileCatalog profiles_;
  models::SystemProfile system_;
  models::GpuProfile gpu_;
};

}  // namespace strata::fuzz
