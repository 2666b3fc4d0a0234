// Writes output files so that a reader never sees half of one: the content goes to a temporary file in the
// same directory, which is then renamed over the target (rename is atomic within a filesystem).
// Throws InputError naming the path when the directory cannot be created or the file cannot be written.
#pragma once

#include <filesystem>
#include <string_view>

namespace strata::sim {

void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace strata::sim
