// Reads a trace file that may be gzip-compressed (PyTorch profiler traces are often saved as .json.gz): the
// gzip magic bytes decide, not the name. Bounded: the file and its decompressed text each at most
// `max_bytes`, so a small hostile archive cannot expand without limit.
//
// MaybeGzipStreambuf streams the text a chunk at a time (a trace of gigabytes is never held whole);
// read_maybe_gzip_file and maybe_gunzip read it all for readers that need the whole text (protobuf).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <streambuf>
#include <string>
#include <vector>

namespace strata::traces {

constexpr std::uintmax_t kMaxTraceBytes = std::uintmax_t{2} << 30;

// The decompressed text of `raw`, read on demand. Throws sim::InputError naming `source` when the text grows
// past `max_bytes` and, for a damaged archive (truncated, bad checksum, not gzip after the magic), the
// compressed byte offset where it failed. gzip allows concatenated members: each is read in turn; bytes after
// the last member that do not start another are ignored (as gzip does).
class MaybeGzipStreambuf : public std::streambuf {
 public:
  MaybeGzipStreambuf(std::unique_ptr<std::streambuf> raw, std::string source, std::uintmax_t max_bytes);
  ~MaybeGzipStreambuf() override;
  MaybeGzipStreambuf(const MaybeGzipStreambuf&) = delete;
  MaybeGzipStreambuf& operator=(const MaybeGzipStreambuf&) = delete;

  const std::string& source() const { return source_; }
  // Whether the text's first byte other than JSON whitespace, looked for in its first chunk without
  // consuming anything, is one of `bytes`.
  bool starts_with_one_of(std::string_view bytes);

 protected:
  int_type underflow() override;

 private:
  std::size_t read_raw(char* into, std::size_t capacity);
  std::size_t inflate_some();
  bool next_member_follows();
  [[noreturn]] void fail(const std::string& detail) const;

  std::unique_ptr<std::streambuf> raw_;
  std::string source_;
  std::uintmax_t max_bytes_;
  std::uintmax_t produced_ = 0;  // decompressed bytes handed out so far
  std::vector<char> text_;       // the current chunk of text
  bool gzip_ = false;
  // gzip only:
  z_stream stream_{};
  std::vector<char> input_;     // compressed bytes read from raw_
  std::uint64_t consumed_ = 0;  // compressed bytes read from raw_ so far
  bool raw_ended_ = false;
  bool member_ended_ = false;  // the last member's trailer was read
  bool finished_ = false;
};

// Opens a file for streaming. Throws sim::InputError naming the path when it is missing, unreadable or larger
// than max_bytes.
std::unique_ptr<MaybeGzipStreambuf> open_maybe_gzip_file(const std::filesystem::path& path,
                                                         std::uintmax_t max_bytes = kMaxTraceBytes);

// The file's whole text, decompressed when it is gzip (same errors as the streambuf's).
std::string read_maybe_gzip_file(const std::filesystem::path& path,
                                 std::uintmax_t max_bytes = kMaxTraceBytes);

// The same for bytes already in memory (`source` names them in messages).
std::string maybe_gunzip(const std::string& bytes, const std::string& source,
                         std::uintmax_t max_bytes = kMaxTraceBytes);

}  // namespace strata::traces
