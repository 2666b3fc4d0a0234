// `mpirun -n N strata search SCENARIO`: one strategy search on N processes that share its branch-and-bound
// threshold (strategy_search.hpp, SearchPartition). Each rank reads the scenario itself (a shared file
// system), bounds every candidate, and simulates its share of each batch; after each batch every rank
// receives every rank's settled steps (MPI_Allgatherv), so all hold the same threshold and the same next
// batch, and the report is the one a single process writes. If any rank cannot read its inputs, nothing runs
// and the failing rank says why; a failure during the search aborts the job.
// MPI is optional at build time; a build without it refuses to be one of several processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "scenarios/mpi/mpi_launch.hpp"
#include "scenarios/runner/strategy_search.hpp"
#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

struct MpiSearchOutcome {
  bool root = false;                 // this process is rank 0, which reports
  std::optional<Scenario> scenario;  // rank 0's
  SearchOutcome outcome;             // rank 0's (strategy_search.hpp: the leaders and the counts)
};

// `ready` runs on rank 0 once its scenario is read, before any search work (e.g. checking that the output
// directory can be written); what it throws stops every rank. `progress` is called on rank 0 only.
MpiSearchOutcome run_search_mpi(const std::filesystem::path& scenario_file,
                                const std::filesystem::path& profile_dir,
                                const std::filesystem::path& preset_dir, int jobs, std::int64_t exact_top,
                                const std::function<void(const Scenario&)>& ready,
                                const std::function<void(std::int64_t, std::int64_t)>& progress);

}  // namespace strata::scenarios
