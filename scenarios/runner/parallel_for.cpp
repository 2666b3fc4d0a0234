#include "scenarios/runner/parallel_for.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::scenarios {

int thread_count(int jobs, int max_jobs) {
  if (jobs > 0) return jobs;
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min(hardware, static_cast<unsigned>(std::max(1, max_jobs))));
}

void parallel_for(std::size_t total, int jobs, int max_jobs, const std::function<void(std::size_t)>& fn,
                  const std::function<void()>& done) {
  std::vector<std::exception_ptr> failures(total);
  std::atomic<std::size_t> next{0};
  std::mutex done_mutex;
  const auto work = [&] {
    for (std::size_t i = next++; i < total; i = next++) {
      try {
        fn(i);
      } catch (...) {
        failures[i] = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(done_mutex);
      if (done) done();
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(total, static_cast<std::size_t>(thread_count(jobs, max_jobs)));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

}  // namespace strata::scenarios
