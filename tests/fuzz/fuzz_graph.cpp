// Execution-graph files: parsed, read, and (when small) executed on a shipped system, the way
// `strata replay` does.
#include "fuzz_input.hpp"
#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "sim/json_input.hpp"
#include "traces/graph_file.hpp"

namespace {
// Executing costs time per task; small graphs cover the executor's paths without slowing the fuzzer.
constexpr std::size_t kMaxExecutedTasks = 256;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  static const models::SystemProfile system = profiles.system("dgx-h100");
  static const models::GpuProfile gpu = profiles.gpu(system.gpu);
  return fuzz::expect_input_errors_only([&] {
    traces::GraphMetadata metadata;
    const models::ExecutionGraph graph = traces::graph_from_json(
        sim::parse_json_text(fuzz::as_text(data, size), "graph.json"), "graph.json", &metadata);
    if (graph.tasks.size() <= kMaxExecutedTasks && graph.gpu_count() <= 4096) {
      try {
        models::execute(graph, gpu, system);
      } catch (const sim::OverflowError&) {
        // replay reports this as bad input (graph_commands.cpp)
      }
    }
  });
}
