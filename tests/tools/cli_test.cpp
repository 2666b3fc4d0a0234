// The strata command driven in-process: output, exit codes, and files written.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "strata/cli.hpp"

namespace fs = std::filesystem;

namespace {

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "strata");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = strata::tools::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// A temporary path unique to this process, so concurrent test runs do not collide.
fs::path scratch(const std::string& name) {
  return fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
}

}  // namespace

TEST_CASE("version and help flags succeed", "[cli]") {
  const CliRun version = run({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("strata ", 0) == 0);
  const CliRun help = run({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("demo") != std::string::npos);
  CHECK(help.out.find("Exit codes") != std::string::npos);
  CHECK(run({}).exit_code == 0);
}

TEST_CASE("usage errors exit 2 with a message on stderr", "[cli]") {
  const CliRun unknown = run({"frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("frobnicate") != std::string::npos);
  CHECK(run({"demo", "--no-such-flag"}).exit_code == 2);
}

TEST_CASE("demo prints the pipeline table and writes a Perfetto-readable trace", "[cli]") {
  const fs::path dir = scratch("strata-cli-demo-test");
  fs::remove_all(dir);
  const CliRun demo = run({"demo", "--out", dir.string()});
  REQUIRE(demo.exit_code == 0);
  // Hand-derived in tools/strata/demo_command.cpp's toy: the last micro-batch leaves stage 1 at 6 ms.
  CHECK(demo.out.find("makespan 6.000 ms") != std::string::npos);
  std::ifstream in(dir / "engine-demo-trace.json");
  REQUIRE(in.good());
  const auto trace = nlohmann::json::parse(in);
  CHECK(trace["traceEvents"].size() > 10);
  // Same input, same output.
  std::stringstream first;
  first << std::ifstream(dir / "engine-demo-trace.json").rdbuf();
  REQUIRE(run({"demo", "--out", dir.string()}).exit_code == 0);
  std::stringstream second;
  second << std::ifstream(dir / "engine-demo-trace.json").rdbuf();
  CHECK(first.str() == second.str());
  fs::remove_all(dir);
}

TEST_CASE("an unwritable output directory is bad input, exit 2", "[cli]") {
  const fs::path blocker = scratch("strata-cli-blocker");
  fs::remove_all(blocker);
  std::ofstream(blocker) << "a file, not a directory";
  const CliRun demo = run({"demo", "--out", (blocker / "sub").string()});
  CHECK(demo.exit_code == 2);
  CHECK(demo.err.find("strata-cli-blocker") != std::string::npos);
  fs::remove_all(blocker);
}

TEST_CASE("hw list and hw show print the shipped profiles with sources", "[cli]") {
  const CliRun list = run({"hw", "list"});
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("h100-sxm5-80gb") != std::string::npos);
  CHECK(list.out.find("gb200-nvl72") != std::string::npos);
  const CliRun show = run({"hw", "show", "h100-sxm5-80gb", "--json"});
  REQUIRE(show.exit_code == 0);
  const auto document = nlohmann::json::parse(show.out);
  CHECK(document["kind"] == "gpu");
  bool found_peak = false;
  for (const auto& field : document["fields"]) {
    CHECK_FALSE(field["source"].get<std::string>().empty());
    if (field["key"] == "peak_flops.bf16") found_peak = field["value"] == "989 TFLOP/s";
  }
  CHECK(found_peak);
  CHECK(run({"hw", "show", "dgx-b200"}).out.find("nvlink.bandwidth_per_gpu") != std::string::npos);
  const CliRun unknown = run({"hw", "show", "tpu-v9"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("known: a100-sxm4-80gb") != std::string::npos);
  CHECK(run({"hw", "list", "--profiles", "/nonexistent"}).exit_code == 2);
}
