// The cluster in the loop (issue "The cluster in the loop"): per-GPU and per-node overrides slow what they
// should and nothing else, flow fidelity runs training steps on the topology, agrees with analytic where
// nothing contends and feels oversubscription where gradients cross the spine.
#include <catch2/catch.hpp>
#include <string>

#include "scenarios/runner/scenario_run.hpp"
#include "scenarios/runner/step_distribution.hpp"
#include "scenarios/runner/strategy_run.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/error.hpp"
#include "small_llama.hpp"

using namespace strata;

namespace {

nlohmann::json strategy(const std::string& name, int tp, int pp, int dp) {
  nlohmann::json out = {{"name", name}, {"tp", tp}, {"pp", pp}, {"dp", dp}, {"sequence_parallel", tp > 1}};
  if (dp > 1) out["zero"] = 1;
  return out;
}

scenarios::Scenario scenario(nlohmann::json cluster, nlohmann::json strategies,
                             const std::string& fidelity = "analytic", std::int64_t global_batch = 16) {
  const nlohmann::json document = {{"name", "cluster-in-the-loop"},
                                   {"cluster", std::move(cluster)},
                                   {"model", small_llama()},
                                   {"training", {{"seq_len", 2048}, {"global_batch", global_batch}}},
                                   {"strategies", std::move(strategies)},
                                   {"fidelity", fidelity}};
  return scenarios::read_scenario_document(document, "cluster.json",
                                           models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                                           models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
}

double step(const scenarios::Scenario& s, std::size_t index = 0) {
  return scenarios::run_strategy(s, index).step_time_s;
}

const nlohmann::json kEightNodes = {{"system", "dgx-h100"}, {"nodes", 8}};

nlohmann::json with(nlohmann::json cluster, const std::string& key, nlohmann::json value) {
  cluster[key] = std::move(value);
  return cluster;
}

}  // namespace

TEST_CASE("one GPU at half speed slows a TP8 PP2 DP4 step by about its stage's compute",
          "[scenario][cluster]") {
  const nlohmann::json job = {strategy("tp8-pp2-dp4", 8, 2, 4)};
  const scenarios::StrategyResult base = scenarios::run_strategy(scenario(kEightNodes, job), 0);
  // GPU 40 is in the last stage (GPUs 32-63), the critical one: its tensor-parallel peers wait for it at
  // every all-reduce, its data-parallel peers at the gradient reduction, so the step grows by its compute.
  const nlohmann::json slow_last = with(kEightNodes, "overrides", {{{"gpus", {40}}, {"slowdown", 2.0}}});
  const scenarios::StrategyResult slowed = scenarios::run_strategy(scenario(slow_last, job), 0);
  const double stage_compute = base.time_breakdown_s.at("compute");
  CHECK(slowed.critical_stage == 1);
  CHECK(slowed.step_time_s - base.step_time_s == Approx(stage_compute).epsilon(0.15));
  // The same GPU speed in the first stage costs less: part of it hides in the last stage's longer work.
  const nlohmann::json slow_first = with(kEightNodes, "overrides", {{{"gpus", {5}}, {"slowdown", 2.0}}});
  const double first = step(scenario(slow_first, job));
  CHECK(first > base.step_time_s * 1.02);
  CHECK(first < slowed.step_time_s);
  // A slowdown of 1 is the uniform cluster, every rank simulated: the symmetric collapse was exact.
  const nlohmann::json none = with(kEightNodes, "overrides", {{{"gpus", {5}}, {"slowdown", 1.0}}});
  CHECK(step(scenario(none, job)) == Approx(base.step_time_s).epsilon(1e-9));
}

TEST_CASE("a NIC at a quarter rate slows the rings through its node, not a pipeline that barely uses it",
          "[scenario][cluster]") {
  const nlohmann::json jobs = {strategy("tp8-pp2-dp4", 8, 2, 4), strategy("tp8-pp8", 8, 8, 1)};
  const scenarios::Scenario uniform = scenario(kEightNodes, jobs);
  const nlohmann::json degraded =
      with(kEightNodes, "overrides", {{{"nodes", {1}}, {"nic_bandwidth", "100Gb/s"}}});
  const scenarios::Scenario slow_nic = scenario(degraded, jobs);
  // Node 1 holds data-parallel rank 1 of the first stage: its gradient ring runs at a quarter rate.
  CHECK(step(slow_nic, 0) > 1.3 * step(uniform, 0));
  // TP8 PP8 sends only activations between nodes: within 1%.
  CHECK(step(slow_nic, 1) == Approx(step(uniform, 1)).epsilon(0.01));
}

TEST_CASE("a NIC down puts its channel on the next NIC: the node's rings run at half pace at both fidelities",
          "[scenario][cluster]") {
  const nlohmann::json two_nodes = {{"system", "dgx-h100"}, {"nodes", 2}};
  const nlohmann::json jobs = {strategy("dp16", 1, 1, 16), strategy("tp8-pp2", 8, 2, 1)};
  const nlohmann::json rail_down = with(two_nodes, "overrides", {{{"nodes", {1}}, {"nics_down", {3}}}});
  for (const char* fidelity : {"analytic", "flow"}) {
    INFO(fidelity);
    const scenarios::Scenario healthy = scenario(two_nodes, jobs, fidelity);
    const scenarios::Scenario degraded = scenario(rail_down, jobs, fidelity);
    // NIC 4 of node 1 carries its own channel and NIC 3's: the gradient rings through node 1 move at half
    // pace, as with every NIC there at half rate.
    const nlohmann::json halved =
        with(two_nodes, "overrides", {{{"nodes", {1}}, {"nic_bandwidth", "200Gb/s"}}});
    CHECK(step(degraded, 0) > 1.05 * step(healthy, 0));
    CHECK(step(degraded, 0) == Approx(step(scenario(halved, jobs, fidelity), 0)).epsilon(0.02));
    // The pipeline's activation sends barely use the NICs.
    CHECK(step(degraded, 1) == Approx(step(healthy, 1)).epsilon(0.01));
  }
  // Two NICs down next to each other leave the third NIC three channels; analytic and flow agree within 5%
  // (analytic stretches the NIC's share of the collective's time, flow shares the links as they are).
  const nlohmann::json two_down = with(two_nodes, "overrides", {{{"nodes", {1}}, {"nics_down", {2, 3}}}});
  const double analytic = step(scenario(two_down, jobs));
  CHECK(analytic > step(scenario(rail_down, jobs)));
  CHECK(step(scenario(two_down, jobs, "flow")) == Approx(analytic).epsilon(0.05));
}

TEST_CASE("flow fidelity agrees with analytic within 1% where nothing contends", "[scenario][cluster]") {
  const nlohmann::json two_nodes = {{"system", "dgx-h100"}, {"nodes", 2}};
  const nlohmann::json jobs = {strategy("dp16", 1, 1, 16), strategy("tp8-dp2", 8, 1, 2),
                               strategy("tp8-pp2", 8, 2, 1), strategy("tp4-pp2-dp2", 4, 2, 2)};
  const scenarios::Scenario analytic = scenario(two_nodes, jobs);
  const scenarios::Scenario flow = scenario(two_nodes, jobs, "flow");
  for (std::size_t i = 0; i < analytic.strategies.size(); ++i) {
    INFO(analytic.strategies[i].strategy.name);
    CHECK(step(flow, i) == Approx(step(analytic, i)).epsilon(0.01));
  }
}

TEST_CASE("an oversubscribed spine slows gradients that cross it, not a pipeline inside leaves",
          "[scenario][cluster]") {
  // One node per leaf switch: every inter-node byte crosses the spine, at a quarter of the NICs' rate.
  nlohmann::json blocking = {{"system", "dgx-h100"}, {"nodes", 2}, {"leaf_radix", 8}};
  const nlohmann::json jobs = {strategy("dp16", 1, 1, 16), strategy("tp8-pp2", 8, 2, 1)};
  const scenarios::Scenario full = scenario(blocking, jobs, "flow");
  blocking["oversubscription"] = 4.0;
  const scenarios::Scenario oversubscribed = scenario(blocking, jobs, "flow");
  CHECK(step(oversubscribed, 0) > 1.02 * step(full, 0));
  CHECK(step(oversubscribed, 1) == Approx(step(full, 1)).epsilon(0.01));
}

TEST_CASE("cluster overrides and topology keys refuse what they cannot mean", "[scenario][cluster][input]") {
  const nlohmann::json job = {strategy("tp8", 8, 1, 1)};
  const nlohmann::json one_node = {{"system", "dgx-h100"}, {"nodes", 1}};
  const auto error = [&](nlohmann::json cluster, const std::string& fidelity = "analytic") {
    try {
      scenario(std::move(cluster), job, fidelity, 8);
    } catch (const sim::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error(with(one_node, "overrides", {{{"gpus", {8}}, {"slowdown", 2}}})),
             Contains("/cluster/overrides/0/gpus/0"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"gpus", {1}}, {"slowdown", 0.5}}})),
             Contains("another \"gpu\" profile"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"gpus", {1}}, {"nic_bandwidth", "100Gb/s"}}})),
             Contains("NICs belong to nodes"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"gpus", {1}}}})), Contains("changes nothing"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"gpus", {1}}, {"nics_down", {0}}}})),
             Contains("NICs belong to nodes"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"nodes", {0}}, {"nics_down", {8}}}})),
             Contains("/cluster/overrides/0/nics_down/0"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"nodes", {0}}, {"nics_down", {0, 1, 2, 3, 4, 5, 6, 7}}}})),
             Contains("takes down all 8 NICs"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"nodes", {0}}, {"nics_down", {1, 1}}}})),
             Contains("repeats NIC 1"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"gpus", {1}}, {"nodes", {0}}, {"slowdown", 2}}})),
             Contains("exactly one"));
  CHECK_THAT(error(with(one_node, "overrides",
                        {{{"gpus", {1, 2}}, {"slowdown", 2}}, {{"nodes", {0}}, {"slowdown", 3}}})),
             Contains("which entry 0 sets too"));
  CHECK_THAT(error(with(one_node, "overrides", {{{"gpus", {1}}, {"gpu", "no-such-gpu"}}})),
             Contains("/cluster/overrides/0/gpu"));
  CHECK_THAT(error(with(one_node, "oversubscription", 2)), Contains("has no effect at analytic fidelity"));
  CHECK_THAT(error(with(one_node, "oversubscription", 0.5), "flow"), Contains("between 1"));
  CHECK_THAT(error(with(with(one_node, "topology", "rail-optimized"), "tiers", 3), "flow"),
             Contains("rail-optimized"));
  CHECK(error(with(one_node, "oversubscription", 2), "flow") == "no error");
}

TEST_CASE("a GPU of another kind holds its own memory and speed", "[scenario][cluster]") {
  const nlohmann::json job = {strategy("tp8-pp2", 8, 2, 1)};
  const nlohmann::json two_nodes = {{"system", "dgx-h100"}, {"nodes", 2}};
  const scenarios::StrategyResult h100 = scenarios::run_strategy(scenario(two_nodes, job, "analytic", 8), 0);
  // The second node (the last stage) on A100 40 GB: slower, and the memory check reads the A100's capacity.
  const nlohmann::json mixed = with(two_nodes, "overrides", {{{"nodes", {1}}, {"gpu", "a100-sxm4-40gb"}}});
  const scenarios::StrategyResult a100 = scenarios::run_strategy(scenario(mixed, job, "analytic", 8), 0);
  CHECK(a100.step_time_s > 1.5 * h100.step_time_s);
  CHECK(a100.critical_stage == 1);
  CHECK(a100.memory.capacity_bytes < h100.memory.capacity_bytes);
}

TEST_CASE("kernel jitter slows synchronised ranks, and the same seed gives the same step",
          "[scenario][cluster]") {
  const nlohmann::json job = {strategy("tp8-pp2-dp4", 8, 2, 4)};
  const double uniform = step(scenario(kEightNodes, job));
  const auto jittered = [&](std::uint64_t seed) {
    return step(scenario(with(kEightNodes, "jitter", {{"cv", 0.1}, {"seed", seed}}), job));
  };
  const double a = jittered(1);
  // Each kernel keeps its mean, but every all-reduce waits for the slowest of its eight ranks: the step
  // grows.
  CHECK(a > uniform * 1.01);
  CHECK(a < uniform * 1.2);
  CHECK(jittered(1) == a);
  CHECK(jittered(2) != a);
  const auto error = [&](nlohmann::json jitter) {
    try {
      scenario(with(kEightNodes, "jitter", std::move(jitter)), job);
    } catch (const sim::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error({{"cv", 0}, {"seed", 1}}),
             Catch::Matchers::Contains("/cluster/jitter/cv: must be in (0, 1]"));
  CHECK_THAT(error({{"cv", 0.1}}), Catch::Matchers::Contains("seed"));
}

TEST_CASE("several jittered steps give a distribution whose median step is the one reported",
          "[scenario][cluster]") {
  const nlohmann::json job = {strategy("tp8-dp2", 8, 1, 2)};
  const nlohmann::json two_nodes = {{"system", "dgx-h100"}, {"nodes", 2}};
  const scenarios::Scenario jittered = scenario(with(two_nodes, "jitter", {{"cv", 0.2}, {"seed", 40}}), job);
  const scenarios::ScenarioRun run = scenarios::run_scenario(jittered, {}, 9);
  const scenarios::StrategyResult& r = run.ranked.at(0);
  REQUIRE(r.step_distribution);
  const scenarios::StepTimeDistribution& d = *r.step_distribution;
  CHECK(d.steps == 9);
  CHECK(d.first_seed == 40);
  CHECK(d.median_seed >= 40);
  CHECK(d.median_seed < 49);
  CHECK(d.min_s < d.max_s);  // nine seeds, nine different draws
  CHECK(d.min_s <= d.stats.p50_s);
  CHECK(d.stats.p50_s <= d.stats.p90_s);
  CHECK(d.stats.p99_s == d.max_s);  // nearest rank of 9: the largest
  CHECK(r.step_time_s == d.stats.p50_s);
  // The reported step is a step that was simulated: its seed alone gives the same step.
  CHECK(step(scenarios::with_jitter_seed(jittered, d.median_seed)) == r.step_time_s);
  // Step 0 is the scenario's own step, so one of the nine is what a plain run gives.
  const double own = step(jittered);
  CHECK(own >= d.min_s);
  CHECK(own <= d.max_s);
  // Same input, same output, whatever the threads did.
  CHECK(scenarios::run_scenario(jittered, {}, 9).ranked.at(0).step_distribution->stats.mean_s ==
        d.stats.mean_s);

  const auto refusal = [](const scenarios::Scenario& s, std::int64_t steps) {
    try {
      scenarios::check_distribution_steps(s, steps, {"command line", "--steps"});
    } catch (const sim::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(refusal(scenario(two_nodes, job), 4), Catch::Matchers::Contains("no cluster.jitter"));
  CHECK(refusal(scenario(two_nodes, job), 1) == "no error");
  CHECK_THAT(refusal(jittered, 0), Catch::Matchers::Contains("--steps: must be 1 to 1000"));
  CHECK_THAT(refusal(jittered, 1001), Catch::Matchers::Contains("--steps: must be 1 to 1000"));
}

TEST_CASE("placement moves ranks between nodes: TP across nodes is a real what-if at both fidelities",
          "[scenario][cluster]") {
  const nlohmann::json two_nodes = {{"system", "dgx-h100"}, {"nodes", 2}};
  nlohmann::json inside = strategy("tp8-dp2", 8, 1, 2);
  nlohmann::json across = inside;
  across["name"] = "tp8-dp2 across";
  across["placement"] = "dp-tp";
  const nlohmann::json job = {inside, across};
  const scenarios::Scenario analytic = scenario(two_nodes, job);
  const scenarios::Scenario flow = scenario(two_nodes, job, "flow");
  // The TP all-gathers and reduce-scatters of every layer now cross the NICs (4 GPUs of each TP group per
  // node): the step grows by far more than the DP traffic it takes off them.
  const scenarios::StrategyResult in_node = scenarios::run_strategy(analytic, 0);
  const scenarios::StrategyResult spread = scenarios::run_strategy(analytic, 1);
  CHECK(spread.step_time_s > in_node.step_time_s * 1.1);
  CHECK(spread.time_breakdown_s.at("tp") > 1.5 * in_node.time_breakdown_s.at("tp"));
  CHECK(spread.time_breakdown_s.at("dp") < in_node.time_breakdown_s.at("dp"));
  // The two TP groups of a node leave it through different NICs: the fidelities agree.
  CHECK(step(flow, 1) == Approx(spread.step_time_s).epsilon(0.01));
  CHECK(step(flow, 0) == Approx(in_node.step_time_s).epsilon(0.01));

  nlohmann::json bad = inside;
  bad["placement"] = "tp-pp";
  try {
    scenario(two_nodes, {bad});
    FAIL("a placement without dp was accepted");
  } catch (const sim::InputError& e) {
    CHECK_THAT(std::string(e.what()),
               Catch::Matchers::Contains("/strategies/0/placement: leaves out dp, whose degree is 2"));
  }
}

TEST_CASE(
    "an MoE step's all-to-alls stay on the rails of a rail-optimized network and cross a fat tree's spine",
    "[scenario][cluster]") {
  // 8 DGX H100 nodes, switches of 32 ports, 4:1 above them. Fat tree: 4 nodes per leaf, so EP 64's
  // all-to-alls cross the spine. Rail-optimized: rail switch k takes NIC k of all 8 nodes, and PXN moves
  // each token over NVLink to the GPU on its destination's rail: nothing crosses the spine, as on a
  // non-blocking tree.
  nlohmann::json moe = small_llama();
  moe["architectures"] = {"MixtralForCausalLM"};
  moe["num_hidden_layers"] = 4;
  moe["vocab_size"] = 32000;
  moe["num_local_experts"] = 64;
  moe["num_experts_per_tok"] = 2;
  const nlohmann::json job = {{{"name", "ep64"}, {"dp", 64}, {"ep", 64}, {"zero", 1}}};
  const auto moe_step = [&](const std::string& topology, double oversubscription) {
    const nlohmann::json cluster = {{"system", "dgx-h100"},
                                    {"nodes", 8},
                                    {"topology", topology},
                                    {"leaf_radix", 32},
                                    {"oversubscription", oversubscription}};
    const nlohmann::json document = {
        {"name", "moe"},     {"cluster", cluster},
        {"model", moe},      {"training", {{"seq_len", 4096}, {"global_batch", 64}}},
        {"strategies", job}, {"fidelity", "flow"}};
    return scenarios::run_strategy(
        scenarios::read_scenario_document(document, "moe.json",
                                          models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                                          models::ModelCatalog(STRATA_SOURCE_PRESET_DIR)),
        0);
  };
  const scenarios::StrategyResult open = moe_step("fat-tree", 1);
  const scenarios::StrategyResult tree = moe_step("fat-tree", 4);
  const scenarios::StrategyResult rails = moe_step("rail-optimized", 4);
  CHECK(tree.step_time_s > 1.2 * open.step_time_s);  // 0.138 s against 0.105 s
  CHECK(tree.time_breakdown_s.at("ep") > 2 * open.time_breakdown_s.at("ep"));
  CHECK(rails.step_time_s == Approx(open.step_time_s).epsilon(1e-6));
}
