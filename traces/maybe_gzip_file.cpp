#include "traces/maybe_gzip_file.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sim/error.hpp"

namespace strata::traces {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr int kGzipWindow = 15 + 16;  // zlib: the largest window, gzip header and trailer only

bool gzip_magic(const char* bytes) {
  return static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string at_offset(std::uint64_t offset) { return "at compressed byte " + std::to_string(offset); }

}  // namespace

MaybeGzipStreambuf::MaybeGzipStreambuf(std::unique_ptr<std::streambuf> raw, std::string source,
                                       std::uintmax_t max_bytes)
    : raw_(std::move(raw)), source_(std::move(source)), max_bytes_(max_bytes), text_(kChunkBytes) {
  setg(text_.data(), text_.data(), text_.data());
  // The first two bytes decide; they stay in input_ for the inflater, or become the start of the text.
  input_.resize(kChunkBytes);
  const std::size_t head = read_raw(input_.data(), 2);
  if (head == 2 && gzip_magic(input_.data())) {
    gzip_ = true;
    if (inflateInit2(&stream_, kGzipWindow) != Z_OK)
      throw sim::InputError(source_, "", "cannot start gunzip");
    stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
    stream_.avail_in = 2;
  } else {
    // The first chunk is read whole, so that starts_with_one_of sees past leading whitespace.
    std::copy_n(input_.data(), head, text_.data());
    const std::size_t first = head + read_raw(text_.data() + head, text_.size() - head);
    produced_ = first;
    if (produced_ > max_bytes_) fail("is more than " + std::to_string(max_bytes_) + " bytes");
    setg(text_.data(), text_.data(), text_.data() + first);
    input_.clear();
    input_.shrink_to_fit();
  }
}

MaybeGzipStreambuf::~MaybeGzipStreambuf() {
  if (gzip_) inflateEnd(&stream_);
}

void MaybeGzipStreambuf::fail(const std::string& detail) const { throw sim::InputError(source_, "", detail); }

std::size_t MaybeGzipStreambuf::read_raw(char* into, std::size_t capacity) {
  std::size_t got = 0;
  while (got < capacity && !raw_ended_) {
    const std::streamsize now = raw_->sgetn(into + got, static_cast<std::streamsize>(capacity - got));
    if (now <= 0) raw_ended_ = true;
    got += static_cast<std::size_t>(std::max<std::streamsize>(now, 0));
  }
  consumed_ += got;
  return got;
}

// After a member's trailer: whether another member starts (gzip's magic bytes) in what is left.
bool MaybeGzipStreambuf::next_member_follows() {
  if (stream_.avail_in < 2) {
    // Keep what is left at the front and top up from raw_.
    const std::size_t left = stream_.avail_in;
    std::memmove(input_.data(), stream_.next_in, left);
    const std::size_t got = read_raw(input_.data() + left, input_.size() - left);
    stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
    stream_.avail_in = static_cast<uInt>(left + got);
  }
  return stream_.avail_in >= 2 && gzip_magic(reinterpret_cast<const char*>(stream_.next_in));
}

std::size_t MaybeGzipStreambuf::inflate_some() {
  while (!finished_) {
    if (member_ended_) {
      if (!next_member_follows()) {
        finished_ = true;
        break;
      }
      inflateReset(&stream_);
      member_ended_ = false;
    }
    if (stream_.avail_in == 0) {
      const std::size_t got = read_raw(input_.data(), input_.size());
      if (got == 0) fail("truncated gzip: the archive ends " + at_offset(consumed_));
      stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
      stream_.avail_in = static_cast<uInt>(got);
    }
    stream_.next_out = reinterpret_cast<Bytef*>(text_.data());
    stream_.avail_out = static_cast<uInt>(text_.size());
    const int status = inflate(&stream_, Z_NO_FLUSH);
    const std::size_t produced = text_.size() - stream_.avail_out;
    if (status == Z_STREAM_END) {
      member_ended_ = true;
    } else if (status != Z_OK && !(status == Z_BUF_ERROR && stream_.avail_in == 0)) {
      fail("damaged gzip " + at_offset(consumed_ - stream_.avail_in) + ": " +
           (stream_.msg != nullptr ? stream_.msg : "inflate failed"));
    }
    if (produced > 0) return produced;
  }
  return 0;
}

MaybeGzipStreambuf::int_type MaybeGzipStreambuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const std::size_t got = gzip_ ? inflate_some() : read_raw(text_.data(), text_.size());
  produced_ += got;
  if (produced_ > max_bytes_)
    fail((gzip_ ? "decompresses to more than " : "is more than ") + std::to_string(max_bytes_) + " bytes");
  setg(text_.data(), text_.data(), text_.data() + got);
  return got == 0 ? traits_type::eof() : traits_type::to_int_type(text_.front());
}

bool MaybeGzipStreambuf::starts_with_one_of(std::string_view bytes) {
  if (sgetc() == traits_type::eof()) return false;
  for (const char* c = gptr(); c < egptr(); ++c) {
    if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n') continue;
    return bytes.find(*c) != std::string_view::npos;
  }
  return false;
}

std::unique_ptr<MaybeGzipStreambuf> open_maybe_gzip_file(const std::filesystem::path& path,
                                                         std::uintmax_t max_bytes) {
  const std::string name = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw sim::InputError(name, "", "no such file");
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw sim::InputError(name, "", "cannot read file size: " + error.message());
  if (size > max_bytes) {
    throw sim::InputError(
        name, "",
        "file is " + std::to_string(size) + " bytes, over the " + std::to_string(max_bytes) + "-byte limit");
  }
  auto file = std::make_unique<std::filebuf>();
  if (file->open(path, std::ios::in | std::ios::binary) == nullptr)
    throw sim::InputError(name, "", "cannot open file");
  return std::make_unique<MaybeGzipStreambuf>(std::move(file), name, max_bytes);
}

namespace {

std::string read_all(MaybeGzipStreambuf& text) {
  std::string all;
  while (text.sgetc() != std::streambuf::traits_type::eof()) {
    const std::streamsize available = text.in_avail();
    const std::size_t before = all.size();
    all.resize(before + static_cast<std::size_t>(available));
    text.sgetn(all.data() + before, available);
  }
  return all;
}

}  // namespace

std::string read_maybe_gzip_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  return read_all(*open_maybe_gzip_file(path, max_bytes));
}

std::string maybe_gunzip(const std::string& bytes, const std::string& source, std::uintmax_t max_bytes) {
  MaybeGzipStreambuf text(std::make_unique<std::stringbuf>(bytes, std::ios::in), source, max_bytes);
  return read_all(text);
}

}  // namespace strata::traces
