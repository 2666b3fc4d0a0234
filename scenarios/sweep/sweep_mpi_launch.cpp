// The launcher's environment: compiled with or without MPI (sweep_mpi.hpp).
#include <charconv>
#include <cstdlib>
#include <string_view>

#include "scenarios/sweep/sweep_mpi.hpp"

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

}  // namespace strata::scenarios
