// Sweep grids: read (against a fixed base scenario beside the grid), then the first and last points' values
// and scenario documents.
#include "fuzz_input.hpp"
#include "scenarios/sweep/sweep_grid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const bool base_written = [] {
    fuzz::input_file(R"({"name": "base", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
      "training": {"seq_len": 2048, "global_batch": 16}, "strategies": [{"name": "tp", "tp": 2, "dp": 4}]})",
                     "base.json");
    return true;
  }();
  (void)base_written;
  return fuzz::expect_input_errors_only([&] {
    const scenarios::SweepGrid grid =
        scenarios::read_sweep_grid(fuzz::input_file(fuzz::as_text(data, size), "grid.json"));
    for (const std::int64_t index : {std::int64_t{0}, grid.points() - 1}) {
      scenarios::point_values(grid, index);
      scenarios::point_scenario(grid, index);
    }
  });
}
