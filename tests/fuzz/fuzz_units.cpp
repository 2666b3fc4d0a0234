// Unit strings ("80GiB", "3.35TB/s", "989TFLOP/s", "2us"): every parser on the same text.
#include "fuzz_input.hpp"
#include "sim/unit_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::expect_input_errors_only([&] { sim::parse_bytes(text); });
  fuzz::expect_input_errors_only([&] { sim::parse_bandwidth(text); });
  fuzz::expect_input_errors_only([&] { sim::parse_duration(text); });
  fuzz::expect_input_errors_only([&] { sim::parse_flop_rate(text); });
  return 0;
}
