// strata run / search / validate driven in-process: reports written, determinism, bad input, exit codes.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "../support/cli_run.hpp"
#include "../support/scratch_files.hpp"

using strata::testing::CliRun;
using strata::testing::fresh_dir;
using strata::testing::run;
using strata::testing::slurp;

namespace fs = std::filesystem;

namespace {

// Llama-3-8B on one DGX H100: small enough to simulate in milliseconds.
const char* kScenario =
    R"({"name": "small <b>", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
  "training": {"seq_len": 2048, "global_batch": 16},
  "strategies": [
    {"name": "tp2-pp2-dp2", "tp": 2, "pp": 2, "dp": 2, "sequence_parallel": true, "zero": 1},
    {"name": "<script>alert(1)</script>", "dp": 8, "micro_batch": 2},
    {"name": "huge-batch", "tp": 1, "pp": 1, "dp": 8, "micro_batch": 2, "recompute": "none",
      "dp_overlap": false}
  ]})";

}  // namespace

TEST_CASE("run ranks strategies and writes report.json, report.html and traces", "[cli][run]") {
  const fs::path dir = fresh_dir("run");
  std::ofstream(dir / "s.json") << kScenario;
  const CliRun first = run({"run", (dir / "s.json").string(), "-o", (dir / "out").string()});
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("rank  strategy") != std::string::npos);
  CHECK(first.out.find("tokens/s/GPU") != std::string::npos);
  const auto report = nlohmann::json::parse(slurp(dir / "out" / "report.json"));
  // The verdict opens the output, and is the report's.
  const std::string verdict = report.at("verdict");
  CHECK(verdict.find(report.at("results")[0].at("name").get<std::string>()) == 0);
  CHECK(first.out.find(verdict.substr(0, 30)) < first.out.find("rank  strategy"));
  CHECK(report.at("strata_report") == 1);
  REQUIRE(report.at("results").size() == 3);
  for (const auto& r : report.at("results")) {
    CHECK(r.at("step_time_s").get<double>() > 0);
    CHECK(r.at("mfu").get<double>() > 0);
    CHECK(r.at("mfu").get<double>() < 1);
    CHECK(r.at("memory").at("peak_bytes").get<double>() > 0);
    double total = 0;
    for (const auto& [key, seconds] : r.at("time_breakdown_s").items()) total += seconds.get<double>();
    CHECK(total ==
          Approx(r.at("step_time_s").get<double>()).epsilon(1e-6));  // the breakdown explains the step
  }
  CHECK(report.at("results")[0].at("rank") == 1);
  // Every prediction with its error band from the shipped validation residuals
  // (scenarios/runner/error_band.hpp).
  CHECK(first.out.find("expected error") != std::string::npos);
  for (const auto& r : report.at("results")) {
    const auto& band = r.at("error_band");
    CHECK(band.at("cases").get<int>() >= 3);
    CHECK(band.at("low_pct").get<double>() <= band.at("high_pct").get<double>());
    CHECK(band.at("step_time_s").at("low").get<double>() <= r.at("step_time_s").get<double>() * 2);
    CHECK(band.at("basis").get<std::string>().find("hopper") != std::string::npos);
  }
  const auto& results = report.at("results");
  for (std::size_t i = 1; i < results.size(); ++i) {
    const bool earlier_oom = results[i - 1].at("memory").at("oom");
    const bool oom = results[i].at("memory").at("oom");
    CHECK((earlier_oom <= oom));  // those that fit first
    if (earlier_oom == oom)
      CHECK(results[i - 1].at("step_time_s").get<double>() <= results[i].at("step_time_s").get<double>());
  }
  // Same scenario, same bytes.
  REQUIRE(run({"run", (dir / "s.json").string(), "-o", (dir / "again").string()}).exit_code == 0);
  CHECK(slurp(dir / "out" / "report.json") == slurp(dir / "again" / "report.json"));
  CHECK(slurp(dir / "out" / "report.html") == slurp(dir / "again" / "report.html"));
  // --json prints the same document.
  CHECK(nlohmann::json::parse(run({"run", (dir / "s.json").string(), "--json"}).out) == report);
  // The HTML is self-contained and escapes what users wrote.
  const std::string html = slurp(dir / "out" / "report.html");
  CHECK(html.find("<script>alert(1)") == std::string::npos);
  CHECK(html.find("<script>") == html.rfind("<script>"));  // the page's own sorting script only
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("small &lt;b&gt;") != std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // no fetched resources
  // Traces: the first-ranked strategy's by default, every one with --trace all, none with --trace none.
  const std::string best = report.at("results")[0].at("name");
  const auto traces_in = [](const fs::path& out) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(out))
      if (entry.path().filename().string().rfind("trace-", 0) == 0)
        names.insert(entry.path().filename().string());
    return names;
  };
  CHECK(traces_in(dir / "out") == std::set<std::string>{"trace-" + best + ".json"});
  CHECK(first.out.find("1 trace of ") != std::string::npos);
  REQUIRE(run({"run", (dir / "s.json").string(), "-o", (dir / "all").string(), "--trace", "all"}).exit_code ==
          0);
  CHECK(traces_in(dir / "all") == std::set<std::string>{"trace-tp2-pp2-dp2.json",
                                                        "trace-_script_alert_1___script_.json",
                                                        "trace-huge-batch.json"});
  CHECK(slurp(dir / "all" / ("trace-" + best + ".json")) == slurp(dir / "out" / ("trace-" + best + ".json")));
  CHECK(slurp(dir / "all" / "report.html") == html);
  const nlohmann::json trace = nlohmann::json::parse(slurp(dir / "all" / "trace-tp2-pp2-dp2.json"));
  CHECK(trace.at("traceEvents").size() > 100);
  // Slices carry what they were (task_trace.hpp); memory is a counter track, not zero-length slices.
  int gemms = 0, collectives = 0, memory_slices = 0, memory_counters = 0, arrows_out = 0, arrows_in = 0;
  int in_a_layer = 0, optimizer_slices = 0;
  for (const auto& event : trace.at("traceEvents")) {
    arrows_out += event.at("ph") == "s" ? 1 : 0;  // a pipeline send's arrow to its receive
    arrows_in += event.at("ph") == "f" ? 1 : 0;
    if (event.at("ph") == "C" && event.at("name").get<std::string>().rfind("allocated GiB", 0) == 0)
      ++memory_counters;
    if (event.at("ph") != "X") continue;
    const auto& args = event.at("args");
    if (args.at("type") == "memory") ++memory_slices;
    if (args.value("kind", "") == "gemm" && args.at("achieved_tflop_per_s").get<double>() > 0 &&
        args.contains("gemm_mnk"))
      ++gemms;
    if (args.at("type") == "collective" && args.contains("group") && args.contains("algorithm_gb_per_s") &&
        args.contains("bandwidth_path") && args.contains("time_from"))
      ++collectives;
    // Kernels of a layer name their pass, micro-batch, chunk and layer; the optimizer step has no pass.
    if (args.contains("layer") && args.contains("pass") && args.contains("micro_batch") &&
        args.contains("chunk"))
      ++in_a_layer;
    if (args.at("category") == "optimizer") optimizer_slices += args.contains("pass") ? 1000 : 1;
  }
  CHECK(gemms > 0);
  CHECK(collectives > 0);
  CHECK(in_a_layer > 0);
  CHECK(optimizer_slices > 0);
  CHECK(optimizer_slices < 1000);
  CHECK(memory_slices == 0);
  CHECK(memory_counters > 0);
  CHECK(arrows_out > 0);
  CHECK(arrows_in == arrows_out);
  REQUIRE(
      run({"run", (dir / "s.json").string(), "-o", (dir / "none").string(), "--trace", "none"}).exit_code ==
      0);
  CHECK(traces_in(dir / "none").empty());
  // --trace without -o would do nothing: refused.
  const CliRun pointless = run({"run", (dir / "s.json").string(), "--trace", "all"});
  CHECK(pointless.exit_code == 2);
  CHECK(pointless.err.find("--trace: traces are written into the -o directory") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("run reports offloaded states per node and calls them OOM when the host cannot hold them",
          "[cli][run][offload]") {
  const fs::path dir = fresh_dir("run-offload");
  // Llama-3-70B on one DGX H100: 70.6e9 parameters x (12 + 4) bytes = 1.13 TB of host memory (2 TiB fit);
  // GPT 1T: 16 TB do not.
  std::ofstream(dir / "s.json")
      << R"({"name": "offload", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-70b",
    "training": {"seq_len": 2048, "global_batch": 16},
    "strategies": [{"name": "zero3-cpu", "dp": 8, "zero": 3, "offload": "cpu", "recompute": "full"}]})";
  const CliRun fits = run({"run", (dir / "s.json").string(), "--json"});
  REQUIRE(fits.exit_code == 0);
  const auto memory = nlohmann::json::parse(fits.out).at("results")[0].at("memory");
  CHECK(memory.at("offload").at("host_bytes_per_node").get<double>() == Approx(70.6e9 * 16).epsilon(0.01));
  CHECK(memory.at("oom") == false);
  std::string big = slurp(dir / "s.json");
  big.replace(big.find("llama3-70b"), 10, "gpt-1t");
  std::ofstream(dir / "big.json") << big;
  const CliRun too_big = run({"run", (dir / "big.json").string(), "--json"});
  REQUIRE(too_big.exit_code == 0);
  const auto big_memory = nlohmann::json::parse(too_big.out).at("results")[0].at("memory");
  CHECK(big_memory.at("offload").at("host_bytes_per_node").get<double>() >
        big_memory.at("offload").at("host_capacity_bytes").get<double>());
  CHECK(big_memory.at("oom") == true);
  fs::remove_all(dir);
}

TEST_CASE("run refuses a scenario with only search bounds and points to strata search", "[cli][run]") {
  const fs::path dir = fresh_dir("run-search-only");
  std::ofstream(dir / "s.json")
      << R"({"name": "bounds", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
    "training": {"seq_len": 2048, "global_batch": 16}, "search": {"tp": [1, 2]}})";
  const CliRun result = run({"run", (dir / "s.json").string(), "-o", (dir / "out").string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find(
            "s.json: /strategies: no strategies to run: the scenario has only search bounds (strata "
            "search") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

TEST_CASE("run refuses bad scenarios with the file and JSON path and writes nothing", "[cli][run]") {
  const fs::path dir = fresh_dir("run-bad");
  const auto check = [&](const std::string& text, const std::string& message) {
    std::ofstream(dir / "bad.json") << text;
    const CliRun result = run({"run", (dir / "bad.json").string(), "-o", (dir / "out").string()});
    CHECK(result.exit_code == 2);
    INFO(result.err);
    CHECK(result.err.find(message) != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out"));
  };
  std::string text = kScenario;
  check(std::string(text).replace(text.find("\"zero\": 1"), 9, "\"zero\": 1, \"turbo\": true"),
        "bad.json: /strategies/0/turbo: unknown key");
  check(std::string(text).replace(text.find("\"tp\": 2"), 7, "\"tp\": \"2\""), "bad.json: /strategies/0/tp");
  check(std::string(text).replace(text.find("\"tp\": 2"), 7, "\"tp\": 3"), "/strategies/0/tp");
  check(std::string(text).replace(text.find("\"llama3-8b\""), 11, "{\"hf_config\": \"missing.json\"}"),
        "missing.json");
  std::string no_sp = text;
  no_sp.replace(no_sp.find("\"sequence_parallel\": true"), 25, "\"sequence_parallel\": false");
  no_sp.replace(no_sp.find("\"tp\": 2"), 7, "\"tp\": 2, \"tp_overlap\": true");
  check(no_sp, "/strategies/0/tp_overlap: TP communication overlap needs sequence_parallel");
  CHECK(run({"run", (dir / "absent.json").string()}).exit_code == 2);
  CHECK(run({"run", (dir / "bad.json").string(), "--fidelity", "quantum"}).exit_code == 2);
  fs::remove_all(dir);
}

TEST_CASE("run --fidelity flow simulates every rank on the topology and keeps the scenario's checks",
          "[cli][run]") {
  const fs::path dir = fresh_dir("run-flow");
  std::string text = kScenario;
  std::ofstream(dir / "s.json") << text;
  const CliRun flow = run({"run", (dir / "s.json").string(), "--fidelity", "flow"});
  INFO(flow.err);
  CHECK(flow.exit_code == 0);
  CHECK(flow.out.find("flow fidelity") != std::string::npos);
  // A topology key in the file: refused once the command line sets analytic fidelity over the file's flow.
  std::string with_topology = text;
  with_topology.replace(with_topology.find("\"nodes\": 1"), 10, "\"nodes\": 1, \"oversubscription\": 2");
  with_topology.insert(with_topology.rfind('}'), ", \"fidelity\": \"flow\"");
  std::ofstream(dir / "t.json") << with_topology;
  const CliRun from_file = run({"run", (dir / "t.json").string()});
  INFO(from_file.err);
  CHECK(from_file.exit_code == 0);
  const CliRun analytic = run({"run", (dir / "t.json").string(), "--fidelity", "analytic"});
  CHECK(analytic.exit_code == 2);
  CHECK(analytic.err.find("/cluster/oversubscription: has no effect at analytic fidelity") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("run --steps reports the step-time distribution of a jittered cluster", "[cli][run]") {
  const fs::path dir = fresh_dir("run-steps");
  std::string text = kScenario;
  std::ofstream(dir / "plain.json") << text;
  const CliRun refused = run({"run", (dir / "plain.json").string(), "--steps", "3"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--steps: every one of the 3 steps would be the same") != std::string::npos);
  text.replace(text.find("\"nodes\": 1"), 10, "\"nodes\": 1, \"jitter\": {\"cv\": 0.1, \"seed\": 3}");
  std::ofstream(dir / "jitter.json") << text;
  const CliRun table = run({"run", (dir / "jitter.json").string(), "--steps", "3"});
  INFO(table.err);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("p99 step (s)") != std::string::npos);
  CHECK(table.out.find("over 3 steps with jitter seeds 3 to 5") != std::string::npos);
  const CliRun json = run({"run", (dir / "jitter.json").string(), "--steps", "3", "--json"});
  const nlohmann::json report = nlohmann::json::parse(json.out);
  const nlohmann::json& distribution = report["results"][0]["step_time_distribution_s"];
  CHECK(distribution["steps"] == 3);
  CHECK(distribution["p50"] == report["results"][0]["step_time_s"]);
  CHECK(distribution["max"].get<double>() >= distribution["p99"].get<double>());
  fs::remove_all(dir);
}

TEST_CASE("jobs runs two scenarios on one cluster and prints what each costs the other", "[cli][jobs]") {
  const fs::path dir = fresh_dir("jobs");
  std::ofstream(dir / "job.json") << R"({"name": "job", "cluster": {"system": "dgx-h100", "nodes": 1},
    "model": {"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 2, "hidden_size": 1024,
              "num_attention_heads": 8, "num_key_value_heads": 8, "intermediate_size": 4096,
              "vocab_size": 32000, "max_position_embeddings": 2048, "hidden_act": "silu"},
    "training": {"seq_len": 1024, "global_batch": 8}, "strategies": [{"name": "dp8", "dp": 8}]})";
  std::ofstream(dir / "jobs.json") << R"({"name": "pair", "cluster": {"system": "dgx-h100", "nodes": 2},
    "jobs": [{"name": "a", "scenario": "job.json", "nodes": [0]},
             {"name": "b", "scenario": "job.json", "nodes": [1]}]})";
  const CliRun table = run({"jobs", (dir / "jobs.json").string()});
  INFO(table.err);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("slowdown") != std::string::npos);
  const CliRun json = run({"jobs", (dir / "jobs.json").string(), "--json"});
  const nlohmann::json report = nlohmann::json::parse(json.out);
  CHECK(report["strata_jobs_report"] == 1);
  CHECK(report["jobs"].size() == 2);
  CHECK(report["jobs"][0]["slowdown_pct"] == 0.0);  // one node each: they share nothing
  CHECK(run({"jobs", (dir / "absent.json").string()}).exit_code == 2);
  fs::remove_all(dir);
}

TEST_CASE("search prunes, simulates and ranks within the bounds", "[cli][search]") {
  const fs::path dir = fresh_dir("search");
  std::ofstream(dir / "s.json")
      << R"({"name": "s", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
    "training": {"seq_len": 2048, "global_batch": 16},
    "search": {"tp": [1, 2, 3], "pp": [1, 2], "micro_batch": [1, 2], "zero": [0, 1],
               "recompute": ["none", "full"],
               "schedule": ["1f1b"], "sequence_parallel": [true]}})";
  const CliRun result =
      run({"search", (dir / "s.json").string(), "--top", "3", "-o", (dir / "out").string()});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("candidates") != std::string::npos);
  // The dimensions left open are named, not searched silently.
  CHECK(result.out.find("unbounded in \"search\" (every valid value): vpp, cp, ep;") != std::string::npos);
  const auto report = nlohmann::json::parse(slurp(dir / "out" / "report.json"));
  CHECK(report.at("results").size() == 3);
  // The page shows the search's counts.
  CHECK(slurp(dir / "out" / "report.html").find("<p>Search: ") != std::string::npos);
  const auto& counts = report.at("search");
  // tp 3 divides neither 8 GPUs nor 32 heads: never a candidate; the rest are simulated or counted as pruned
  // (invalid, over memory, or bounded out of the top 3).
  CHECK(counts.at("simulated").get<int>() + counts.at("invalid").get<int>() +
            counts.at("oom_pruned").get<int>() + counts.at("bound_pruned").get<int>() ==
        counts.at("candidates").get<int>());
  CHECK(counts.at("simulated").get<int>() >= 3);
  CHECK(counts.at("extrapolated").get<int>() <= counts.at("simulated").get<int>());
  CHECK(report.at("results")[0].at("step_time_s").get<double>() <=
        report.at("results")[2].at("step_time_s").get<double>());
  // The thread count changes nothing in the report.
  const CliRun one = run({"search", (dir / "s.json").string(), "--top", "100", "--json", "-j", "1"});
  const CliRun three = run({"search", (dir / "s.json").string(), "--top", "100", "--json", "-j", "3"});
  REQUIRE(one.exit_code == 0);
  CHECK(one.out == three.out);
  std::ofstream(dir / "bad.json") << R"({"name": "s", "cluster": {"system": "dgx-h100"}, "model": "llama3-8b",
    "training": {"seq_len": 2048, "global_batch": 16}, "search": {"tp": []}})";
  const CliRun bad = run({"search", (dir / "bad.json").string()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.json: /search/tp: an empty list leaves nothing to search") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("validate reports every case and exits 4 when one is outside its tolerance", "[cli][validate]") {
  const fs::path dir = fresh_dir("validate");
  const auto write_case = [&](const std::string& file, double step) {
    std::ofstream(dir / file)
        << R"({"name": ")" + file + R"(", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
      "training": {"seq_len": 2048, "global_batch": 16},
      "strategies": [{"name": "dp8", "dp": 8, "expected": {"step_time_s": )" +
               std::to_string(step) + R"(, "tolerance_pct": 20}, "source": "test"}]})";
  };
  write_case("a.json", 1.0);
  const CliRun probe = run({"validate", (dir / "a.json").string(), "--json"});
  const auto first = nlohmann::json::parse(probe.out);
  const double predicted = first.at("cases")[0].at("predicted_step_time_s").get<double>();
  write_case("a.json", predicted * 1.05);  // 5% off: passes
  write_case("b.json", predicted * 2.0);   // 50% off: fails
  const CliRun both = run({"validate", dir.string()});
  CHECK(both.exit_code == 4);
  CHECK(both.out.find("MAPE") != std::string::npos);
  CHECK(both.out.find("FAIL") != std::string::npos);
  CHECK(run({"validate", (dir / "a.json").string()}).exit_code == 0);
  // --residuals-out: each case's measured / predicted - 1 and family, written also when a case fails; the
  // families with their bands in the table and the JSON.
  write_case("c.json", predicted * 0.9);
  const CliRun residuals =
      run({"validate", dir.string(), "--json", "--residuals-out", (dir / "r.out").string()});
  CHECK(residuals.exit_code == 4);
  const auto written = nlohmann::json::parse(slurp(dir / "r.out"));
  REQUIRE(written.at("cases").size() == 3);
  CHECK(written.at("cases")[1].at("residual").get<double>() == Approx(1.0).margin(1e-4));
  CHECK(written.at("cases")[2].at("residual").get<double>() == Approx(-0.1).margin(1e-4));
  CHECK(written.at("cases")[0].at("parallelism") == "data");
  const auto families = nlohmann::json::parse(residuals.out).at("families");
  REQUIRE(families.size() == 1);
  CHECK(families[0].at("family") == "megatron-core hopper data training");
  CHECK(families[0].at("band_cases") == 3);
  CHECK(families[0].at("high_pct").get<double>() > 50);
  fs::remove(dir / "c.json");
  std::ofstream(dir / "plain.json") << kScenario;
  CHECK(run({"validate", (dir / "plain.json").string()}).err.find("not a validation case") !=
        std::string::npos);
  CHECK(run({"validate", (dir / "nowhere").string()}).exit_code == 2);
  fs::remove_all(dir);
}

TEST_CASE("every shipped example scenario with strategies runs", "[cli][run][examples]") {
  int ran = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(STRATA_SOURCE_DIR) / "scenarios" / "examples")) {
    if (entry.path().extension() != ".json") continue;
    if (nlohmann::json::parse(slurp(entry.path())).contains("search")) continue;  // searches: `strata search`
    INFO(entry.path().string());
    const CliRun result = run({"run", entry.path().string(), "--json"});
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    ++ran;
  }
  CHECK(ran >= 2);
}

TEST_CASE("run names a broken residuals file ($STRATA_RESIDUALS) and writes nothing", "[cli][run]") {
  const fs::path dir = fresh_dir("run-residuals");
  std::ofstream(dir / "s.json") << kScenario;
  std::ofstream(dir / "residuals.json") << R"({"strata_residuals": 1, "definition": "x", "cases": [
    {"name": "a", "workload": "training", "framework": "megatron-core", "architecture": "hopper",
     "parallelism": "data", "residual": -2}]})";
  ::setenv("STRATA_RESIDUALS", (dir / "residuals.json").c_str(), 1);
  const CliRun broken = run({"run", (dir / "s.json").string(), "-o", (dir / "out").string()});
  ::unsetenv("STRATA_RESIDUALS");
  CHECK(broken.exit_code != 0);
  CHECK(broken.err.find("residuals.json") != std::string::npos);
  CHECK(broken.err.find("/cases/0/residual") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out" / "report.json"));
}
