#include <unistd.h>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include <set>

#include "scenarios/scenario_file.hpp"
#include "scenarios/strategy_fields.hpp"
#include "sim/error.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

const fs::path kExample = fs::path(STRATA_SOURCE_DIR) / "scenarios/examples/llama3-70b-h100x64.json";

scenarios::Scenario read(const fs::path& path) {
  return scenarios::read_scenario(path, models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                                  models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
}

// Writes the example with one edit to a scratch file; returns the error message of reading it.
std::string error_after(const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(kExample);
  nlohmann::json document = nlohmann::json::parse(in);
  edit(document);
  const fs::path path =
      fs::temp_directory_path() / ("strata-scenario-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << document.dump();
  try {
    read(path);
  } catch (const sim::InputError& error) {
    fs::remove(path);
    return error.what();
  }
  fs::remove(path);
  return "no error";
}

}  // namespace

TEST_CASE("the core scenario example reads as the issue describes it", "[scenario]") {
  const scenarios::Scenario scenario = read(kExample);
  CHECK(scenario.name == "llama3-70b-h100x64");
  CHECK(scenario.cluster.gpus() == 64);
  CHECK(scenario.model.config.layers == 80);
  CHECK(scenario.training.seq_len == 8192);
  REQUIRE(scenario.strategies.size() == 5);
  const auto& first = scenario.strategies[0].strategy;
  CHECK(first.tp == 8);
  CHECK(first.pp == 2);
  CHECK(first.dp == 4);
  CHECK(first.sequence_parallel);
  CHECK(first.recompute == models::Recompute::kSelective);
  CHECK(first.zero == 1);
  // Omitted fields default to 1 / off / 1f1b / none.
  const auto& second = scenario.strategies[4].strategy;  // fsdp64
  CHECK(second.tp == 1);
  CHECK(second.schedule == &models::pipeline_schedule("1f1b"));
  CHECK_FALSE(second.sequence_parallel);
}

TEST_CASE("malformed scenarios name the file and JSON path", "[scenario]") {
  CHECK(error_after([](auto& d) {
          d["strategies"][1]["tp"] = 3;
        }).find("/strategies/1/tp: 3 does not divide the 64 attention heads") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["dp"] = 2;
        }).find("/strategies/0/dp: tp x pp x cp x dp") != std::string::npos);
  CHECK(error_after([](auto& d) { d["strategies"][0]["tpp"] = 2; }).find("/strategies/0/tpp: unknown key") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["recompute"] = "most";
        }).find("/strategies/0/recompute: expected none") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["cluster"]["system"] = "dgx-z900";
        }).find("/cluster/system: unknown system profile") != std::string::npos);
  CHECK(error_after([](auto& d) { d["model"] = "llama9"; }).find("/model: unknown model \"llama9\"") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["model"] = {{"hf_config", "missing/config.json"}};
        }).find("missing/config.json: no such file") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["training"]["global_batch"] = "128";
        }).find("/training/global_batch: expected an integer") != std::string::npos);
  CHECK(error_after([](auto& d) { d["training"]["global_batch"] = 100; })
            .find("/strategies/2/vpp: the interleaved schedule needs the micro-batches per step (25) to be a "
                  "multiple of pp (4)") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["training"]["global_batch"] = 96;
        }).find("/strategies/4/micro_batch: global batch 96 is not a multiple of micro_batch x dp = 128") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["fidelity"] = "fluid";
        }).find("/fidelity: expected analytic or flow, found \"fluid\"") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][1]["name"] = "tp8-pp2-dp4";
        }).find("duplicate strategy name") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["expected"] = {{"step_time_s", 1.0}};
        }).find("needs a \"source\"") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["cluster"]["nodes"] = 0;
        }).find("/cluster/nodes: expected an integer in [1,") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["cluster"]["gpus_per_node"] = 16;
        }).find("/cluster/gpus_per_node: system dgx-h100 has 8 GPUs per node") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["cluster"]["nic_bandwidth"] = "0GB/s";
        }).find("/cluster/nic_bandwidth: must be above zero") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["cluster"]["gpus_per_node"] = 0;
        }).find("/cluster/gpus_per_node: expected an integer in [1,") != std::string::npos);
}

// Writes the example with one edit to a scratch file and reads it back.
scenarios::Scenario read_after(const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(kExample);
  nlohmann::json document = nlohmann::json::parse(in);
  edit(document);
  const fs::path path =
      fs::temp_directory_path() / ("strata-scenario-ok-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << document.dump();
  scenarios::Scenario scenario = read(path);
  fs::remove(path);
  return scenario;
}

TEST_CASE("CP, MoE and zero-bubble strategy fields read and check", "[scenario]") {
  const scenarios::Scenario cp = read_after([](auto& d) {
    d["strategies"] = {{{"name", "cp2"},
                        {"tp", 4},
                        {"cp", 2},
                        {"dp", 8},
                        {"sequence_parallel", true},
                        {"cp_comm", "ulysses"}},
                       {{"name", "zb"}, {"tp", 8}, {"pp", 2}, {"dp", 4}, {"schedule", "zb-h1"}}};
  });
  CHECK(cp.strategies[0].strategy.cp_comm == models::ContextParallelComm::kUlysses);
  CHECK(cp.strategies[1].strategy.schedule == &models::pipeline_schedule("zb-h1"));
  const scenarios::Scenario moe = read_after([](auto& d) {
    d["model"] = "mixtral-8x7b";
    d["strategies"] = {{{"name", "ep"},
                        {"tp", 2},
                        {"dp", 32},
                        {"ep", 8},
                        {"expert_tp", 2},
                        {"sequence_parallel", true},
                        {"moe_imbalance", 1.3}}};
  });
  CHECK(moe.strategies[0].strategy.expert_tp == 2);
  CHECK(moe.strategies[0].strategy.moe_imbalance == Approx(1.3));
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["cp_comm"] = "tree";
        }).find("/strategies/0/cp_comm: expected ring or ulysses") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["schedule"] = "dualpipe";
          d["strategies"][0]["pp"] = 1;
          d["strategies"][0]["dp"] = 8;
        }).find("/strategies/0/pp: DualPipe needs an even number of pipeline stages") != std::string::npos);
  CHECK(error_after([](auto& d) { d["strategies"][0]["schedule"] = "pipedream"; })
            .find("/strategies/0/schedule: expected one of 1f1b, gpipe, interleaved, zb-h1, dualpipe, bfpp, "
                  "hanayo, bitpipe, found \"pipedream\"") != std::string::npos);
  const scenarios::Scenario dual = read_after([](auto& d) {
    d["strategies"] = {{{"name", "dual"}, {"tp", 8}, {"pp", 2}, {"dp", 4}, {"schedule", "dualpipe"}}};
  });
  CHECK(dual.strategies[0].strategy.schedule == &models::pipeline_schedule("dualpipe"));
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["ep"] = 2;
        }).find("/strategies/0/ep: expert parallelism needs an MoE model") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["model"] = "mixtral-8x7b";
          d["strategies"] = {{{"name", "ep"},
                              {"tp", 2},
                              {"dp", 32},
                              {"ep", 8},
                              {"sequence_parallel", true},
                              {"moe_imbalance", 0.5}}};
        }).find("/strategies/0/moe_imbalance: max/mean tokens per expert must be in [1, 1000]") !=
        std::string::npos);
}

TEST_CASE("hybrid sharding and offload strategy fields read and check", "[scenario]") {
  const scenarios::Scenario read_back = read_after([](auto& d) {
    d["strategies"] = {{{"name", "hsdp"},
                        {"dp", 64},
                        {"zero", 3},
                        {"dp_shard", 8},
                        {"micro_batch", 2},
                        {"recompute", "full"}},
                       {{"name", "nvme"},
                        {"dp", 64},
                        {"zero", 3},
                        {"offload", "nvme"},
                        {"offload_parameters", true},
                        {"micro_batch", 2}}};
  });
  CHECK(read_back.strategies[0].strategy.dp_shard == 8);
  CHECK(read_back.strategies[0].strategy.hybrid_shard());
  CHECK(read_back.strategies[1].strategy.offload == models::MemoryTier::kNvme);
  CHECK(read_back.strategies[1].strategy.offload_parameters);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["offload"] = "gpu";
        }).find("/strategies/0/offload: expected none, cpu or nvme") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["offload"] = "cpu";
          d["strategies"][0]["zero"] = 0;
        }).find("/strategies/0/offload: optimizer offload partitions with ZeRO") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][1]["dp_shard"] = 5;
        }).find("/strategies/1/dp_shard: 5 does not divide") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][1]["dp_shard"] = 0;
        }).find("/strategies/1/dp_shard: expected an integer in [1,") != std::string::npos);
}

TEST_CASE("a strategy names its framework profile, megatron-core when it does not", "[scenario][framework]") {
  const scenarios::Scenario read_back = read_after([](auto& d) {
    d["strategies"] = {{{"name", "fsdp"}, {"dp", 64}, {"zero", 3}, {"framework", "pytorch-fsdp"}},
                       {{"name", "ds"}, {"dp", 64}, {"zero", 3}, {"framework", "deepspeed-0.3"}},
                       {{"name", "mcore"}, {"dp", 64}, {"zero", 3}}};
  });
  CHECK(read_back.strategies[0].strategy.framework.name == "pytorch-fsdp");
  CHECK(read_back.strategies[1].strategy.framework.zero3_collectives.value ==
        models::Zero3Collectives::kPerTensor);
  CHECK(read_back.strategies[2].strategy.framework.name == "megatron-core");
  CHECK(read_back.strategies[2].strategy.framework.zero3_collectives.source.find("Megatron-FSDP") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["framework"] = "jax";
        }).find("/strategies/0/framework: unknown framework profile \"jax\" (available in") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["framework"] = 3;
        }).find("/strategies/0/framework: expected a string") != std::string::npos);
}

TEST_CASE("gradients reduce in Megatron-LM's default dtype unless the strategy says", "[scenario]") {
  // bf16 (the example): fp32 gradient buffers, 4 bytes, and a 40M-element bucket of them.
  const scenarios::Scenario bf16 = read(kExample);
  CHECK(bf16.strategies[0].strategy.gradient_bytes == 4);
  CHECK(bf16.strategies[0].strategy.dp_bucket_bytes == 160'000'000);
  const scenarios::Scenario fp16 = read_after([](auto& d) { d["training"]["dtype"] = "fp16"; });
  CHECK(fp16.strategies[0].strategy.gradient_bytes == 2);
  CHECK(fp16.strategies[0].strategy.dp_bucket_bytes == 80'000'000);
  const scenarios::Scenario fp8 = read_after([](auto& d) { d["training"]["dtype"] = "fp8"; });
  CHECK(fp8.strategies[0].strategy.gradient_bytes == 4);
  const scenarios::Scenario explicit_bf16 = read_after([](auto& d) {
    d["strategies"][0]["gradient_dtype"] = "bf16";
    d["strategies"][1]["gradient_dtype"] = "fp32";
    d["strategies"][1]["dp_bucket"] = "500MB";
  });
  CHECK(explicit_bf16.strategies[0].strategy.gradient_bytes == 2);
  CHECK(explicit_bf16.strategies[1].strategy.gradient_bytes == 4);
  CHECK(explicit_bf16.strategies[1].strategy.dp_bucket_bytes == 500'000'000);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["gradient_dtype"] = "fp8";
        }).find("/strategies/0/gradient_dtype: expected fp32, bf16 or fp16") != std::string::npos);
}

TEST_CASE("cluster options that cannot act at analytic fidelity are refused", "[scenario]") {
  CHECK(error_after([](auto& d) {
          d["cluster"]["topology"] = "rail-optimized";
        }).find("/cluster/topology: has no effect at analytic fidelity") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["cluster"]["oversubscription"] = 2;
        }).find("/cluster/oversubscription: has no effect") != std::string::npos);
  CHECK(error_after([](auto& d) {
          d["strategies"][0]["moe_imbalance"] = 1.2;
        }).find("/strategies/0/moe_imbalance: has no effect: llama3-70b is dense") != std::string::npos);
}

TEST_CASE("a scenario may use part of each node", "[scenario]") {
  // Half of each DGX H100: 4 GPUs, each with its own NIC of the eight, the NVLink domain the 4 used GPUs.
  const scenarios::Scenario half = read_after([](auto& d) {
    d["cluster"]["nodes"] = 16;
    d["cluster"]["gpus_per_node"] = 4;
  });
  CHECK(half.cluster.gpus() == 64);
  CHECK(half.cluster.system.gpus_per_node.value == 4);
  CHECK(half.cluster.system.nics_per_node.value == 4);
  CHECK(half.cluster.system.nvlink_domain_gpus.value == 4);
  CHECK(half.cluster.system.gpus_per_node.source.find("4 of the 8 GPUs of each node") != std::string::npos);
  // One GPU per node still has a NIC; the scenario's own NIC count wins.
  const scenarios::Scenario one = read_after([](auto& d) {
    d["cluster"]["nodes"] = 64;
    d["cluster"]["gpus_per_node"] = 1;
    d["cluster"]["nics_per_node"] = 2;
  });
  CHECK(one.cluster.system.gpus_per_node.value == 1);
  CHECK(one.cluster.system.nics_per_node.value == 2);
  CHECK(one.cluster.system.nvlink_domain_gpus.value == 1);
  // A rack-wide NVLink domain keeps its 18 trays when each tray uses 2 of its 4 GPUs.
  const scenarios::Scenario rack = read_after([](auto& d) {
    d["cluster"] = {{"system", "gb200-nvl72"}, {"nodes", 32}, {"gpus_per_node", 2}};
  });
  CHECK(rack.cluster.system.nvlink_domain_gpus.value == 36);
  CHECK(rack.cluster.gpus() == 64);
}

TEST_CASE("a report's strategy config pastes back into a scenario and reads as the same strategy",
          "[scenario][fields]") {
  // Every strategy of every shipped example and validation case: its config (every field, defaults included)
  // as the strategy object of the same scenario reads to the same config.
  int checked = 0;
  for (const char* folder : {"scenarios/examples", "scenarios/validation"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(STRATA_SOURCE_DIR) / folder)) {
      if (entry.path().extension() != ".json") continue;
      const scenarios::Scenario scenario = read(entry.path());
      std::ifstream in(entry.path());
      nlohmann::json document = nlohmann::json::parse(in);
      if (scenario.strategies.empty()) continue;
      nlohmann::json strategies = nlohmann::json::array();
      for (const scenarios::StrategySpec& spec : scenario.strategies) {
        nlohmann::json config = scenarios::strategy_fields_json(spec.strategy, scenario.training);
        config["name"] = spec.strategy.name;
        strategies.push_back(config);
      }
      document["strategies"] = strategies;
      const fs::path path =
          fs::temp_directory_path() / ("strata-pasted-" + std::to_string(::getpid()) + ".json");
      std::ofstream(path) << document.dump();
      const scenarios::Scenario pasted = read(path);
      fs::remove(path);
      INFO(entry.path().filename().string());
      REQUIRE(pasted.strategies.size() == scenario.strategies.size());
      for (std::size_t i = 0; i < scenario.strategies.size(); ++i) {
        CHECK(scenarios::strategy_fields_json(pasted.strategies[i].strategy, pasted.training) ==
              scenarios::strategy_fields_json(scenario.strategies[i].strategy, scenario.training));
        ++checked;
      }
    }
  }
  CHECK(checked > 50);
}

TEST_CASE("every search dimension is a strategy field read by the field's own reader", "[scenario][fields]") {
  std::set<std::string_view> searched;
  for (const scenarios::StrategyField& field : scenarios::strategy_fields()) {
    if (field.search != nullptr) searched.insert(field.key);
  }
  CHECK(searched == std::set<std::string_view>{"tp", "pp", "cp", "ep", "vpp", "micro_batch", "schedule",
                                               "sequence_parallel", "recompute", "zero"});
  // A search list's word is checked as the strategy's is.
  CHECK(error_after([](auto& d) {
          d["search"] = {{"recompute", {"some"}}};
        }).find("/search/recompute/0: expected none, selective or full, found \"some\"") !=
        std::string::npos);
  CHECK(error_after([](auto& d) {
          d["search"] = {{"zero", {4}}};
        }).find("/search/zero/0") != std::string::npos);
}
