// strata trace info / trace import and the replay of an imported trace, driven in-process.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/cli_run.hpp"
#include "../support/scratch_files.hpp"

using strata::testing::fresh_dir;
using strata::testing::run;
using strata::testing::slurp;

namespace fs = std::filesystem;

namespace {

const std::string kDdpTrace =
    std::string(STRATA_SOURCE_DIR) + "/tests/traces/data/kineto-a100x2-ddp-step5.json.gz";

// The time `trace info --system` printed ("replay on dgx-h100: 0.093 ms").
double replayed_ms(const std::string& out) {
  const std::string marker = "replay on ";
  const std::size_t at = out.find(marker);
  REQUIRE(at != std::string::npos);
  return std::stod(out.substr(out.find(": ", at) + 2));
}

}  // namespace

TEST_CASE("trace info summarises a Kineto trace and compares its replay with the trace", "[cli][trace]") {
  const auto info = run({"trace", "info", kDdpTrace, "--system", "dgx-a100"});
  REQUIRE(info.exit_code == 0);
  CHECK_THAT(info.out, Catch::Contains("rank 0 of 2, NVIDIA A100-PG509-200"));
  CHECK_THAT(info.out, Catch::Contains("steps: 1 (ProfilerStep#5 to #5)"));
  CHECK_THAT(info.out, Catch::Contains("gemm") && Catch::Contains("communication") &&
                           Catch::Contains("allreduce Float x6637568 over 2 ranks"));
  CHECK_THAT(info.out, Catch::Contains("7 collectives priced by the network model"));
  CHECK_THAT(info.out, Catch::Contains("replay on dgx-a100:"));
  // The shipped DDP trace is host-bound: its launch gaps are nearly all of the replay's critical path.
  CHECK_THAT(info.out, Catch::Contains("critical path of the replay (what the step waited on), per step:\n"
                                       "    host                               "));
  // GEMM kernels linked to the operators that launched them, where the trace recorded their shapes.
  const auto pipeline = run(
      {"trace", "info",
       std::string(STRATA_SOURCE_DIR) + "/tests/traces/data/kineto-a100x16-pipeline-step551-553.json.gz"});
  REQUIRE(pipeline.exit_code == 0);
  CHECK_THAT(pipeline.out, Catch::Contains("18 of 67 GEMM kernels with their operator's shapes"));
  // What-if on another GPU: the trace's A100 kernels re-timed for the H100's rates.
  const auto h100 = run({"trace", "info", kDdpTrace, "--system", "dgx-h100"});
  REQUIRE(h100.exit_code == 0);
  CHECK_THAT(h100.out,
             Catch::Contains("\"NVIDIA A100-PG509-200\" matches no GPU profile: its kernels keep their"));
  const auto retimed =
      run({"trace", "info", kDdpTrace, "--system", "dgx-h100", "--recorded-on", "a100-sxm4-40gb"});
  REQUIRE(retimed.exit_code == 0);
  CHECK_THAT(retimed.out, Catch::Contains("kernels re-timed from a100-sxm4-40gb to h100-sxm5-80gb"));
  CHECK_THAT(retimed.out, Catch::Contains("gemm               203 kernels x0.322"));
  const auto pointless = run({"trace", "info", kDdpTrace, "--recorded-on", "a100-sxm4-40gb"});
  CHECK(pointless.exit_code == 2);
  CHECK_THAT(pointless.err, Catch::Contains("--recorded-on: has no effect without --system"));
  const auto measured = run({"trace", "info", kDdpTrace, "--measured-comm"});
  REQUIRE(measured.exit_code == 0);
  CHECK_THAT(measured.out, Catch::Contains("7 measured: --measured-comm"));
  CHECK_THAT(measured.out, Catch::Contains("--system NAME replays it"));
}

TEST_CASE("a trace without ProfilerStep annotations is one step: its whole span", "[cli][trace]") {
  const fs::path dir = fresh_dir("strata-trace-plain");
  const fs::path plain = dir / "plain.json";
  std::ofstream(plain) << R"({"traceEvents": [
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "tid": 5, "ts": 100, "dur": 4,
     "args": {"correlation": 1}},
    {"ph": "X", "cat": "kernel", "name": "ampere_sgemm_64x64_nn", "tid": 7, "ts": 104, "dur": 96,
     "args": {"stream": 7, "correlation": 1}}]})";
  const auto info = run({"trace", "info", plain.string(), "--system", "dgx-a100"});
  REQUIRE(info.exit_code == 0);
  CHECK_THAT(info.out, Catch::Contains("rank 0 of 1"));
  CHECK_THAT(info.out, Catch::Contains("no ProfilerStep annotation: the whole trace is one step of 0.10 ms"));
  CHECK_THAT(info.out, Catch::Contains("gemm                 1 ops       0.10 ms   96.0% of the window"));
  CHECK_THAT(info.out,
             Catch::Contains("replay on dgx-a100: 0.10 ms per step, measured 0.10 ms (on the trace's GPU): "
                             "-4.0%"));  // launch latency: not modelled
  fs::remove_all(dir);
}

TEST_CASE("trace import writes a graph that replay runs and compares with the trace", "[cli][trace]") {
  const fs::path dir = fresh_dir("strata-trace-import");
  const std::string graph = (dir / "ddp.json").string();
  const auto imported = run({"trace", "import", kDdpTrace, "-o", graph});
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Catch::StartsWith("wrote " + graph +
                                             ": 1 rank(s) for 2 GPUs, 2532 tasks, 1 step(s) of 219.73 ms"));
  const std::string first = slurp(graph);
  REQUIRE(run({"trace", "import", kDdpTrace, "-o", graph}).exit_code == 0);
  CHECK(slurp(graph) == first);  // same trace, same bytes
  const auto replayed = run({"replay", graph, "--system", "dgx-a100", "-o", (dir / "timeline").string()});
  REQUIRE(replayed.exit_code == 0);
  CHECK_THAT(replayed.out, Catch::Contains("1 ranks for 2 GPUs"));
  CHECK_THAT(replayed.out, Catch::Contains("measured         0.2197 s in the trace: replay"));
  // The replay's timeline keeps the trace's stream names.
  CHECK_THAT(slurp(dir / "timeline" / "trace.json"), Catch::Contains("\"stream 7\""));
  // --json: the report document strata run prints, its one result the replayed step.
  const auto json = run({"replay", graph, "--system", "dgx-a100", "--json"});
  REQUIRE(json.exit_code == 0);
  const nlohmann::json report = nlohmann::json::parse(json.out);
  CHECK(report.at("strata_report") == 1);
  CHECK(report.at("replay").at("system") == "dgx-a100");
  const nlohmann::json& result = report.at("results").at(0);
  CHECK(result.at("step_time_s").get<double>() == Approx(0.2197).epsilon(0.05));
  CHECK(std::abs(result.at("measured_error_pct").get<double>()) < 5);
  CHECK(result.at("time_breakdown_s").contains("compute"));
  fs::remove_all(dir);
}

TEST_CASE("a damaged trace is exit 2 naming the file, and nothing is written", "[cli][trace]") {
  const fs::path dir = fresh_dir("strata-trace-bad");
  const std::string compressed = slurp(kDdpTrace);
  const fs::path cut = dir / "cut.json.gz";
  std::ofstream(cut, std::ios::binary) << compressed.substr(0, compressed.size() / 3);
  const auto result = run({"trace", "import", cut.string(), "-o", (dir / "g.json").string()});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains(cut.string() + ": truncated gzip"));
  CHECK_FALSE(fs::exists(dir / "g.json"));
  const auto missing = run({"trace", "info", (dir / "nothing.json").string()});
  CHECK(missing.exit_code == 2);
  CHECK(run({"trace"}).exit_code == 2);  // a subcommand is required
  fs::remove_all(dir);
}

TEST_CASE("trace info and import read Chakra execution traces, one per rank", "[cli][trace]") {
  const std::string dir = std::string(STRATA_SOURCE_DIR) + "/tests/traces/data/chakra/all_reduce-8npus-1MB/";
  std::vector<std::string> args{"trace", "info"};
  for (int r = 0; r < 8; ++r) args.push_back(dir + "all_reduce." + std::to_string(r) + ".et");
  args.insert(args.end(), {"--system", "dgx-h100"});
  const auto info = run(args);
  REQUIRE(info.exit_code == 0);
  CHECK_THAT(info.out, Catch::StartsWith("Chakra traces: 8 rank(s) of 8, schema 0.0.4"));
  CHECK_THAT(info.out, Catch::Contains("8 x all-reduce of 1048576 bytes"));
  CHECK_THAT(info.out, Catch::Contains("replay on dgx-h100: 0.0"));
  std::vector<std::string> scaled = args;
  scaled.insert(scaled.end(), {"--dp", "64"});
  const auto dp = run(scaled);
  REQUIRE(dp.exit_code == 0);
  CHECK_THAT(dp.out,
             Catch::Contains(
                 "data-parallel groups: 8 -> 64 GPUs, the job 8 -> 64 GPUs (1 group(s), 8 collective(s))"));
  // Slower NICs slow the collectives that cross them: the all-reduce over 8 nodes, not the one within a node.
  std::vector<std::string> slow_nics = scaled;
  slow_nics.insert(slow_nics.end(), {"--nic-bandwidth", "100Gb/s"});
  const auto slow = run(slow_nics);
  REQUIRE(slow.exit_code == 0);
  CHECK_THAT(slow.out, Catch::Contains("NICs at 12.5 GB/s per direction (dgx-h100's: 50 GB/s, 8 per node)"));
  CHECK(replayed_ms(slow.out) > 1.5 * replayed_ms(dp.out));
  std::vector<std::string> one_node = args;
  one_node.insert(one_node.end(), {"--nic-bandwidth", "100Gb/s"});
  const auto within = run(one_node);
  CHECK(within.exit_code == 2);
  CHECK_THAT(within.err,
             Catch::Contains("--nic-bandwidth: has no effect: the job's 8 GPUs fit one NVLink domain"));
  // NCCL's algorithms, as NCCL_ALGO: a ring alone pays a latency per rank over 64 GPUs that the tree does
  // not.
  std::vector<std::string> ring_only = scaled;
  ring_only.insert(ring_only.end(), {"--nccl-algo", "ring"});
  const auto ring = run(ring_only);
  REQUIRE(ring.exit_code == 0);
  CHECK_THAT(ring.out, Catch::Contains(
                           "NCCL algorithms the tuner may choose: ring (dgx-h100's NVLS bandwidth unused)"));
  CHECK(replayed_ms(ring.out) > 2 * replayed_ms(dp.out));
  ring_only.back() = "^nvls,nvls_tree,pat";
  const auto ring_tree = run(ring_only);
  REQUIRE(ring_tree.exit_code == 0);
  CHECK_THAT(ring_tree.out, Catch::Contains("may choose: ring, tree (dgx-h100's NVLS bandwidth unused)"));
  CHECK(replayed_ms(ring_tree.out) == Approx(replayed_ms(dp.out)));  // the tree was the tuner's choice
  ring_only.back() = "tree";
  CHECK_THAT(run(ring_only).err, Catch::Contains("--nccl-algo: the ring must stay allowed"));
  ring_only.back() = "ring,fast";
  CHECK_THAT(run(ring_only).err, Catch::Contains("--nccl-algo: expected NCCL algorithms among ring, tree"));
  CHECK_THAT(
      run({"trace", "info", kDdpTrace, "--system", "dgx-a100", "--measured-comm", "--nccl-algo", "ring"}).err,
      Catch::Contains(
          "--nccl-algo: has no effect: the graph has no collective that the network model prices"));
  slow_nics.back() = "fast";
  CHECK_THAT(run(slow_nics).err, Catch::Contains("--nic-bandwidth: invalid bandwidth \"fast\""));
  const auto no_system = run({"trace", "info", dir + "all_reduce.0.et", "--dp", "4"});
  CHECK(no_system.exit_code == 2);
  CHECK_THAT(no_system.err, Catch::Contains("--dp: has no effect without --system"));
  // Options that would do nothing are refused with the reason.
  const auto measured = run({"trace", "info", dir + "all_reduce.0.et", "--measured-comm"});
  CHECK(measured.exit_code == 2);
  CHECK_THAT(measured.err, Catch::Contains("--measured-comm: has no effect on Chakra traces"));
  const auto world = run({"trace", "info", kDdpTrace, "--world-size", "4"});
  CHECK(world.exit_code == 2);
  CHECK_THAT(world.err, Catch::Contains("--world-size: has no effect on a Kineto trace"));
  const auto mixed = run({"trace", "info", dir + "all_reduce.0.et", kDdpTrace});
  CHECK(mixed.exit_code == 2);
  CHECK_THAT(mixed.err, Catch::Contains("a JSON file among Chakra traces"));
  const fs::path out = fresh_dir("strata-trace-chakra");
  const auto imported =
      run({"trace", "import",
           std::string(STRATA_SOURCE_DIR) + "/tests/traces/data/chakra/chakra-feeder-test.0.et.gz",
           "--world-size", "8", "-o", (out / "g.json").string()});
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out,
             Catch::Contains("wrote " + (out / "g.json").string() + ": 1 rank(s) for 8 GPUs, 3664 tasks"));
  CHECK(run({"replay", (out / "g.json").string(), "--system", "dgx-a100"}).exit_code == 0);
  const auto replay_one_node =
      run({"replay", (out / "g.json").string(), "--system", "dgx-a100", "--nic-bandwidth", "100Gb/s"});
  CHECK(replay_one_node.exit_code == 2);
  CHECK_THAT(replay_one_node.err, Catch::Contains("--nic-bandwidth: has no effect"));
  // One rank's all-reduce standing for 64 GPUs, replayed with the system's NICs and with slower ones.
  const std::string wide = (out / "wide.json").string();
  REQUIRE(run({"trace", "import", dir + "all_reduce.0.et", "--world-size", "64", "-o", wide}).exit_code == 0);
  const auto step_s = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> command{"replay", wide, "--system", "dgx-h100"};
    command.insert(command.end(), extra.begin(), extra.end());
    const auto replayed = run(command);
    REQUIRE(replayed.exit_code == 0);
    const std::size_t at = replayed.out.find("step time");
    REQUIRE(at != std::string::npos);
    return std::stod(replayed.out.substr(at + 9));
  };
  CHECK(step_s({"--nic-bandwidth", "100Gb/s"}) > 1.5 * step_s({}));
  fs::remove_all(out);
}
