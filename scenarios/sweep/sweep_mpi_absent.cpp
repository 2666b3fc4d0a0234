// run_sweep_mpi in a build without MPI (CMake found none, or STRATA_MPI=OFF): sweep_mpi.hpp.
#include "scenarios/sweep/sweep_mpi.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {

MpiSweepOutcome run_sweep_mpi(const std::filesystem::path& grid_file, const std::filesystem::path&,
                              const std::filesystem::path&, const std::filesystem::path&, const SweepOptions&,
                              const SweepProgress&) {
  throw sim::InputError(
      grid_file.string(), "",
      "started as one of " + std::to_string(mpi_launch_size()) +
          " MPI processes, but this strata was built without MPI, so each process would run "
          "the whole sweep: build with OpenMPI (libopenmpi-dev, tools/bootstrap), or run "
          "strata sweep without mpirun");
}

}  // namespace strata::scenarios
