#include "scenarios/mpi/mpi_session.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "sim/error.hpp"

namespace strata::scenarios {

MpiSession::MpiSession() {
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided_);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

bool MpiSession::all_ready(const std::exception_ptr& failure, const std::string& file) const {
  const int ready = failure ? 0 : 1;
  std::vector<int> ranks_ready(static_cast<std::size_t>(size_));
  MPI_Allgather(&ready, 1, MPI_INT, ranks_ready.data(), 1, MPI_INT, MPI_COMM_WORLD);
  if (failure && (rank_ == 0 || ranks_ready[0])) std::rethrow_exception(failure);
  const auto unready = std::find(ranks_ready.begin(), ranks_ready.end(), 0);
  if (unready == ranks_ready.end()) return true;
  if (rank_ != 0) return false;
  throw sim::InputError(file, "",
                        "rank " + std::to_string(unready - ranks_ready.begin()) +
                            " could not read its inputs (its message is above); nothing ran");
}

void MpiSession::abort_job(const std::string& what) const {
  std::fprintf(stderr, "strata: rank %d: internal error: %s\n", rank_, what.c_str());
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

}  // namespace strata::scenarios
