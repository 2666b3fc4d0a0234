// Error types shared by every layer (sim/ is the root layer, so they live here).
//
// DESIGN.md distinguishes three kinds of failure:
//  - bad input (a file, a unit string, a CLI value): throw InputError, naming the source and the JSON path;
//  - misuse of an engine API or a broken invariant: SimulationError / STRATA_ASSERT (always on);
//  - a simulated fault (OOM, link down): a result value, never an exception.
// Only tools/ turns these into exit codes.
#pragma once

#include <stdexcept>
#include <string>

namespace strata::sim {

// Base of every error Strata throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input. `source` is the file (or "command line", or empty when not yet known), `json_path` a JSON
// pointer-like path such as "/strategies/1/tp" (empty when the input is not JSON). `detail` says what is
// wrong and what was expected. what() reads "source: json_path: detail" with empty parts left out.
class InputError : public Error {
 public:
  InputError(std::string source, std::string json_path, std::string detail);
  explicit InputError(std::string detail) : InputError("", "", std::move(detail)) {}

  const std::string& source() const { return source_; }
  const std::string& json_path() const { return json_path_; }
  const std::string& detail() const { return detail_; }

  // The same error, located: fills in the source and path where they are still empty.
  InputError located(const std::string& source, const std::string& json_path) const;

 private:
  std::string source_;
  std::string json_path_;
  std::string detail_;
};

// Misuse of the engine's API by calling code (scheduling in the past, zero capacity, ...).
class SimulationError : public Error {
 public:
  using Error::Error;
};

// Simulated time or a quantity left the representable range. Overflow is an error, never a wrap.
class OverflowError : public SimulationError {
 public:
  using SimulationError::SimulationError;
};

// Called by STRATA_ASSERT on failure: prints the condition and location to stderr and aborts.
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line, const char* message);

}  // namespace strata::sim

// Invariant check that stays on in release builds. For cheap checks of conditions that can only fail
// through a bug in Strata itself; input validation throws InputError instead.
#define STRATA_ASSERT(condition, message)                                         \
  do {                                                                            \
    if (!(condition)) [[unlikely]]                                                \
      ::strata::sim::assertion_failed(#condition, __FILE__, __LINE__, (message)); \
  } while (false)
