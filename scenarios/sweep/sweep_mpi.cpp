// run_sweep_mpi with MPI (sweep_mpi.hpp). Only rank 0's main thread and, one at a time under a lock, the
// threads of the other ranks call MPI (MPI_THREAD_SERIALIZED; with less, a rank other than 0 runs one
// thread).
//
// Messages: a worker thread sends kTagResult with "" (its first request) or "<index> <journal line>" (the
// point it finished, which is also its next request); rank 0 answers kTagPoint with the next index, or -1
// when none is left. Rank 0 stops serving once every worker thread has had its -1.
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scenarios/mpi/mpi_session.hpp"
#include "scenarios/runner/parallel_for.hpp"
#include "scenarios/sweep/sweep_mpi.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

constexpr int kTagResult = 1;
constexpr int kTagPoint = 2;
constexpr std::int64_t kNoMorePoints = -1;
// How long rank 0's main thread sleeps when no request waits (OpenMPI's blocking receive would spin a core
// that rank 0's own threads compute on).
constexpr std::chrono::microseconds kServePoll{500};

// What every rank reads before a point runs.
struct SweepInputs {
  SweepInputs(const std::filesystem::path& grid_file, const std::filesystem::path& profile_dir,
              const std::filesystem::path& preset_dir)
      : profiles(profile_dir), models(preset_dir), grid(read_sweep_grid(grid_file)) {}
  models::ProfileCatalog profiles;
  models::ModelCatalog models;
  SweepGrid grid;
};

// A failure after points began: the journal keeps what finished.
[[noreturn]] void abort_job(const MpiSession& mpi, const std::string& what) {
  mpi.abort_job(what + " (the journal keeps every finished point: run again with --resume)");
}

int threads_for(const SweepOptions& options) { return thread_count(options.jobs, kMaxSweepJobs); }

// Rank 0: its own threads and the requests of the others share the pending points and the output.
SweepSummary serve(const MpiSession& mpi, const SweepInputs& inputs, SweepOutput& output, int remote_threads,
                   const SweepOptions& options, const SweepProgress& progress) {
  std::mutex mutex;  // next, output
  std::size_t next = 0;
  const std::vector<std::int64_t> pending = output.pending();
  const auto take = [&] { return next < pending.size() ? pending[next++] : kNoMorePoints; };
  const auto record = [&](std::int64_t index, const std::string& line) {
    output.record(index, line);
    if (progress) progress(output.summary());
  };
  const auto work = [&] {
    try {
      for (;;) {
        std::int64_t index = kNoMorePoints;
        {
          const std::lock_guard<std::mutex> lock(mutex);
          index = take();
        }
        if (index == kNoMorePoints) return;
        const std::string line =
            sweep_point_line(inputs.grid, index, inputs.profiles, inputs.models, options);
        const std::lock_guard<std::mutex> lock(mutex);
        record(index, line);
      }
    } catch (const std::exception& error) {
      abort_job(mpi, error.what());
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_for(options); ++t) threads.emplace_back(work);
  try {
    for (int stopped = 0; stopped < remote_threads;) {
      int waiting = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &waiting, &status);
      if (!waiting) {
        std::this_thread::sleep_for(kServePoll);
        continue;
      }
      int length = 0;
      MPI_Get_count(&status, MPI_CHAR, &length);
      std::string message(static_cast<std::size_t>(length), '\0');
      MPI_Recv(message.data(), length, MPI_CHAR, status.MPI_SOURCE, kTagResult, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
      std::int64_t index = kNoMorePoints;
      {
        const std::lock_guard<std::mutex> lock(mutex);
        if (!message.empty()) {
          const std::size_t space = message.find(' ');
          record(std::stoll(message.substr(0, space)), message.substr(space + 1));
        }
        index = take();
      }
      if (index == kNoMorePoints) ++stopped;
      MPI_Send(&index, 1, MPI_INT64_T, status.MPI_SOURCE, kTagPoint, MPI_COMM_WORLD);
    }
  } catch (const std::exception& error) {
    abort_job(mpi, error.what());
  }
  for (std::thread& thread : threads) thread.join();
  return output.finish();
}

// A rank other than 0: its threads ask rank 0 for points until none is left.
void work_for_root(const MpiSession& mpi, const SweepInputs& inputs, int threads,
                   const SweepOptions& options) {
  std::mutex mpi_lock;
  const auto work = [&] {
    try {
      std::string message;  // empty: the first request
      for (;;) {
        STRATA_ASSERT(message.size() < INT_MAX, "a sweep point's journal line fits one MPI message");
        std::int64_t index = kNoMorePoints;
        {
          const std::lock_guard<std::mutex> lock(mpi_lock);
          MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, kTagResult, MPI_COMM_WORLD);
          MPI_Recv(&index, 1, MPI_INT64_T, 0, kTagPoint, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        if (index == kNoMorePoints) return;
        message = std::to_string(index) + " " +
                  sweep_point_line(inputs.grid, index, inputs.profiles, inputs.models, options);
      }
    } catch (const std::exception& error) {
      abort_job(mpi, error.what());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
}

}  // namespace

MpiSweepOutcome run_sweep_mpi(const std::filesystem::path& grid_file, const std::filesystem::path& dir,
                              const std::filesystem::path& profile_dir,
                              const std::filesystem::path& preset_dir, const SweepOptions& options,
                              const SweepProgress& progress) {
  const MpiSession mpi;
  std::unique_ptr<SweepInputs> inputs;
  std::unique_ptr<SweepOutput> output;
  std::exception_ptr failure;
  try {
    inputs = std::make_unique<SweepInputs>(grid_file, profile_dir, preset_dir);
    if (mpi.rank() == 0) output = std::make_unique<SweepOutput>(inputs->grid, dir, options.resume);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!mpi.all_ready(failure, grid_file.string())) return {};
  const int threads = mpi.rank() == 0 || mpi.serialized() ? threads_for(options) : 1;
  std::vector<int> threads_per_rank(static_cast<std::size_t>(mpi.size()));
  MPI_Gather(&threads, 1, MPI_INT, threads_per_rank.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (mpi.rank() != 0) {
    work_for_root(mpi, *inputs, threads, options);
    return {};
  }
  int remote_threads = 0;
  for (std::size_t r = 1; r < threads_per_rank.size(); ++r) remote_threads += threads_per_rank[r];
  return {true, serve(mpi, *inputs, *output, remote_threads, options, progress)};
}

}  // namespace strata::scenarios
