// strata sweep driven in-process: points, errors per point, resume without loss or duplicates.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/cli_run.hpp"
#include "../support/scratch_files.hpp"
#include "scenarios/report/sweep_html.hpp"
#include "scenarios/sweep/sweep_mpi.hpp"

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
      for (const auto& result : entry["results"])  // each with its error band (scenarios/README.md)
        CHECK(result.at("error_band_low_pct").get<double>() <=
              result.at("error_band_high_pct").get<double>());
    }
  }
  CHECK(indices == std::set<int>{0, 1, 2, 3});
  const std::string csv = slurp(dir / "a" / "sweep.csv");
  CHECK(csv.rfind("index,strategies.0.tp,training.seq_len,strategy,rank,gpus,step_time_s,error_band_low_pct,"
                  "error_band_high_pct,",
                  0) == 0);
  const std::string html = slurp(dir / "a" / "sweep.html");
  CHECK(html.find("<h2>Tokens/s per GPU against training.seq_len</h2>") != std::string::npos);
  CHECK(html.find("<h2>Cost against time: the Pareto front</h2>") != std::string::npos);
  CHECK(html.find("does not divide") != std::string::npos);  // the error of a tp-3 point, in the table
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

namespace {

// A finished point whose best strategy runs `tokens_per_s_per_gpu` on `gpus`.
nlohmann::json finished_point(int nodes, double gpus, double tokens_per_s_per_gpu, bool oom = false) {
  return {{"index", 0},
          {"point", {{"cluster.nodes", nodes}}},
          {"results",
           {{{"strategy", "<b>dp</b>"},
             {"rank", 1},
             {"gpus", gpus},
             {"step_time_s", 1.0},
             {"tokens_per_s_per_gpu", tokens_per_s_per_gpu},
             {"mfu", 0.4},
             {"peak_memory_gib", 30.0},
             {"oom", oom}}}}};
}

}  // namespace

TEST_CASE("sweep.html draws the Pareto front of cost against time from each point's best strategy",
          "[sweep][html]") {
  strata::scenarios::SweepGrid grid;
  grid.file = "grid.json";
  grid.base_file = "base.json";
  grid.axes = {{"cluster.nodes", {1, 2, 4, 8}}};
  // 1M tokens: point 0 takes 125 s and 0.28 GPU-hours; point 1 69 s and 0.31 (faster, dearer: on the front);
  // point 2 78 s and 0.69 (beaten by point 1 on both); point 3 does not fit in memory.
  const std::map<std::int64_t, nlohmann::json> entries = {{0, finished_point(1, 8, 1000)},
                                                          {1, finished_point(2, 16, 900)},
                                                          {2, finished_point(4, 32, 400)},
                                                          {3, finished_point(8, 64, 300, true)}};
  const std::string html = strata::scenarios::sweep_html(grid, entries);
  CHECK(html.find("<title>Pareto front, point 0: ") != std::string::npos);
  CHECK(html.find("<title>Pareto front, point 1: ") != std::string::npos);
  CHECK(html.find("<title>point 2: ") != std::string::npos);
  CHECK(html.find("Pareto front, point 2") == std::string::npos);
  CHECK(html.find("point 3: ") == std::string::npos);
  CHECK(html.find("1 where no strategy fits in memory") != std::string::npos);
  // Strings from scenarios are escaped, never markup.
  CHECK(html.find("<b>dp</b>") == std::string::npos);
  CHECK(html.find("&lt;b&gt;dp&lt;/b&gt;") != std::string::npos);
}

TEST_CASE("the MPI launch size comes from the launcher's environment", "[sweep][mpi]") {
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("PMI_SIZE");
  CHECK(strata::scenarios::mpi_launch_size() == 1);
  ::setenv("PMI_SIZE", "4", 1);
  CHECK(strata::scenarios::mpi_launch_size() == 4);
  ::setenv("PMI_SIZE", "4x", 1);
  CHECK(strata::scenarios::mpi_launch_size() == 1);
  ::unsetenv("PMI_SIZE");
}

#if !STRATA_HAVE_MPI
TEST_CASE("a build without MPI refuses to run one sweep or search as several processes",
          "[cli][sweep][mpi]") {
  const fs::path dir = strata::testing::scratch("sweep-no-mpi");
  fs::remove_all(dir);
  const fs::path grid = write_grid(dir);
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  const CliRun result = run({"sweep", grid.string(), "-o", (dir / "out").string()});
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("one of 2 MPI processes, but this strata was built without MPI") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}
#endif
