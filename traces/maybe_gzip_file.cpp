#include "traces/maybe_gzip_file.hpp"

#include <zlib.h>

#include <algorithm>

#include "sim/error.hpp"
#include "sim/text_file.hpp"

namespace strata::traces {
namespace {

bool is_gzip(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string at_offset(std::uint64_t offset) { return "at compressed byte " + std::to_string(offset); }

}  // namespace

std::string maybe_gunzip(const std::string& bytes, const std::string& source, std::uintmax_t max_bytes) {
  if (!is_gzip(bytes)) return bytes;
  z_stream stream{};
  constexpr int kGzipWindow = 15 + 16;  // zlib: the largest window, gzip header and trailer only
  if (inflateInit2(&stream, kGzipWindow) != Z_OK) throw sim::InputError(source, "", "cannot start gunzip");
  std::string text;
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  constexpr std::size_t kMaxFeed = std::size_t{1} << 30;  // zlib counts input in 32-bit units
  std::size_t fed = 0;                                    // input bytes handed to zlib so far
  const auto offset = [&] { return fed - stream.avail_in; };
  int status = Z_OK;
  try {
    // One gzip member after another (gzip allows concatenated members) until the input ends.
    for (;;) {
      if (stream.avail_in == 0) {
        if (fed == bytes.size()) break;
        const std::size_t now = std::min(bytes.size() - fed, kMaxFeed);
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + fed));
        stream.avail_in = static_cast<uInt>(now);
        fed += now;
      }
      const std::size_t before = text.size();
      text.resize(before + kChunk);
      stream.next_out = reinterpret_cast<Bytef*>(text.data() + before);
      stream.avail_out = static_cast<uInt>(kChunk);
      status = inflate(&stream, Z_NO_FLUSH);
      text.resize(before + (kChunk - stream.avail_out));
      if (text.size() > max_bytes)
        throw sim::InputError(source, "",
                              "decompresses to more than " + std::to_string(max_bytes) + " bytes");
      if (status == Z_STREAM_END) {
        const std::size_t next = offset();
        if (next == bytes.size() || !is_gzip(bytes.substr(next, 2))) break;  // trailing bytes: no member
        inflateReset(&stream);
        continue;
      }
      if (status == Z_BUF_ERROR && stream.avail_in == 0) continue;  // wants more input
      if (status != Z_OK) {
        throw sim::InputError(source, "",
                              "damaged gzip " + at_offset(offset()) + ": " +
                                  (stream.msg != nullptr ? stream.msg : "inflate failed"));
      }
    }
  } catch (...) {
    inflateEnd(&stream);
    throw;
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END)
    throw sim::InputError(source, "", "truncated gzip: the archive ends " + at_offset(bytes.size()));
  return text;
}

std::string read_maybe_gzip_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  return maybe_gunzip(sim::read_text_file(path, max_bytes), path.string(), max_bytes);
}

}  // namespace strata::traces
