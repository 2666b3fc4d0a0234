// Whether this process was started as one of several by an MPI launcher (mpirun, mpiexec, srun), read from
// the launcher's environment; compiled with or without MPI. `strata sweep` and `strata search` use it to
// choose between one process and MPI (sweep/sweep_mpi.hpp, runner/search_mpi.hpp).
#pragma once

#include <string>

namespace strata::scenarios {

// The number of processes of the MPI job this process was started in (OpenMPI's mpirun:
// OMPI_COMM_WORLD_SIZE; MPICH's mpiexec and Slurm's srun: PMI_SIZE); 1 when none.
int mpi_launch_size();

// The InputError a build without MPI throws when started as one of several processes: each would do the
// whole work, so it refuses. `file`: the input the command was given, for the message.
[[noreturn]] void refuse_without_mpi(const std::string& file);

}  // namespace strata::scenarios
