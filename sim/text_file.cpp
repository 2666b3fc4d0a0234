#include "sim/text_file.hpp"

#include <fstream>
#include <sstream>

#include "sim/error.hpp"

namespace strata::sim {

std::string read_text_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  const std::string name = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw InputError(name, "", "no such file");
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw InputError(name, "", "cannot read file size: " + error.message());
  if (size > max_bytes) {
    throw InputError(
        name, "",
        "file is " + std::to_string(size) + " bytes, over the " + std::to_string(max_bytes) + "-byte limit");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(name, "", "cannot open file");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace strata::sim
