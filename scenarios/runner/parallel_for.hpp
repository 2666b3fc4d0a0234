// The thread pool of the search and the sweep: independent work items handed out one at a time.
#pragma once

#include <cstddef>
#include <functional>

namespace strata::scenarios {

// Threads for `jobs` (0: the hardware's, at most `max_jobs`; at least 1).
int thread_count(int jobs, int max_jobs);

// Runs fn(i) for i in [0, total) on `jobs` threads (0: the hardware's, at most `max_jobs`); fn writes only
// its own slot, or locks what it shares. `done` (may be empty) is called after each, one call at a time.
// Every item runs; the first failure in index order is then rethrown.
void parallel_for(std::size_t total, int jobs, int max_jobs, const std::function<void(std::size_t)>& fn,
                  const std::function<void()>& done = {});

}  // namespace strata::scenarios
