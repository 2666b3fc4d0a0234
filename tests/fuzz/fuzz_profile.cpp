// GPU, system and framework profiles: the same input through each reader.
#include "fuzz_input.hpp"
#include "models/hardware/profile_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  const std::filesystem::path path = fuzz::input_file(fuzz::as_text(data, size), "profile.json");
  fuzz::expect_input_errors_only([&] { models::read_gpu_profile(path); });
  fuzz::expect_input_errors_only([&] { models::read_system_profile(path); });
  fuzz::expect_input_errors_only([&] { models::read_framework_profile(path); });
  return 0;
}
