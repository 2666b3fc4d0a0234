// Reads a whole text input file with a size bound (inputs may be hostile: no unbounded allocation).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace strata::sim {

// Throws InputError naming the path when the file is missing, unreadable or larger than max_bytes.
std::string read_text_file(const std::filesystem::path& path,
                           std::uintmax_t max_bytes = std::uintmax_t{64} << 20);

}  // namespace strata::sim
