// nccl-tests logs: parsed and imported into collective curves, as `strata calibrate import-nccl-tests` does.
#include "calibration/nccl_tests/nccl_tests_import.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  return fuzz::expect_input_errors_only([&] {
    calibration::NcclTestsImportOptions options;
    options.op = models::CollectiveOp::kAllReduce;  // for logs that do not name their binary
    calibration::import_nccl_tests({{"x.log", std::string(fuzz::as_text(data, size))}}, options);
  });
}
