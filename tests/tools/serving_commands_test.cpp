// strata run / validate / search on serving scenarios, in-process: the table, the report bundle, exit codes.
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

const char* kServing =
    R"({"name": "serve", "cluster": {"system": "dgx-h100", "nodes": 1, "gpus_per_node": 2},
  "model": "llama3.1-8b",
  "inference": {"requests": 100, "input_len": 128, "output_len": 32, "arrival": "offline"},
  "strategies": [{"name": "tp1x2", "tp": 1, "replicas": 2, "weights_dtype": "fp8", "kv_dtype": "fp8"},
                 {"name": "tp2", "tp": 2, "weights_dtype": "fp8", "kv_dtype": "fp8",
                  "expected": {"output_tokens_per_s": 9000}, "source": "a test"}]})";

}  // namespace

TEST_CASE("run serves a serving scenario: ranked table, report.json and report.html", "[cli][serving]") {
  const fs::path dir = fresh_dir("serve");
  std::ofstream(dir / "s.json") << kServing;
  const CliRun table = run({"run", (dir / "s.json").string(), "-o", (dir / "out").string()});
  INFO(table.err);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("100 requests of 128 + 32 tokens, offline"));
  CHECK_THAT(table.out, Catch::Contains("Ranked by output tokens/s per GPU"));
  CHECK_THAT(table.out, Catch::Contains("TTFT p50/p99 (ms)"));
  CHECK(fs::exists(dir / "out/report.html"));
  const nlohmann::json report = nlohmann::json::parse(slurp(dir / "out/report.json"));
  CHECK(report["results"].size() == 2);
  CHECK(report["results"][0]["rank"] == 1);
  CHECK(report["results"][0]["preemptions"] == 0);  // no-evict admission never preempts
  const CliRun json = run({"run", (dir / "s.json").string(), "--json"});
  REQUIRE(json.exit_code == 0);
  CHECK(nlohmann::json::parse(json.out) == report);

  const CliRun validated = run({"validate", (dir / "s.json").string()});
  CHECK_THAT(validated.out, Catch::Contains("serve/tp2"));

  // The default with -o: the first-ranked deployment's timeline; --trace all: every one.
  CHECK(fs::exists(dir / "out" / ("trace-" + report["results"][0]["name"].get<std::string>() + ".json")));
  const CliRun traced = run({"run", (dir / "s.json").string(), "--trace", "all", "-o", (dir / "t").string()});
  REQUIRE(traced.exit_code == 0);
  const nlohmann::json timeline = nlohmann::json::parse(slurp(dir / "t/trace-tp1x2.json"));
  int requests = 0;
  int iterations = 0;
  for (const auto& event : timeline["traceEvents"]) {
    requests += event["ph"] == "b" ? 1 : 0;
    iterations += event["ph"] == "X" && event["name"] == "gemm" ? 1 : 0;
  }
  CHECK(requests == 100);
  CHECK(iterations > 32);
  CHECK(fs::exists(dir / "t/trace-tp2.json"));
  const CliRun searched = run({"search", (dir / "s.json").string()});
  CHECK(searched.exit_code == 2);
  CHECK_THAT(searched.err, Catch::Contains("/search: missing: a serving search needs a \"search\" object"));
  const CliRun lowered = run({"lower", (dir / "s.json").string(), "tp2"});
  CHECK(lowered.exit_code == 2);
  fs::remove_all(dir);
}

TEST_CASE("search ranks deployments within the bounds and names the Pareto front", "[cli][serving]") {
  const fs::path dir = fresh_dir("serve-search");
  nlohmann::json scenario = nlohmann::json::parse(kServing);
  scenario.erase("strategies");
  scenario["search"] = {{"weights_dtype", {"fp8"}}, {"kv_dtype", {"fp8"}}};
  std::ofstream(dir / "s.json") << scenario.dump();
  const CliRun result =
      run({"search", (dir / "s.json").string(), "--top", "1", "-o", (dir / "out").string()});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("2 deployments, 0 infeasible"));
  CHECK_THAT(result.out, Catch::Contains("Pareto front (output tokens/s per GPU against TPOT p50): "));
  CHECK_THAT(result.out, Catch::Contains("Pareto front (output tokens/s per GPU against TTFT p50): "));
  const nlohmann::json report = nlohmann::json::parse(slurp(dir / "out/report.json"));
  CHECK(report["results"].size() == 1);
  CHECK(report["search"]["candidates"] == 2);
  CHECK_FALSE(report["search"]["pareto_front"].empty());
  CHECK_FALSE(report["search"]["pareto_front_ttft"].empty());
  const CliRun only_bounds = run({"run", (dir / "s.json").string()});
  CHECK(only_bounds.exit_code == 2);
  CHECK_THAT(only_bounds.err, Catch::Contains("no deployments to run: the scenario has only search bounds"));
  fs::remove_all(dir);
}

TEST_CASE("run refuses a serving deployment that can never serve and writes nothing", "[cli][serving]") {
  const fs::path dir = fresh_dir("serve-bad");
  std::string text = kServing;
  text.replace(text.find("\"input_len\": 128"), 16, "\"input_len\": 4000000");
  std::ofstream(dir / "s.json") << text;
  const CliRun result = run({"run", (dir / "s.json").string(), "-o", (dir / "out").string()});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("s.json: /strategies/0"));
  CHECK_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}
