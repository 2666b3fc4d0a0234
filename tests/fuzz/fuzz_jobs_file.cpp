// Jobs files (scenarios/jobs/jobs_file.hpp): read with the shipped profiles and presets. Beside the input
// sits a fixed small training scenario, job.json, which the seeds' jobs name.
#include "fuzz_input.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/jobs/jobs_file.hpp"

namespace {

constexpr std::string_view kJobScenario = R"({"name": "job", "cluster": {"system": "dgx-h100", "nodes": 1},
  "model": "llama3-8b", "training": {"seq_len": 2048, "global_batch": 8},
  "strategies": [{"name": "dp8", "dp": 8}, {"name": "tp8", "tp": 8, "sequence_parallel": true}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  static const models::ModelCatalog presets(STRATA_SOURCE_PRESET_DIR);
  static const std::filesystem::path job = fuzz::input_file(kJobScenario, "job.json");
  (void)job;
  return fuzz::expect_input_errors_only([&] {
    scenarios::read_jobs_file(fuzz::input_file(fuzz::as_text(data, size), "jobs.json"), profiles, presets);
  });
}
