// main() of the validation suite: it compares predictions with shared/reference/ (beside the checkout).
// Without that directory the suite cannot run; it exits 77, which CTest reports as skipped, not passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

int main(int argc, char* argv[]) {
  if (!std::filesystem::is_directory(STRATA_REFERENCE_DIR)) {
    std::fprintf(stderr, "validation: reference data not found at %s; skipping\n", STRATA_REFERENCE_DIR);
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
