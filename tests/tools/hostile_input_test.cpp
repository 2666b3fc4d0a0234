// Regression tests for the defects a mutation campaign found (issue 22): each hostile input is bad input
// (exit 2) naming the file and where in it, with nothing half-written, and output bundles say whether they
// are complete.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../support/cli_run.hpp"
#include "../support/scratch_files.hpp"

using strata::testing::CliRun;
using strata::testing::fresh_dir;
using strata::testing::run;
using strata::testing::slurp;

namespace fs = std::filesystem;

namespace {

nlohmann::json small_scenario() {
  return {{"name", "small"},
          {"cluster", {{"system", "dgx-h100"}, {"nodes", 1}}},
          {"model", "llama3-8b"},
          {"training", {{"seq_len", 2048}, {"global_batch", 16}}},
          {"strategies",
           {{{"name", "tp2-dp4"}, {"tp", 2}, {"dp", 4}}, {{"name", "dp8"}, {"dp", 8}, {"micro_batch", 2}}}}};
}

// Runs `args` and checks the outcome is bad input whose message contains `message`.
void check_bad_input(const std::vector<std::string>& args, const std::string& message) {
  const CliRun result = run(args);
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find(message) != std::string::npos);
}

}  // namespace

TEST_CASE("a number beyond a double's range is bad input in every JSON reader", "[cli][hostile]") {
  const fs::path dir = fresh_dir("hostile-number");
  std::string text = small_scenario().dump();
  text.replace(text.find("\"nodes\":1"), 9, "\"nodes\":1e999");
  std::ofstream(dir / "s.json") << text;
  check_bad_input({"run", (dir / "s.json").string(), "-o", (dir / "out").string()},
                  "s.json: number out of range at line 1");
  CHECK_FALSE(fs::exists(dir / "out"));
  std::ofstream(dir / "config.json") << R"({"num_hidden_layers": -1e999})";
  check_bad_input({"model", "show", (dir / "config.json").string()}, "config.json: number out of range");
  fs::remove_all(dir);
}

TEST_CASE("a scenario whose step overflows simulated time is bad input naming the strategy",
          "[cli][hostile]") {
  const fs::path dir = fresh_dir("hostile-seq");
  nlohmann::json scenario = small_scenario();
  scenario["training"]["seq_len"] = 100'000'000;
  std::ofstream(dir / "s.json") << scenario.dump();
  check_bad_input({"run", (dir / "s.json").string(), "-o", (dir / "out").string()},
                  "s.json: /strategies/0: simulated time overflow");
  CHECK_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

TEST_CASE("a model file that does not exist is named at /model, relative to the scenario", "[cli][hostile]") {
  const fs::path dir = fresh_dir("hostile-model");
  nlohmann::json scenario = small_scenario();
  scenario["model"] = "configs/absent.json";
  std::ofstream(dir / "s.json") << scenario.dump();
  check_bad_input({"run", (dir / "s.json").string()},
                  "s.json: /model: no model preset or file \"configs/absent.json\" (looked for " +
                      (dir / "configs/absent.json").string());
  // The same path from the scenario's directory is found, wherever the command runs.
  fs::create_directories(dir / "configs");
  fs::copy_file(fs::path(STRATA_SOURCE_PRESET_DIR) / "llama3-8b.json", dir / "configs/llama3-8b.json");
  scenario["model"] = "configs/llama3-8b.json";
  std::ofstream(dir / "s.json") << scenario.dump();
  const CliRun found = run({"run", (dir / "s.json").string()});
  INFO(found.err);
  CHECK(found.exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE("search bounds are bounded: repeated values and too many candidates are refused",
          "[cli][hostile]") {
  const fs::path dir = fresh_dir("hostile-search");
  nlohmann::json scenario = small_scenario();
  scenario.erase("strategies");
  scenario["search"] = {{"tp", {1, 2, 2}}};
  std::ofstream(dir / "s.json") << scenario.dump();
  check_bad_input({"search", (dir / "s.json").string()}, "s.json: /search/tp/2: repeats 2");
  // 1,000 x 1,000 micro-batch and vpp values over a billion-sample batch: refused while enumerating, in
  // well under a second, instead of listing billions of candidates.
  nlohmann::json many = nlohmann::json::array();
  for (int i = 1; i <= 1000; ++i) many.push_back(i);
  scenario["training"]["global_batch"] = 1'000'000'000;
  scenario["search"] = {{"micro_batch", many}, {"vpp", many}, {"schedule", {"interleaved"}}, {"pp", {2}}};
  std::ofstream(dir / "s.json") << scenario.dump();
  check_bad_input({"search", (dir / "s.json").string()},
                  "s.json: /search: the bounds allow more than 200000");
  fs::remove_all(dir);
}

TEST_CASE("replay refuses graphs that ask for more than they hold or say nothing", "[cli][hostile]") {
  const fs::path dir = fresh_dir("hostile-graph");
  const nlohmann::json task = {
      {"id", 0},
      {"rank", 0},
      {"stream", 0},
      {"type", "compute"},
      {"name", "g"},
      {"deps", nlohmann::json::array()},
      {"compute", {{"kind", "gemm"}, {"m", 128}, {"n", 128}, {"k", 128}, {"batch", 1}, {"dtype", "bf16"}}}};
  const auto replay = [&](const nlohmann::json& graph) {
    std::ofstream(dir / "g.json") << graph.dump();
    return run({"replay", (dir / "g.json").string(), "--system", "dgx-h100"});
  };
  nlohmann::json graph = {{"strata_graph", 1},
                          {"ranks", 100'000'000},
                          {"streams", {"compute"}},
                          {"groups", nlohmann::json::array()},
                          {"tasks", {task}}};
  CliRun result = replay(graph);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("g.json: /ranks: 100000000 ranks for 1 tasks") != std::string::npos);
  graph["ranks"] = 1;
  graph["metadata"] = {{"tokens_per_step", "many"}};
  result = replay(graph);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());  // refused before anything was printed
  CHECK(result.err.find("g.json: /metadata/tokens_per_step: expected a number") != std::string::npos);
  graph["metadata"] = nlohmann::json::object();
  graph["tasks"] = nlohmann::json::array();
  CHECK(replay(graph).err.find("g.json: /tasks: a graph needs at least one task") != std::string::npos);
  graph["tasks"] = {task};
  graph["tasks"][0]["type"] = "memory";
  graph["tasks"][0].erase("compute");
  graph["tasks"][0]["memory"] = {{"bytes", 5}, {"category", "x"}};
  result = replay(graph);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("g.json: /tasks: the tasks take no simulated time") != std::string::npos);
  graph["tasks"][0] = task;
  graph["tasks"][0]["compute"] = {{"kind", "memory_bound"}, {"flops", 0}, {"bytes", 1e300}};
  result = replay(graph);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("g.json: /tasks/0/compute/bytes: at most") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("nccl-tests logs: counts that overflow and numbers beyond any link are refused at their line",
          "[cli][hostile]") {
  const fs::path dir = fresh_dir("hostile-nccl");
  const std::string log = slurp(fs::path(STRATA_CALIBRATION_FIXTURES) / "all_reduce_new_layout.log");
  const auto import = [&](const std::string& text) {
    std::ofstream(dir / "x.log") << text;
    return run(
        {"calibrate", "import-nccl-tests", (dir / "x.log").string(), "--out", (dir / "c.json").string()});
  };
  std::string threads = log;
  threads.replace(threads.find("nThread 1 nGpus 1"), 17, "nThread 100000 nGpus 100000");
  CliRun result = import(threads);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("x.log: line 2: nThread x nGpus is 10000000000 GPUs") != std::string::npos);
  threads = log;
  threads.replace(threads.find("nThread 1"), 9, "nThread 4294967298");
  CHECK(import(threads).err.find(
            "line 2: nThread must be an integer in [1, 1048576], found \"4294967298\"") != std::string::npos);
  std::string busbw = log;
  busbw.replace(busbw.find("67.09"), 5, "1e300");
  result = import(busbw);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("x.log: line 18: expected time") != std::string::npos);
  // A device line that is not UTF-8 is written as U+FFFD, not an internal error after the work.
  std::string latin1 = log;
  latin1.replace(latin1.find("NVIDIA H100 80GB HBM3"), 6, "NVIDI\xC4");
  REQUIRE(import(latin1).exit_code == 0);
  CHECK(slurp(dir / "c.json").find("NVIDI\xEF\xBF\xBD") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "c.json.tmp"));
  fs::remove_all(dir);
}

TEST_CASE("a file name that is not UTF-8 does not fail the JSON output", "[cli][hostile]") {
  const fs::path dir = fresh_dir("hostile-name");
  const fs::path odd = dir / "sc\xE9nario.json";
  std::ofstream(odd) << small_scenario().dump();
  const CliRun result = run({"run", odd.string(), "--json"});
  CHECK(result.exit_code == 0);
  CHECK_NOTHROW(nlohmann::json::parse(result.out));
  fs::remove_all(dir);
}

TEST_CASE("an output bundle marks itself complete last and cleans what earlier runs left", "[cli][bundle]") {
  const fs::path dir = fresh_dir("bundle");
  nlohmann::json scenario = small_scenario();
  std::ofstream(dir / "s.json") << scenario.dump();
  const fs::path out = dir / "out";
  REQUIRE(run({"run", (dir / "s.json").string(), "-o", out.string(), "--trace", "all"}).exit_code == 0);
  const auto manifest = [&] { return nlohmann::json::parse(slurp(out / "manifest.json")); };
  CHECK(manifest()["complete"] == true);
  CHECK(manifest()["files"].size() == 4);  // report.json, report.html, two traces
  CHECK(fs::exists(out / "trace-dp8.json"));
  // A killed writer's temporary, an unrelated file, and a second run with one strategy fewer.
  std::ofstream(out / "trace-dp8.json.tmp") << "half";
  std::ofstream(out / "notes.txt") << "mine";
  scenario["strategies"].erase(1);
  std::ofstream(dir / "s.json") << scenario.dump();
  REQUIRE(run({"run", (dir / "s.json").string(), "-o", out.string(), "--trace", "all"}).exit_code == 0);
  CHECK_FALSE(fs::exists(out / "trace-dp8.json"));      // the old run's trace, listed by its manifest
  CHECK_FALSE(fs::exists(out / "trace-dp8.json.tmp"));  // its temporary
  CHECK(fs::exists(out / "notes.txt"));                 // never listed: never touched
  CHECK(manifest()["files"].size() == 3);
  const nlohmann::json listed = manifest();  // the loop must not range over a temporary's member
  for (const auto& file : listed["files"])
    CHECK(fs::file_size(out / file["name"].get<std::string>()) == file["bytes"].get<std::uintmax_t>());
  // A path that cannot hold the bundle fails before the simulation, with nothing written.
  std::ofstream(dir / "plain") << "x";
  check_bad_input({"run", (dir / "s.json").string(), "-o", (dir / "plain" / "out").string()},
                  "is not a directory");
  fs::remove_all(dir);
}
