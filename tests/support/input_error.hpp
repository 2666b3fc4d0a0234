// Test helper: the message of the sim::InputError an action throws, or "no error".
#pragma once

#include <functional>
#include <string>

#include "sim/error.hpp"

inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const strata::sim::InputError& error) {
    return error.what();
  }
  return "no error";
}
