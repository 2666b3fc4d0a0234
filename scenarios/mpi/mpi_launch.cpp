#include "scenarios/mpi/mpi_launch.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "sim/error.hpp"

namespace strata::scenarios {

int mpi_launch_size() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* text = std::getenv(variable);
    if (text == nullptr) continue;
    const std::string_view value(text);
    int size = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), size);
    if (error == std::errc() && end == value.data() + value.size() && size >= 1) return size;
  }
  return 1;
}

void refuse_without_mpi(const std::string& file) {
  throw sim::InputError(file, "",
                        "started as one of " + std::to_string(mpi_launch_size()) +
                            " MPI processes, but this strata was built without MPI, so each process would do "
                            "the whole work: build with OpenMPI (libopenmpi-dev, tools/bootstrap), or run "
                            "without mpirun");
}

}  // namespace strata::scenarios
