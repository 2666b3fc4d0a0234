// run_search_mpi in a build without MPI (search_mpi.hpp).
#include "scenarios/runner/search_mpi.hpp"

namespace strata::scenarios {

MpiSearchOutcome run_search_mpi(const std::filesystem::path& scenario_file, const std::filesystem::path&,
                                const std::filesystem::path&, int, std::int64_t,
                                const std::function<void(const Scenario&)>&,
                                const std::function<void(std::int64_t, std::int64_t)>&) {
  refuse_without_mpi(scenario_file.string());
}

}  // namespace strata::scenarios
