// Serving request files (JSON Lines): read as a scenario's {"arrival": {"trace": ...}} reads them.
#include "fuzz_input.hpp"
#include "scenarios/request_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  return fuzz::expect_input_errors_only(
      [&] { scenarios::read_request_file(fuzz::input_file(fuzz::as_text(data, size), "requests.jsonl")); });
}
