// Serving scenarios (scenarios/README.md, "Inference scenarios"): reading the "inference" section and the
// deployments, bad input with file and JSON path, ranking, latency statistics and the report document.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/report/inference_report.hpp"
#include "scenarios/report/report_json.hpp"
#include "scenarios/runner/deployment_search.hpp"
#include "scenarios/runner/inference_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/error.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

const fs::path kExample = fs::path(STRATA_SOURCE_DIR) / "scenarios/examples/llama3.1-70b-h100x8-serving.json";

scenarios::Scenario read(const fs::path& path) {
  return scenarios::read_scenario(path, models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                                  models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
}

// A small serving scenario (Llama 3.1 8B on 2 GPUs), edited, written to a scratch file and read.
nlohmann::json small() {
  return nlohmann::json::parse(
      R"({"name": "small", "cluster": {"system": "dgx-h100", "nodes": 1, "gpus_per_node": 2},
    "model": "llama3.1-8b",
    "inference": {"requests": 200, "input_len": 256, "output_len": 64, "arrival": "offline"},
    "strategies": [{"name": "tp1x2", "tp": 1, "replicas": 2, "weights_dtype": "fp8", "kv_dtype": "fp8"},
                   {"name": "tp2", "tp": 2, "weights_dtype": "fp8", "kv_dtype": "fp8",
                    "expected": {"output_tokens_per_s": 20000}, "source": "a test"}]})");
}

scenarios::Scenario read_edited(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json document = small();
  edit(document);
  const fs::path path =
      fs::temp_directory_path() / ("strata-serving-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << document.dump();
  try {
    scenarios::Scenario scenario = read(path);
    fs::remove(path);
    return scenario;
  } catch (...) {
    fs::remove(path);
    throw;
  }
}

std::string error_after(const std::function<void(nlohmann::json&)>& edit) {
  try {
    read_edited(edit);
  } catch (const sim::InputError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a serving scenario reads its workload and deployments", "[scenario][serving]") {
  const scenarios::Scenario scenario = read(kExample);
  REQUIRE(scenario.inference);
  CHECK(scenario.inference->requests == 2000);
  CHECK(scenario.inference->arrival == models::ArrivalKind::kOffline);
  CHECK(scenario.strategies.empty());
  REQUIRE(scenario.deployments.size() == 4);
  const models::Deployment& first = scenario.deployments[0].deployment;
  CHECK(first.tp == 2);
  CHECK(first.replicas == 4);
  CHECK(first.weights_dtype == models::Dtype::kFp8);
  // Defaults: trtllm-bench's batch limits (unset here), TensorRT-LLM's 32-token blocks, 0.9 of the memory
  // left.
  CHECK_FALSE(first.max_batch_size);
  CHECK(first.kv_block_tokens == 32);
  CHECK(first.kv_memory_fraction == 0.9);
  CHECK(first.scheduler == models::BatchSchedulerKind::kContinuous);
  CHECK_THROWS_WITH(scenario.require_training("strata search"),
                    Catch::Contains("strata run and strata validate"));

  const scenarios::Scenario poisson = read_edited([](auto& d) {
    d["inference"]["arrival"] = {{"poisson", "2.5/s"}, {"seed", 9}};
    d["inference"]["slo"] = {{"ttft", "2s"}, {"tpot", "50ms"}};
  });
  CHECK(poisson.inference->rate_per_s == 2.5);
  CHECK(poisson.inference->seed == 9);
  CHECK(poisson.inference->slo->tpot == sim::SimTime::from_ms(50));
}

TEST_CASE("bad serving scenarios name the file and JSON path", "[scenario][serving]") {
  CHECK_THAT(error_after([](auto& d) { d["inference"]["input_len"] = 0; }),
             Catch::Contains("/inference/input_len"));
  CHECK_THAT(error_after([](auto& d) { d["inference"]["output_len"] = -3; }),
             Catch::Contains("/inference/output_len"));
  CHECK_THAT(error_after([](auto& d) { d["inference"]["arrival"] = "bursty"; }),
             Catch::Contains("/inference/arrival: expected \"offline\""));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["arrival"] = {{"poisson", "fast"}};
             }),
             Catch::Contains("/inference/arrival/poisson: expected a request rate"));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["arrival"] = {{"poisson", "0/s"}};
             }),
             Catch::Contains("above zero"));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["input_len"] = {{"uniform", {9, 3}}};
             }),
             Catch::Contains("/inference/input_len/uniform: high is below low"));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["output_len"] = {{"normal", 3}};
             }),
             Catch::Contains("/inference/output_len"));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["slo"] = {{"ttft", "0s"}, {"tpot", "1ms"}};
             }),
             Catch::Contains("/inference/slo/ttft: must be above zero"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][1]["tp"] = 3; }),
             Catch::Contains("/strategies/1/tp: tp 3 does not divide the model's 32 attention heads"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["replicas"] = 70000; }),
             Catch::Contains("/strategies/0/replicas"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["replicas"] = 3; }),
             Catch::Contains("/strategies/0: tp x replicas = 3 GPUs, but the cluster has 2"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["weights_dtype"] = "fp4"; }),
             Catch::Contains("/strategies/0/weights_dtype: NVIDIA H100 SXM5 80GB has no fp4 GEMMs"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["kv_dtype"] = "int3"; }),
             Catch::Contains("/strategies/0/kv_dtype: expected bf16, fp16, fp8 or fp4"));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["shared_prefix"] = {{"length", 300}, {"prefixes", 2}};
             }),
             Catch::Contains("/inference/shared_prefix/length: a prefix of 300 tokens is longer than the "
                             "shortest prompt (256)"));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["shared_prefix"] = {{"length", 100}, {"prefixes", 2}, {"attention", "shared"}};
             }),
             Catch::Contains("/inference/shared_prefix/attention: how attention reads a shared prefix is the "
                             "deployment's \"prefix_attention\""));
  CHECK_THAT(error_after([](auto& d) {
               d["strategies"][0]["prefix_caching"] = false;
               d["strategies"][0]["prefix_attention"] = "shared";
             }),
             Catch::Contains("/strategies/0/prefix_attention: a shared prefix is read once only when it is "
                             "cached"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["prefix_attention"] = "hydra"; }),
             Catch::Contains("/strategies/0/prefix_attention: expected"));
  CHECK_THAT(error_after([](auto& d) {
               d["inference"]["shared_prefix"] = {{"length", 100}};
             }),
             Catch::Contains("/inference/shared_prefix: missing required key \"prefixes\""));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["prefix_caching"] = 1; }),
             Catch::Contains("/strategies/0/prefix_caching"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["preemption"] = "evict"; }),
             Catch::Contains("/strategies/0/preemption: expected"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["swap_space"] = "8GiB"; }),
             Catch::Contains("/strategies/0/swap_space: only preemption \"swap\" uses host memory"));
  CHECK_THAT(error_after([](auto& d) {
               d["strategies"][0]["preemption"] = "swap";
               d["strategies"][0]["swap_space"] = "lots";
             }),
             Catch::Contains("/strategies/0/swap_space"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["pp"] = 2; }),
             Catch::Contains("/strategies/0: tp x pp x replicas = 4 GPUs, but the cluster has 2"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["pp"] = 33; }),
             Catch::Contains("/strategies/0/pp: pp 33 is more stages than the model's 32 layers"));
  CHECK_THAT(error_after([](auto& d) {
               d["strategies"][0]["prefill"] = {{"tp", 1}};
             }),
             Catch::Contains("/strategies/0: a disaggregated deployment needs both \"prefill\" and "
                             "\"decode\" pools; \"decode\" is missing"));
  // Strategy 0 is tp 1 with 2 replicas: with pools, those keys are each pool's.
  const auto pools = [](auto& d) {
    d["strategies"][0]["prefill"] = {{"tp", 1}};
    d["strategies"][0]["decode"] = {{"tp", 1}};
  };
  CHECK_THAT(error_after(pools), Catch::Contains("/strategies/0/tp: with prefill and decode pools each pool "
                                                 "sets its own \"tp\""));
  // With the pools in place of tp and replicas, one key changed: the error it gets.
  const std::pair<std::function<void(nlohmann::json&)>, const char*> pool_errors[] = {
      {[](auto& s) { s["pp"] = 2; }, "/strategies/0/pp: pp with disaggregated pools is not modelled"},
      {[](auto& s) { s["decode"]["tp"] = 3; },
       "/strategies/0/decode/tp: tp 3 does not divide the model's 32 attention heads"},
      {[](auto& s) { s["decode"]["replicas"] = 2; },
       "/strategies/0: prefill tp x replicas + decode tp x replicas = 3 GPUs, but the cluster has 2"},
      {[](auto& s) { s["prefill"]["pp"] = 2; }, "/strategies/0/prefill/pp"},
      {[](auto& s) { s["prefill"]["ep"] = 2; },
       "/strategies/0/prefill/ep: llama3.1-8b has no experts; ep would change nothing"},
      {[](auto& s) { s["prefix_attention"] = "shared"; },
       "/strategies/0/prefix_attention: the decode pool receives each request's KV whole"},
  };
  for (const auto& [edit, error] : pool_errors) {
    CHECK_THAT(error_after([&](auto& d) {
                 pools(d);
                 d["strategies"][0].erase("tp");
                 d["strategies"][0].erase("replicas");
                 edit(d["strategies"][0]);
               }),
               Catch::Contains(error));
  }
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["kv_memory_fraction"] = 1.5; }),
             Catch::Contains("/strategies/0/kv_memory_fraction: expected a fraction in (0, 1]"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["scheduler"] = "fifo"; }),
             Catch::Contains("/strategies/0/scheduler: expected"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["micro_batch"] = 2; }),
             Catch::Contains("/strategies/0"));
  CHECK_THAT(error_after([](auto& d) {
               d["strategies"][1]["expected"] = {{"step_time_s", 2}};
             }),
             Catch::Contains("/strategies/1/expected"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][1]["name"] = "tp1x2"; }),
             Catch::Contains("duplicate strategy name"));
  CHECK_THAT(error_after([](auto& d) {
               d["training"] = {{"seq_len", 2048}, {"global_batch", 8}};
             }),
             Catch::Contains("a serving scenario (\"inference\") has no \"training\""));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["ep"] = 2; }),
             Catch::Contains("/strategies/0/ep: llama3.1-8b has no experts; ep would change nothing"));
  CHECK_THAT(error_after([](auto& d) { d["strategies"][0]["attention_dp"] = true; }),
             Catch::Contains("/strategies/0/attention_dp: llama3.1-8b has no experts"));
  CHECK_THAT(error_after([](auto& d) {
               d["model"] = "mixtral-8x7b";
               d["strategies"][1]["ep"] = 4;
             }),
             Catch::Contains("/strategies/1/ep: ep 4 does not divide tp 2"));
  CHECK_THAT(error_after([](auto& d) {
               d["model"] = "mixtral-8x7b";
               d["strategies"][1]["attention_dp"] = "yes";
             }),
             Catch::Contains("/strategies/1/attention_dp"));
  CHECK_THAT(error_after([](auto& d) {
               d["model"] = "mixtral-8x7b";
               d["strategies"][0]["attention_dp"] = true;
             }),
             Catch::Contains("/strategies/0/attention_dp: a replica of tp 1 has one attention rank already"));
  CHECK_THAT(error_after([](auto& d) { d.erase("inference"); }),
             Catch::Contains("missing required key \"training\" (or \"inference\")"));
  // A request the KV cache can never hold is found when the deployment runs.
  const scenarios::Scenario huge = read_edited([](auto& d) {
    d["inference"]["input_len"] = 2'000'000;
    d["strategies"][0]["chunked_prefill"] = true;
  });
  CHECK_THROWS_WITH(scenarios::run_deployment(huge, 0),
                    Catch::Contains("/strategies/0/tp: the KV cache holds"));
}

TEST_CASE("a request file gives arrivals and lengths, and a bad line names the file and line",
          "[scenario][serving]") {
  const fs::path dir = fs::temp_directory_path() / ("strata-requests-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto scenario_with = [&](const std::string& lines, const std::function<void(nlohmann::json&)>& edit) {
    std::ofstream(dir / "requests.jsonl") << lines;
    nlohmann::json document = small();
    document["inference"] = {{"arrival", {{"trace", "requests.jsonl"}}}};
    edit(document);
    std::ofstream(dir / "s.json") << document.dump();
    return read(dir / "s.json");
  };
  const auto error_with = [&](const std::string& lines, const std::function<void(nlohmann::json&)>& edit) {
    try {
      scenario_with(lines, edit);
    } catch (const sim::InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  const auto none = [](nlohmann::json&) {};
  const scenarios::Scenario scenario = scenario_with(
      "{\"arrival_s\": 2.0, \"input_len\": 100, \"output_len\": 10}\n\n"
      "{\"arrival_s\": 0.5, \"input_len\": 300, \"output_len\": 30}\n",
      none);
  REQUIRE(scenario.inference->arrival == models::ArrivalKind::kTrace);
  REQUIRE(scenario.inference->trace.size() == 2);
  CHECK(scenario.inference->requests == 2);
  CHECK(scenario.inference->trace[0].input_len == 300);  // in arrival order
  CHECK(scenario.inference->trace[1].arrival == sim::SimTime::from_seconds(2.0));
  const auto ranked = scenarios::run_inference_scenario(scenario);
  CHECK(ranked[0].output_tokens_per_s * ranked[0].run_time_s == Approx(40));
  CHECK(ranked[0].run_time_s > 2.0);

  CHECK_THAT(
      error_with("{\"arrival_s\": 0, \"input_len\": 1, \"output_len\": 1}\n{\"arrival_s\": 1,\n", none),
      Catch::Contains("requests.jsonl: line 2"));
  CHECK_THAT(error_with("{\"arrival_s\": -1, \"input_len\": 1, \"output_len\": 1}\n", none),
             Catch::Contains("requests.jsonl: line 1 /arrival_s: expected seconds"));
  CHECK_THAT(error_with("{\"arrival_s\": 0, \"input_len\": 0, \"output_len\": 1}\n", none),
             Catch::Contains("requests.jsonl: line 1 /input_len"));
  CHECK_THAT(error_with("{\"arrival_s\": 0, \"input_len\": 5, \"output_len\": 1, \"prefix_id\": 3}\n", none),
             Catch::Contains("line 1: prefix_id and prefix_len come together"));
  CHECK_THAT(error_with("{\"arrival_s\": 0, \"input_len\": 5, \"output_len\": 1, \"prefix_id\": 3, "
                        "\"prefix_len\": 6}\n",
                        none),
             Catch::Contains("line 1 /prefix_len: expected an integer in [1, 5]"));
  CHECK_THAT(error_with("{\"arrival_s\": 0, \"input_len\": 9, \"output_len\": 1, \"prefix_id\": 3, "
                        "\"prefix_len\": 4}\n{\"arrival_s\": 0, \"input_len\": 9, \"output_len\": 1, "
                        "\"prefix_id\": 3, \"prefix_len\": 5}\n",
                        none),
             Catch::Contains("requests.jsonl: line 2 /prefix_len: prefix 3 has 4 tokens on an earlier line"));
  const scenarios::Scenario prefixed = scenario_with(
      "{\"arrival_s\": 0, \"input_len\": 90, \"output_len\": 4, \"prefix_id\": 7, \"prefix_len\": 64}\n",
      none);
  CHECK(prefixed.inference->trace[0].prefix_id == 7);
  CHECK(prefixed.inference->trace[0].prefix_len == 64);
  CHECK_THAT(error_with("\n\n", none), Catch::Contains("the request file has no requests"));
  CHECK_THAT(error_with("{\"arrival_s\": 0, \"input_len\": 5, \"output_len\": 1}\n",
                        [](auto& d) { d["inference"]["requests"] = 5; }),
             Catch::Contains("/inference/requests: given by the request file"));
  CHECK_THAT(error_with("", [](auto& d) { d["inference"]["arrival"]["trace"] = "absent.jsonl"; }),
             Catch::Contains("absent.jsonl: cannot read the request file"));
  fs::remove_all(dir);
}

TEST_CASE("latency statistics are nearest-rank percentiles", "[scenario][serving]") {
  const scenarios::TimeStats stats = scenarios::time_stats({4.0, 1.0, 3.0, 2.0});
  CHECK(stats.mean_s == 2.5);
  CHECK(stats.p50_s == 2.0);  // the smallest value with at least half the requests at or below it
  CHECK(stats.p90_s == 4.0);
  CHECK(stats.p99_s == 4.0);
  CHECK(scenarios::time_stats({}).p99_s == 0.0);
}

TEST_CASE("a serving run ranks deployments and reports the same bytes every time", "[scenario][serving]") {
  const scenarios::Scenario scenario = read_edited([](auto&) {});
  const auto ranked = scenarios::run_inference_scenario(scenario);
  REQUIRE(ranked.size() == 2);
  CHECK(ranked[0].rank == 1);
  CHECK(ranked[0].output_tokens_per_s_per_gpu >= ranked[1].output_tokens_per_s_per_gpu);
  for (const auto& r : ranked) {
    CHECK(r.output_tokens_per_s == Approx(200.0 * 64 / r.run_time_s));
    CHECK(r.total_tokens_per_s == Approx(200.0 * (256 + 64) / r.run_time_s));
    CHECK(r.ttft.p50_s <= r.ttft.p99_s);
    CHECK(r.e2e_latency.p50_s > r.ttft.p50_s);
    double seconds = 0;
    for (const auto& [kind, s] : r.time_breakdown_s) seconds += s;
    CHECK(seconds == Approx(r.run_time_s));
  }
  const nlohmann::json report = scenarios::inference_report_json(scenario, ranked);
  CHECK(report["scenario"]["inference"]["requests"] == 200);
  CHECK(report["ranked_by"] == "output tokens/s per GPU");
  const nlohmann::json& tp2 =
      ranked[0].deployment.name == "tp2" ? report["results"][0] : report["results"][1];
  CHECK(tp2["expected"]["output_tokens_per_s"] == 20000.0);
  CHECK(tp2["config"]["max_batch_size"].get<int>() > 0);
  for (const char* key : {"ttft_s", "tpot_s", "e2e_latency_s"}) CHECK(tp2[key].contains("p99"));
  CHECK(scenarios::report_text(report) == scenarios::report_text(scenarios::inference_report_json(
                                              scenario, scenarios::run_inference_scenario(scenario))));
  const std::string html = scenarios::inference_report_html(scenario, ranked);
  CHECK_THAT(html, Catch::Contains("Time to first token (CDF)"));
  CHECK_THAT(html, Catch::Contains("<polyline"));
  // Throughput against TPOT: one point per deployment, titled with its figures.
  CHECK_THAT(html, Catch::Contains("Throughput against time per output token"));
  CHECK_THAT(html, Catch::Contains("<title>" + ranked[0].deployment.name + ": "));

  SECTION("with arrivals over time and an slo, goodput ranks") {
    const scenarios::Scenario timed = read_edited([](auto& d) {
      d["inference"]["arrival"] = {{"poisson", "20/s"}, {"seed", 1}};
      d["inference"]["slo"] = {{"ttft", "1s"}, {"tpot", "100ms"}};
    });
    const auto by_goodput = scenarios::run_inference_scenario(timed);
    CHECK(by_goodput[0].goodput_requests_per_s.value() > 0);
    CHECK_THAT(scenarios::inference_table(by_goodput, scenarios::inference_ranking(*timed.inference)),
               Catch::Contains("Ranked by goodput"));
  }
}

TEST_CASE(
    "a serving search runs every deployment within its bounds, with the Pareto front and the slo's best",
    "[scenario][serving][search]") {
  const scenarios::Scenario scenario = read_edited([](auto& d) {
    d.erase("strategies");
    d["inference"]["slo"] = {{"ttft", "1000s"}, {"tpot", "1s"}};
    d["search"] = {{"weights_dtype", {"fp8", "bf16"}}, {"max_batch_size", {8, 64}}};
  });
  REQUIRE(scenario.deployment_search);
  CHECK(scenario.deployments.empty());
  // tp 1 (2 replicas) and 2 on 2 GPUs, two dtypes, two batch limits: 8 candidates.
  const auto candidates = scenarios::deployment_candidates(scenario);
  REQUIRE(candidates.size() == 8);
  CHECK(candidates[0].name == "tp1x2-fp8-bs8");
  CHECK(candidates[0].replicas == 2);
  CHECK(candidates.back().name == "tp2-bf16-bs64");
  const scenarios::DeploymentSearchOutcome outcome = scenarios::search_deployments(scenario);
  CHECK(outcome.candidates == 8);
  CHECK(outcome.infeasible == 0);
  REQUIRE(outcome.ranked.size() == 8);
  REQUIRE(outcome.pareto.size() == 8);
  REQUIRE(outcome.pareto_ttft.size() == 8);
  // Each front: no member is dominated, every other result is dominated by a member.
  const auto dominated = [&](std::size_t i, auto latency) {
    const auto& r = outcome.ranked[i];
    bool any = false;
    for (const auto& other : outcome.ranked) {
      any = any || (other.output_tokens_per_s_per_gpu >= r.output_tokens_per_s_per_gpu &&
                    latency(other) <= latency(r) &&
                    (other.output_tokens_per_s_per_gpu > r.output_tokens_per_s_per_gpu ||
                     latency(other) < latency(r)));
    }
    return any;
  };
  for (std::size_t i = 0; i < outcome.ranked.size(); ++i) {
    CHECK(outcome.pareto[i] == !dominated(i, [](const auto& r) { return r.tpot.p50_s; }));
    CHECK(outcome.pareto_ttft[i] == !dominated(i, [](const auto& r) { return r.ttft.p50_s; }));
  }
  // Offline, with an slo every candidate meets: the best under it has the most tokens/s per GPU.
  REQUIRE(outcome.best_under_slo);
  for (const auto& r : outcome.ranked)
    CHECK(outcome.ranked[*outcome.best_under_slo].output_tokens_per_s_per_gpu >=
          r.output_tokens_per_s_per_gpu);

  CHECK_THAT(error_after([](auto& d) {
               d["search"] = {{"tp", nlohmann::json::array()}};
             }),
             Catch::Contains("/search/tp: an empty list leaves nothing to search"));
  CHECK_THAT(error_after([](auto& d) {
               d["search"] = {{"kv_dtype", {"fp8", "fp8"}}};
             }),
             Catch::Contains("/search/kv_dtype/1: repeats"));
  CHECK_THAT(error_after([](auto& d) { d["search"] = {{"pp", {1, 2}}}; }), Catch::Contains("/search/pp"));
}

TEST_CASE("a serving search of a MoE model tries its expert layouts", "[scenario][serving][search]") {
  const scenarios::Scenario scenario = read_edited([](auto& d) {
    d["model"] = "mixtral-8x7b";
    d.erase("strategies");
    d["search"] = {{"weights_dtype", {"fp8"}}, {"kv_dtype", {"fp8"}}};
  });
  // tp 1 (2 replicas): one layout; tp 2: ep 1 or 2, attention dp off or on.
  std::vector<std::string> names;
  for (const auto& d : scenarios::deployment_candidates(scenario)) names.push_back(d.name);
  CHECK(names == std::vector<std::string>{"tp1x2-fp8-kv-fp8", "tp2-fp8-kv-fp8", "tp2-fp8-kv-fp8-adp",
                                          "tp2-fp8-kv-fp8-ep2", "tp2-fp8-kv-fp8-ep2-adp"});
  const scenarios::DeploymentSearchOutcome outcome = scenarios::search_deployments(scenario);
  CHECK(outcome.infeasible == 0);
  CHECK(outcome.ranked.size() == 5);

  const scenarios::Scenario listed = read_edited([](auto& d) {
    d["model"] = "mixtral-8x7b";
    d.erase("strategies");
    d["search"] = {{"tp", {1, 2}}, {"ep", {2}}, {"attention_dp", {true}}};
  });
  // tp 1 cannot hold ep 2 or attention dp: counted infeasible with the reason.
  const scenarios::DeploymentSearchOutcome some = scenarios::search_deployments(listed);
  CHECK(some.candidates == 2);
  CHECK(some.infeasible == 1);
  CHECK_THAT(some.first_infeasible,
             Catch::Contains("tp1x2-ep2-adp: ep 2 does not divide tp and the experts"));
  CHECK_THAT(error_after([](auto& d) {
               d.erase("strategies");
               d["search"] = {{"ep", {2}}};
             }),
             Catch::Contains("/search/ep: llama3.1-8b has no experts; searching ep would change nothing"));
}

TEST_CASE("a serving search with disaggregation tries every pair of pools that fills the GPUs",
          "[scenario][serving][search]") {
  const scenarios::Scenario scenario = read_edited([](auto& d) {
    d["cluster"]["gpus_per_node"] = 4;
    d.erase("strategies");
    d["search"] = {{"tp", {1, 2}}, {"weights_dtype", {"fp8"}}, {"disaggregated", {false, true}}};
  });
  std::vector<std::string> names;
  for (const auto& d : scenarios::deployment_candidates(scenario)) {
    names.push_back(d.name);
    CHECK(d.gpus() == 4);
  }
  CHECK(names == std::vector<std::string>{"tp1x4-fp8", "tp2x2-fp8", "prefill-tp1x1-decode-tp1x3-fp8",
                                          "prefill-tp1x2-decode-tp1x2-fp8", "prefill-tp1x3-decode-tp1x1-fp8",
                                          "prefill-tp1x2-decode-tp2x1-fp8", "prefill-tp2x1-decode-tp1x2-fp8",
                                          "prefill-tp2x1-decode-tp2x1-fp8"});
  const scenarios::DeploymentSearchOutcome outcome = scenarios::search_deployments(scenario);
  CHECK(outcome.infeasible == 0);
  REQUIRE(outcome.ranked.size() == 8);
  for (const auto& r : outcome.ranked) {
    INFO(r.deployment.name);
    CHECK(r.pools.size() == (r.deployment.disaggregated() ? 2 : 0));
    CHECK(r.mean_kv_transfer_s.has_value() == r.deployment.disaggregated());
  }
}
