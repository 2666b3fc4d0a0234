#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "sim/atomic_file.hpp"
#include "sim/error.hpp"

namespace fs = std::filesystem;

TEST_CASE("files are written whole, directories created, failures named", "[file]") {
  const fs::path dir =
      fs::temp_directory_path() / ("strata-atomic-file-test-" + std::to_string(::getpid())) / "nested";
  fs::remove_all(dir.parent_path());
  strata::sim::write_file_atomically(dir / "report.json", "{\"a\": 1}\n");
  std::ifstream in(dir / "report.json");
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == "{\"a\": 1}\n");
  strata::sim::write_file_atomically(dir / "report.json", "replaced");
  CHECK(fs::file_size(dir / "report.json") == 8);
  CHECK_FALSE(fs::exists(dir / "report.json.tmp"));
  // A directory where the file should go cannot be replaced: an InputError naming the path.
  fs::create_directories(dir / "occupied");
  try {
    strata::sim::write_file_atomically(dir / "occupied", "x");
    FAIL("no error");
  } catch (const strata::sim::InputError& error) {
    CHECK(std::string(error.what()).find("occupied") != std::string::npos);
  }
  fs::remove_all(dir.parent_path());
}
