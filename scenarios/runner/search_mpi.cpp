// run_search_mpi with MPI (search_mpi.hpp). Only each rank's main thread calls MPI.
#include <exception>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/mpi/mpi_session.hpp"
#include "scenarios/runner/search_mpi.hpp"

namespace strata::scenarios {
namespace {

// Every rank's settled candidates of a batch, on every rank (the same bytes on a cluster of one kind).
std::vector<SettledCandidate> all_settled(const std::vector<SettledCandidate>& mine, int ranks) {
  const int bytes = static_cast<int>(mine.size() * sizeof(SettledCandidate));
  std::vector<int> counts(static_cast<std::size_t>(ranks));
  MPI_Allgather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::vector<int> offsets(counts.size());
  int total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    offsets[r] = total;
    total += counts[r];
  }
  std::vector<SettledCandidate> all(static_cast<std::size_t>(total) / sizeof(SettledCandidate));
  MPI_Allgatherv(mine.data(), bytes, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE,
                 MPI_COMM_WORLD);
  return all;
}

}  // namespace

MpiSearchOutcome run_search_mpi(const std::filesystem::path& scenario_file,
                                const std::filesystem::path& profile_dir,
                                const std::filesystem::path& preset_dir, int jobs, std::int64_t exact_top,
                                const std::function<void(const Scenario&)>& ready,
                                const std::function<void(std::int64_t, std::int64_t)>& progress) {
  const MpiSession mpi;
  std::optional<Scenario> scenario;
  std::exception_ptr failure;
  try {
    const models::ProfileCatalog profiles(profile_dir);
    const models::ModelCatalog models(preset_dir);
    scenario = read_scenario(scenario_file, profiles, models);
    scenario->require_training("strata search");
    if (mpi.rank() == 0 && ready) ready(*scenario);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!mpi.all_ready(failure, scenario_file.string())) return {};
  SearchPartition partition{mpi.rank(), mpi.size(), [&mpi](const std::vector<SettledCandidate>& mine) {
                              return all_settled(mine, mpi.size());
                            }};
  MpiSearchOutcome result;
  result.root = mpi.rank() == 0;
  try {
    result.outcome =
        search_strategies(*scenario, mpi.rank() == 0 ? progress : nullptr, jobs, exact_top, &partition);
  } catch (const std::exception& error) {
    mpi.abort_job(std::string("the search failed: ") + error.what());
  }
  if (result.root) result.scenario = std::move(scenario);
  return result;
}

}  // namespace strata::scenarios
