// strata sweep driven in-process: points, errors per point, resume without loss or duplicates.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/cli_run.hpp"
#include "../support/scratch_files.hpp"

using strata::testing::CliRun;
using strata::testing::fresh_dir;
using strata::testing::run;
using strata::testing::slurp;

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Llama-3-8B on one or two DGX H100, two sequence lengths, and a TP degree that is invalid (3) at some
// points.
fs::path write_grid(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "base.json") << R"({"name": "base", "cluster": {"system": "dgx-h100", "nodes": 1},
    "model": "llama3-8b", "training": {"seq_len": 2048, "global_batch": 16},
    "strategies": [{"name": "tp", "tp": 2, "dp": 4}, {"name": "dp", "dp": 8, "micro_batch": 2}]})";
  std::ofstream(dir / "grid.json") << R"({"base": "base.json",
    "axes": {"training.seq_len": [1024, 2048], "strategies.0.tp": [2, 3]}})";
  return dir / "grid.json";
}

}  // namespace

TEST_CASE("sweep runs every point once, records bad points as errors and resumes", "[cli][sweep]") {
  const fs::path dir = strata::testing::scratch("sweep");
  fs::remove_all(dir);
  const fs::path grid = write_grid(dir);
  const CliRun first = run({"sweep", grid.string(), "-o", (dir / "a").string(), "-j", "2"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("4 points (0 from an earlier run, 4 now") != std::string::npos);
  CHECK(first.out.find("2 with an error") != std::string::npos);  // tp 3 does not divide 8 GPUs
  std::vector<std::string> journal = lines_of(dir / "a" / "sweep.jsonl");
  REQUIRE(journal.size() == 4);
  std::set<int> indices;
  for (const std::string& line : journal) {
    const auto entry = nlohmann::json::parse(line);
    indices.insert(entry["index"].get<int>());
    if (entry["point"]["strategies.0.tp"] == 3) {
      CHECK(entry["error"].get<std::string>().find("/strategies/0/tp") != std::string::npos);
    } else {
      CHECK(entry["results"].size() == 2);
    }
  }
  CHECK(indices == std::set<int>{0, 1, 2, 3});
  const std::string csv = slurp(dir / "a" / "sweep.csv");
  CHECK(csv.rfind("index,strategies.0.tp,training.seq_len,strategy,rank,step_time_s", 0) == 0);
  // One thread gives the same table.
  REQUIRE(run({"sweep", grid.string(), "-o", (dir / "b").string(), "-j", "1"}).exit_code == 0);
  CHECK(slurp(dir / "b" / "sweep.csv") == csv);

  // A second run into the same directory must say --resume.
  const CliRun again = run({"sweep", grid.string(), "-o", (dir / "a").string()});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("sweep.jsonl: exists: --resume") != std::string::npos);
  // Two finished points lost and a torn line left by a kill: resume redoes exactly the two.
  {
    std::ofstream out(dir / "a" / "sweep.jsonl", std::ios::trunc);
    out << journal[0] << "\n" << journal[1] << "\n" << journal[2].substr(0, 20);
  }
  const CliRun resumed = run({"sweep", grid.string(), "-o", (dir / "a").string(), "--resume"});
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.out.find("4 points (2 from an earlier run, 2 now") != std::string::npos);
  CHECK(lines_of(dir / "a" / "sweep.jsonl").size() == 4);
  CHECK(slurp(dir / "a" / "sweep.csv") == csv);
  // A journal of another grid is refused, not mixed in.
  std::ofstream(dir / "grid.json") << R"({"base": "base.json", "axes": {"training.seq_len": [4096, 2048]}})";
  const CliRun other = run({"sweep", grid.string(), "-o", (dir / "a").string(), "--resume"});
  CHECK(other.exit_code == 2);
  CHECK(other.err.find("sweep.jsonl: line 1: point") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("sweep grids name the file and JSON path of every problem", "[cli][sweep]") {
  const fs::path dir = strata::testing::scratch("sweep-bad");
  fs::remove_all(dir);
  const fs::path grid = write_grid(dir);
  const auto error_for = [&](const std::string& text) {
    std::ofstream(grid) << text;
    const CliRun result = run({"sweep", grid.string(), "-o", (dir / "out").string()});
    CHECK(result.exit_code == 2);
    return result.err;
  };
  CHECK(error_for(R"({"base": "none.json", "axes": {"cluster.nodes": [1]}})")
            .find("grid.json: /base: no base") != std::string::npos);
  CHECK(error_for(R"({"base": "base.json", "axes": {"cluster.nodes": []}})")
            .find("grid.json: /axes/cluster.nodes: an axis needs at least one value") != std::string::npos);
  CHECK(error_for(R"({"base": "base.json", "axes": {"cluster.nodes": [1, 1]}})")
            .find("/axes/cluster.nodes/1: repeats 1") != std::string::npos);
  CHECK(error_for(R"({"base": "base.json", "axes": {"clutser.nodes": [1]}})")
            .find("/axes/clutser.nodes: the path names \"clutser\"") != std::string::npos);
  CHECK(error_for(R"({"base": "base.json", "axes": {"strategies.5.tp": [1]}})")
            .find("indexes 5 past the 2 entries") != std::string::npos);
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 400; ++i) many.push_back(i);
  CHECK(error_for(nlohmann::json{{"base", "base.json"}, {"axes", {{"a", many}, {"b", many}}}}.dump())
            .find("more than 100000 points") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}
