#include <iostream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "strata/cli.hpp"

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // Lowering a strategy builds an execution graph of up to hundreds of MB and drops it; by default glibc
  // maps each large block fresh and unmaps it on free, so every strategy of a search page-faults its whole
  // graph in again (measured: 60% of a search's time, most of it in the kernel). Keep freed memory in the
  // heap for the next strategy instead: no mmap for large blocks, trim only above 1 GiB free.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
  return strata::tools::run_cli(argc, argv, std::cout, std::cerr);
}
