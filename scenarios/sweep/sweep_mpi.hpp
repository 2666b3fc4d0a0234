// `mpirun -n N strata sweep ...`: a sweep's points on N processes, on one machine or many.
//
// Rank 0 owns the output directory (SweepOutput, sweep_run.hpp). It hands out one pending point at a time
// to whichever thread of whichever rank asks next, records the journal line that comes back, and computes
// points on its own threads meanwhile; so a slow point never idles the others, and the files are those a
// single process writes (sweep.jsonl in another completion order). Every rank reads the grid, profiles and
// presets itself (a shared file system, as MPI jobs have); when any rank cannot, every rank stops before a
// point runs, and the rank that failed says why (rank 0 when it failed too).
// A point whose run throws something other than bad input or a simulation error aborts the job
// (MPI_Abort): the journal keeps every point finished before, and `--resume` continues.
//
// MPI is optional at build time (CMake's STRATA_MPI; OpenMPI from Debian). A build without it refuses a
// launch of more than one process instead of running the whole sweep N times.
#pragma once

#include <filesystem>

#include "scenarios/mpi/mpi_launch.hpp"
#include "scenarios/sweep/sweep_run.hpp"

namespace strata::scenarios {

struct MpiSweepOutcome {
  bool root = false;     // this process is rank 0, which wrote the files
  SweepSummary summary;  // rank 0's; empty elsewhere
};

// The whole sweep as one rank of the MPI job: reads the grid and catalogs, runs points, and (rank 0) writes
// the output. `progress` is called on rank 0 only. Throws InputError as run_sweep does, on the rank that
// failed (and on rank 0 when another rank failed), and InputError when this build has no MPI.
MpiSweepOutcome run_sweep_mpi(const std::filesystem::path& grid_file, const std::filesystem::path& dir,
                              const std::filesystem::path& profile_dir,
                              const std::filesystem::path& preset_dir, const SweepOptions& options,
                              const SweepProgress& progress = {});

}  // namespace strata::scenarios
