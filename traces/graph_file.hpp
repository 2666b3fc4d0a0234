// The execution-graph file: a versioned JSON form of models::ExecutionGraph, so any stage can be inspected,
// edited and replayed (`strata lower` writes it, `strata replay` reads it). Format: traces/README.md.
// Reading is strict (unknown keys, wrong types and broken references are errors naming the file and the JSON
// path, e.g. /tasks/12/collective/group); writing then reading gives back the same graph.
#pragma once

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

models::ExecutionGraph graph_from_json(const nlohmann::json& document, const std::string& source);
// Reads a graph file (up to 2 GiB); `metadata` receives its metadata object when not null.
models::ExecutionGraph read_graph_file(const std::filesystem::path& path, nlohmann::json* metadata = nullptr);

}  // namespace strata::traces
