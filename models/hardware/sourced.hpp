// A value with its provenance: where the number came from (a datasheet, a record id in
// shared/reference/hardware_measurements.json, a probe run, or "assumed: <reason>").
#pragma once

#include <string>

namespace strata::models {

template <class T>
struct Sourced {
  T value{};
  std::string source;
};

}  // namespace strata::models
