// run_sweep_mpi in a build without MPI (CMake found none, or STRATA_MPI=OFF): sweep_mpi.hpp.
#include "scenarios/sweep/sweep_mpi.hpp"

namespace strata::scenarios {

MpiSweepOutcome run_sweep_mpi(const std::filesystem::path& grid_file, const std::filesystem::path&,
                              const std::filesystem::path&, const std::filesystem::path&, const SweepOptions&,
                              const SweepProgress&) {
  refuse_without_mpi(grid_file.string());
}

}  // namespace strata::scenarios
