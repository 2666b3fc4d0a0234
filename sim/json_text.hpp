// JSON serialisation for everything Strata writes (reports, profiles, graphs, timelines, --json output).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace strata::sim {

// `value` as text (indent < 0: one line). Strings that came from outside JSON (a file name, a device line of
// a text log) may hold bytes that are not UTF-8; they are written as U+FFFD instead of failing the write
// after the work is done.
inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace strata::sim
