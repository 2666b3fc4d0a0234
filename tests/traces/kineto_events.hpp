// Kineto trace events for tests: a CUDA runtime call and the kernel it launched, as PyTorch's profiler writes
// them (Chrome-trace "X" events; the correlation id links the two).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace strata::testing {

inline nlohmann::json runtime_call(const std::string& name, double ts, double dur, std::int64_t correlation,
                                   int tid = 1) {
  return {{"ph", "X"},    {"cat", "cuda_runtime"},
          {"name", name}, {"pid", 1},
          {"tid", tid},   {"ts", ts},
          {"dur", dur},   {"args", {{"correlation", correlation}}}};
}

inline nlohmann::json kernel(const std::string& name, int stream, double ts, double dur,
                             std::int64_t correlation) {
  return {{"ph", "X"},     {"cat", "kernel"},
          {"name", name},  {"pid", 0},
          {"tid", stream}, {"ts", ts},
          {"dur", dur},    {"args", {{"stream", stream}, {"correlation", correlation}, {"device", 0}}}};
}

}  // namespace strata::testing
