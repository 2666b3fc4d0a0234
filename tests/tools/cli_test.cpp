// The strata command driven in-process: output, exit codes, and files written.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "../support/cli_run.hpp"

using strata::testing::CliRun;
using strata::testing::run;
using strata::testing::scratch;

namespace fs = std::filesystem;

namespace {}  // namespace

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

TEST_CASE("a mistyped command, option, key, model or profile gets the nearest right word", "[cli][suggest]") {
  const auto err_of = [](std::vector<std::string> args) {
    const CliRun result = run(args);
    CHECK(result.exit_code == 2);
    return result.err;
  };
  CHECK(err_of({"rnu", "x.json"}).find("\"rnu\" (did you mean \"run\"?)") != std::string::npos);
  CHECK(err_of({"hw", "shwo", "dgx-h100"}).find("(did you mean \"show\"?)") != std::string::npos);
  CHECK(err_of({"run", "x.json", "--fidelty", "flow"}).find("(did you mean \"--fidelity\"?)") !=
        std::string::npos);
  CHECK(err_of({"frobnicate"}).find("did you mean") == std::string::npos);  // nothing near: no guess

  const fs::path dir = scratch("suggest");
  fs::create_directories(dir);
  const auto scenario_err = [&](const std::string& text) {
    std::ofstream(dir / "s.json") << text;
    return err_of({"run", (dir / "s.json").string()});
  };
  const std::string head =
      R"({"name": "x", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",)";
  const std::string tail = R"("strategies": [{"name": "tp", "tp": 2, "dp": 4}]})";
  // A required key spelt wrong is named as the unknown key, not reported missing.
  CHECK(scenario_err(head + R"("training": {"seq_len": 2048, "global_bach": 16},)" + tail)
            .find("/training/global_bach: unknown key \"global_bach\" (did you mean \"global_batch\"?)") !=
        std::string::npos);
  CHECK(scenario_err(head + R"("training": {"seq_len": 2048, "global_batch": 16, "dtpye": "bf16"},)" + tail)
            .find("/training/dtpye: unknown key \"dtpye\" (did you mean \"dtype\"?)") != std::string::npos);
  std::string model = head + R"("training": {"seq_len": 2048, "global_batch": 16},)" + tail;
  model.replace(model.find("llama3-8b"), 9, "llama-3-8b");
  CHECK(scenario_err(model).find("unknown model \"llama-3-8b\" (did you mean \"llama3-8b\"?)") !=
        std::string::npos);
  std::string system = head + R"("training": {"seq_len": 2048, "global_batch": 16},)" + tail;
  system.replace(system.find("dgx-h100"), 8, "dgx-h10");
  CHECK(scenario_err(system).find("unknown system profile \"dgx-h10\" (did you mean \"dgx-h100\"?)") !=
        std::string::npos);
  fs::remove_all(dir);
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
  CHECK(list.out.find("deepspeed-0.3") != std::string::npos);
  const CliRun framework = run({"hw", "show", "deepspeed-0.3"});
  REQUIRE(framework.exit_code == 0);
  CHECK(framework.out.find("zero3_host_time_per_rank       14 us") != std::string::npos);
  CHECK(framework.out.find("a100x16-pipeline-rank0.json.gz") != std::string::npos);  // its source
  CHECK(run({"hw", "show", "pytorch-fsdp"}).out.find("zero3_max_reuse_distance       unlimited") !=
        std::string::npos);
  const CliRun unknown = run({"hw", "show", "tpu-v9"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("known: a100-sxm4-40gb, a100-sxm4-80gb") != std::string::npos);
  CHECK(run({"hw", "list", "--profiles", "/nonexistent"}).exit_code == 2);
}

TEST_CASE("collective prints nccl-tests-style rows for every shipped system at both fidelities", "[cli]") {
  for (const char* system :
       {"dgx-a100", "dgx-a100-40gb", "dgx-h100", "hgx-h800", "dgx-h200", "dgx-b200", "gb200-nvl72"}) {
    for (const char* fidelity : {"analytic", "flow"}) {
      for (const char* nodes : {"1", "2"}) {
        INFO(system << " " << fidelity << " " << nodes);
        const CliRun table = run({"collective", "--system", system, "--nodes", nodes, "--fidelity", fidelity,
                                  "--op", "all-gather", "-b", "1K", "-e", "1G", "-f", "32", "--json"});
        REQUIRE(table.exit_code == 0);
        const auto document = nlohmann::json::parse(table.out);
        CHECK(document["settings"]["system"] == system);
        REQUIRE(document["rows"].size() == 5);  // 1K, 32K, 1M, 32M, 1G
        double previous = 0;
        for (const auto& row : document["rows"]) {
          CHECK(row["time_us"].get<double>() > 0);
          CHECK(row["busbw_GBps"].get<double>() > previous);  // bus bandwidth grows with size
          previous = row["busbw_GBps"].get<double>();
        }
        CHECK(document["rows"][4]["size_bytes"] == 1 << 30);
      }
    }
  }
  const CliRun text = run({"collective", "--system", "dgx-h100", "-b", "8", "-e", "16G"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("algbw(GB/s)") != std::string::npos);
  CHECK(text.out.find("17179869184") != std::string::npos);
  CHECK(text.out.find("nvls") != std::string::npos);
}

TEST_CASE("collective rejects bad arguments with the flag named", "[cli]") {
  CHECK(run({"collective", "--op", "allreduce"}).err.find("--op: unknown collective \"allreduce\"") !=
        std::string::npos);
  CHECK(run({"collective", "--fidelity", "exact"}).exit_code == 2);
  CHECK(run({"collective", "--topology", "torus"}).err.find("--topology") != std::string::npos);
  CHECK(run({"collective", "-b", "1Q"}).err.find("--min-bytes") != std::string::npos);
  CHECK(run({"collective", "-b", "1G", "-e", "1M"}).err.find("must not be below") != std::string::npos);
  CHECK(run({"collective", "--oversubscription", "0.5"}).exit_code == 2);
  CHECK(run({"collective", "--gpus-per-node", "16"}).err.find("has 8 GPUs per node") != std::string::npos);
  CHECK(run({"collective", "--system", "tpu"}).err.find("unknown system profile") != std::string::npos);
}

TEST_CASE("calibrate --dry-run prints the plan without a GPU, a real run explains what is missing", "[cli]") {
  const CliRun plan = run({"calibrate", "--dry-run", "--quick"});
  REQUIRE(plan.exit_code == 0);
  CHECK(plan.out.find("cuBLASLt") != std::string::npos);
  CHECK(plan.out.find("all-to-all") != std::string::npos);
  CHECK(plan.out.find("(quick)") != std::string::npos);
  const CliRun real =
      run({"calibrate", "--base-gpu", "h100-sxm5-80gb", "--out", scratch("cal").string() + "/gpus/x.json"});
  CHECK(real.exit_code == 2);  // no probes in this build, or no GPU on this machine: nothing written
  CHECK((real.err.find("no CUDA probes") != std::string::npos ||
         real.err.find("the probe failed") != std::string::npos));
  CHECK_FALSE(fs::exists(scratch("cal")));
}

TEST_CASE("calibrate import-nccl-tests writes curves, --op and --gpus fill what the log lacks", "[cli]") {
  const std::string fixtures = STRATA_CALIBRATION_FIXTURES;
  const fs::path out = scratch("curves") / "c.json";
  const CliRun imported =
      run({"calibrate", "import-nccl-tests", fixtures + "/all_reduce_new_layout.log",
           fixtures + "/all_gather_old_layout.log", "--op", "all-gather", "--out", out.string()});
  CHECK(imported.exit_code == 2);  // the first log is all-reduce: --op contradicts it
  CHECK(imported.err.find("but --op says all-gather") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
  const CliRun gather = run({"calibrate", "import-nccl-tests", fixtures + "/all_gather_old_layout.log",
                             "--op", "all-gather", "--out", out.string()});
  REQUIRE(gather.exit_code == 0);
  std::ifstream in(out);
  const auto document = nlohmann::json::parse(in);
  REQUIRE(document["curves"].size() == 1);
  const auto& curve = document["curves"][0];
  CHECK(curve["gpus"] == 4);
  CHECK(curve["peak_busbw"]["value"] == "144.14GB/s");
  CHECK(curve["raw"].size() == 6);
  CHECK(curve["raw"][0]["line"] == 12);
  CHECK(run({"calibrate", "import-nccl-tests", fixtures + "/broken_row.log", "--out", out.string()})
            .err.find("line 4") != std::string::npos);
  fs::remove_all(out.parent_path());
}

TEST_CASE("calibrate diff lists what changed, by how much", "[cli]") {
  const std::string shipped = std::string(STRATA_SOURCE_PROFILE_DIR) + "/gpus/h100-sxm5-80gb.json";
  const fs::path dir = scratch("diff") / "gpus";
  fs::create_directories(dir);
  std::ifstream in(shipped);
  nlohmann::json changed = nlohmann::json::parse(in);
  changed["efficiency"]["memory"]["value"] = 0.8;
  std::ofstream(dir / "h100-sxm5-80gb.json") << changed.dump();
  const CliRun diff = run({"calibrate", "diff", shipped, (dir / "h100-sxm5-80gb.json").string()});
  REQUIRE(diff.exit_code == 0);
  CHECK(diff.out.find("efficiency.memory") != std::string::npos);
  CHECK(diff.out.find("-9.8%") != std::string::npos);  // 0.8 against 0.8866
  CHECK(diff.out.find("1 difference") != std::string::npos);
  const CliRun same = run({"calibrate", "diff", shipped, shipped});
  CHECK(same.out.find("0 differences") != std::string::npos);
  const CliRun kinds =
      run({"calibrate", "diff", shipped, std::string(STRATA_SOURCE_PROFILE_DIR) + "/systems/dgx-h100.json"});
  CHECK(kinds.exit_code == 2);
  fs::remove_all(dir.parent_path());
}

TEST_CASE("model list and model show: presets and config files", "[cli]") {
  const CliRun list = run({"model", "list"});
  REQUIRE(list.exit_code == 0);
  for (const char* name :
       {"llama3-8b", "llama3.1-405b", "mixtral-8x22b", "qwen3-235b-a22b", "deepseek-v3", "gpt3-175b"}) {
    CHECK(list.out.find(name) != std::string::npos);
  }
  const CliRun show = run({"model", "show", "mixtral-8x7b", "--json", "--seq-len", "4096"});
  REQUIRE(show.exit_code == 0);
  const auto document = nlohmann::json::parse(show.out);
  CHECK(document["params_total"].get<double>() == Approx(46.70e9).epsilon(0.001));
  CHECK(document["params_active"].get<double>() == Approx(12.88e9).epsilon(0.001));
  CHECK(document["layer_operators"][0]["kind"] == "moe");
  // A config.json given by path is read the same way.
  const fs::path config = scratch("model") / "config.json";
  fs::create_directories(config.parent_path());
  std::ofstream(config)
      << R"({"architectures": ["GPT2LMHeadModel"], "n_layer": 12, "n_embd": 768, "n_head": 12,
                              "vocab_size": 50257, "n_positions": 1024})";
  const CliRun gpt2 = run({"model", "show", config.string()});
  REQUIRE(gpt2.exit_code == 0);
  CHECK(gpt2.out.find("params_total 0.124B") != std::string::npos);  // GPT-2 small: 124M
  std::ofstream(config) << R"({"architectures": ["GPT2LMHeadModel"], "n_layer": 12})";
  CHECK(run({"model", "show", config.string()}).err.find("config.json: /: missing required key \"n_embd\"") !=
        std::string::npos);
  CHECK(run({"model", "show", "llama9"}).exit_code == 2);
  fs::remove_all(config.parent_path());
}

TEST_CASE("lower writes a graph file that replay runs, with a Perfetto timeline", "[cli]") {
  const fs::path dir = scratch("lower");
  fs::create_directories(dir);
  const fs::path scenario = dir / "small.json";
  std::ofstream(scenario)
      << R"({"name": "small", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
    "training": {"seq_len": 2048, "global_batch": 16},
    "strategies": [{"name": "tp2-pp2-dp2", "tp": 2, "pp": 2, "dp": 2, "sequence_parallel": true},
                   {"name": "cp2", "dp": 4, "cp": 2}]})";
  const CliRun lowered =
      run({"lower", scenario.string(), "--strategy", "tp2-pp2-dp2", "-o", (dir / "g.json").string()});
  REQUIRE(lowered.exit_code == 0);
  CHECK(lowered.out.find("2 ranks standing for 8 GPUs") != std::string::npos);
  const CliRun every = run({"lower", scenario.string(), "--strategy", "tp2-pp2-dp2", "--all-ranks", "-o",
                            (dir / "all.json").string()});
  CHECK(every.out.find("8 ranks,") != std::string::npos);
  const CliRun replayed =
      run({"replay", (dir / "g.json").string(), "--system", "dgx-h100", "-o", (dir / "out").string()});
  REQUIRE(replayed.exit_code == 0);
  CHECK(replayed.out.find("MFU") != std::string::npos);
  CHECK(replayed.out.find("peak memory") != std::string::npos);
  CHECK(fs::exists(dir / "out" / "trace.json"));
  // Replay reports what run reports for the same strategy (one code path: set_step_metrics).
  const CliRun ran = run({"run", scenario.string(), "--json"});
  REQUIRE(ran.exit_code == 0);
  const auto report = nlohmann::json::parse(ran.out);
  int compared = 0;
  for (const auto& result : report.at("results")) {
    if (result.at("name") != "tp2-pp2-dp2") continue;
    ++compared;
    char step[64];
    std::snprintf(step, sizeof step, "step time        %.4f s", result.at("step_time_s").get<double>());
    CHECK(replayed.out.find(step) != std::string::npos);
    char tokens[64];
    std::snprintf(tokens, sizeof tokens, "tokens/s/GPU     %.1f",
                  result.at("tokens_per_s_per_gpu").get<double>());
    CHECK(replayed.out.find(tokens) != std::string::npos);
    char tp[64];
    std::snprintf(tp, sizeof tp, "tp         %.4f s", result.at("time_breakdown_s").at("tp").get<double>());
    CHECK(replayed.out.find(tp) != std::string::npos);
  }
  CHECK(compared == 1);
  // Same input, same output.
  CHECK(run({"replay", (dir / "g.json").string(), "--system", "dgx-h100"}).out ==
        run({"replay", (dir / "g.json").string(), "--system", "dgx-h100"}).out);
  // Context parallelism lowers to ring-attention exchanges over a "cp" group.
  const CliRun ring =
      run({"lower", scenario.string(), "--strategy", "cp2", "-o", (dir / "cp.json").string()});
  REQUIRE(ring.exit_code == 0);
  const auto graph = nlohmann::json::parse(std::ifstream(dir / "cp.json"));
  bool has_cp_group = false;
  for (const auto& group : graph.at("groups")) has_cp_group = has_cp_group || group.at("kind") == "cp";
  CHECK(has_cp_group);
  // Expert parallelism on a dense model is refused, naming the field; nothing is written.
  const fs::path dense_ep = dir / "dense-ep.json";
  std::ofstream(dense_ep)
      << R"({"name": "dense-ep", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
    "training": {"seq_len": 2048, "global_batch": 16}, "strategies": [{"name": "ep2", "dp": 8, "ep": 2}]})";
  const CliRun unsupported =
      run({"lower", dense_ep.string(), "--strategy", "ep2", "-o", (dir / "z.json").string()});
  CHECK(unsupported.exit_code == 2);
  CHECK(unsupported.err.find("/strategies/0/ep: expert parallelism needs an MoE model") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "z.json"));
  CHECK(run({"lower", scenario.string(), "--strategy", "nope", "-o", (dir / "n.json").string()})
            .err.find("have: tp2-pp2-dp2, cp2") != std::string::npos);
  CHECK(run({"replay", (dir / "g.json").string(), "--system", "dgx-h100", "--nodes", "1"}).exit_code == 0);
  fs::remove_all(dir);
}
