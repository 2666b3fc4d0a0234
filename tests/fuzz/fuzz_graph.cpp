// Execution-graph files: parsed, read, and (when small) executed on a shipped system, the way
// `strata replay` does.
#include "fuzz_input.hpp"
#include "fuzz_replay.hpp"
#include "sim/json_input.hpp"
#include "traces/graph_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const fuzz::SmallGraphReplay replay("dgx-h100");
  return fuzz::expect_input_errors_only([&] {
    traces::GraphMetadata metadata;
    const models::ExecutionGraph graph = traces::graph_from_json(
        sim::parse_json_text(fuzz::as_text(data, size), "graph.json"), "graph.json", &metadata);
    replay(graph);
  });
}
