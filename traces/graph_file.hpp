// The execution-graph file: a versioned JSON form of models::ExecutionGraph, so any stage can be inspected,
// edited and replayed (`strata lower` writes it, `strata replay` reads it). Format: traces/README.md.
// Reading is strict (unknown keys, wrong types and broken references are errors naming the file and the JSON
// path, e.g. /tasks/12/collective/group); writing then reading gives back the same graph.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "models/graph/execution_graph.hpp"

namespace strata::traces {

inline constexpr int kGraphFormatVersion = 1;

nlohmann::json graph_to_json(const models::ExecutionGraph& graph,
                             const nlohmann::json& metadata = nlohmann::json::object());
// One task per line: diffable, and greppable for a rank or an operator.
std::string graph_to_text(const models::ExecutionGraph& graph,
                          const nlohmann::json& metadata = nlohmann::json::object());

// What `strata replay` reads from a graph's "metadata" object (written by `strata lower`); a missing figure
// is 0 (unknown), a present one must be a non-negative number. Other metadata keys are free-form notes.
struct GraphMetadata {
  std::string strategy;  // empty when absent
  double tokens_per_step = 0;
  double model_flops_per_step = 0;
  double hardware_flops_per_step = 0;  // absent: the model FLOPs
  // An imported trace's window may hold several steps (replay reports the time per step), and the step time
  // the trace measured (replay reports its error against it). Absent: 1 and 0 (unknown).
  std::int64_t steps = 1;
  double measured_step_time_s = 0;
};

// Strict reading. A graph runs at least one task and simulates no more ranks than it has tasks (checked
// before anything is allocated for the ranks, so a tiny file cannot ask for 10^8 of them); every simulated
// rank runs a task.
models::ExecutionGraph graph_from_json(const nlohmann::json& document, const std::string& source,
                                       GraphMetadata* metadata = nullptr);
// Reads a graph file (up to 2 GiB); `metadata` receives its metadata when not null.
models::ExecutionGraph read_graph_file(const std::filesystem::path& path, GraphMetadata* metadata = nullptr);

}  // namespace strata::traces
