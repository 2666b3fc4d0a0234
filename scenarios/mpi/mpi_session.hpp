// MPI for the commands that spread work over processes (sweep/sweep_mpi.cpp, runner/search_mpi.cpp); only
// compiled where CMake found MPI (STRATA_HAVE_MPI). Ranks call MPI from one thread at a time
// (MPI_THREAD_SERIALIZED).
#pragma once

#include <mpi.h>

#include <exception>
#include <string>

namespace strata::scenarios {

class MpiSession {
 public:
  MpiSession();
  ~MpiSession();  // MPI_Finalize, also when an exception leaves the command
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool serialized() const { return provided_ >= MPI_THREAD_SERIALIZED; }

  // Every rank reads its inputs before any work: `failure` is this rank's error while preparing (null when
  // ready). When every rank is ready, returns true. Otherwise the rank that failed rethrows its error (rank 0
  // when it failed too, so a bad input common to all is reported once), rank 0 throws InputError naming
  // `file` and the rank that failed, and the other ranks return false and stop quietly.
  bool all_ready(const std::exception_ptr& failure, const std::string& file) const;

  // Prints `what` for this rank and aborts the whole job (MPI_Abort): for a failure after work began.
  [[noreturn]] void abort_job(const std::string& what) const;

 private:
  int provided_ = MPI_THREAD_SINGLE;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace strata::scenarios
