// Reads a trace file that may be gzip-compressed (PyTorch profiler traces are often saved as .json.gz): the
// gzip magic bytes decide, not the name. Bounded: the file and its decompressed text each at most
// `max_bytes`, so a small hostile archive cannot expand without limit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace strata::traces {

// The file's text, decompressed when it is gzip. Throws sim::InputError naming the file and, for a damaged
// archive (truncated, bad checksum, not gzip after the magic), the compressed byte offset where it failed.
std::string read_maybe_gzip_file(const std::filesystem::path& path,
                                 std::uintmax_t max_bytes = std::uintmax_t{2} << 30);

// The same for bytes already in memory (`source` names them in messages).
std::string maybe_gunzip(const std::string& bytes, const std::string& source,
                         std::uintmax_t max_bytes = std::uintmax_t{2} << 30);

}  // namespace strata::traces
