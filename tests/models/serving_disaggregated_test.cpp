// Disaggregated serving (Deployment::prefill_pool, decode_pool): prompts on one pool, their KV sent over the
// modelled network to the other, which decodes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "models/hardware/cluster_hardware.hpp"
#include "models/serving/serving_simulation.hpp"
#include "serving_fixtures.hpp"
#include "sim/error.hpp"

using namespace strata;
using namespace strata::models;
using namespace strata::models::serving_fixtures;

namespace {

Deployment disaggregated(int prefill_tp, int prefill_replicas, int decode_tp, int decode_replicas) {
  Deployment d = fp8(1);
  d.name = "disaggregated";
  d.prefill_pool = serving_pool(prefill_tp, prefill_replicas);
  d.decode_pool = serving_pool(decode_tp, decode_replicas);
  return d;
}

// The p99 of the requests' time per output token after the first.
double tpot_p99(const ServingRun& run) {
  std::vector<double> tpot;
  for (std::size_t i = 0; i < run.requests.size(); ++i) {
    const RequestRecord& r = run.records[i];
    tpot.push_back((r.finish - r.first_token).seconds() /
                   static_cast<double>(run.requests[i].output_len - 1));
  }
  std::sort(tpot.begin(), tpot.end());
  return tpot[tpot.size() * 99 / 100];
}

}  // namespace

TEST_CASE("disaggregated pools: prefill samples the first token, decode gets the KV and the rest",
          "[serving]") {
  const SystemProfile dgx = profiles().system("dgx-h100");
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const ClusterHardware hardware(dgx, h100);
  const TransformerConfig model = preset("llama3.1-8b");
  ServingWorkload w;
  w.requests = 200;
  w.input_len = 1024;
  w.output_len = 64;
  w.arrival = ArrivalKind::kPoisson;
  w.rate_per_s = 20;
  const Deployment d = disaggregated(1, 1, 1, 2);
  CHECK(d.gpus() == 3);
  const ServingRun run = simulate_serving(model, d, w, hardware);
  REQUIRE(run.pools.size() == 2);
  CHECK(run.pools[0].role == ServingRole::kPrefill);
  CHECK(run.pools[1].deployment.replicas == 2);
  CHECK(run.kv_transfers == 200);
  CHECK(run.kv_transfer_seconds > 0);
  std::vector<int> served(3, 0);
  for (std::size_t i = 0; i < run.records.size(); ++i) {
    const RequestRecord& r = run.records[i];
    CHECK(run.requests[i].arrival < r.first_token);
    CHECK(r.first_token < r.finish);
    ++served[static_cast<std::size_t>(r.replica)];  // the replica that finished it
  }
  CHECK(served[0] == 0);  // replica 0 is the prefill pool's: it finishes nothing of 64 tokens
  CHECK(served[1] > 50);
  CHECK(served[2] > 50);
  const ServingRun again = simulate_serving(model, d, w, hardware);
  CHECK(again.makespan == run.makespan);
  CHECK(again.kv_transfer_seconds == run.kv_transfer_seconds);

  SECTION("a request of one output token finishes in the prefill pool, with nothing to send") {
    w.output_len = 1;
    const ServingRun one = simulate_serving(model, d, w, hardware);
    CHECK(one.kv_transfers == 0);
    for (const RequestRecord& r : one.records) CHECK(r.finish == r.first_token);
  }
  SECTION("decode iterations carry no prompts, so long prompts no longer stretch the time per token") {
    // The same three GPUs as three replicas that each prefill and decode (Zhong et al., DistServe, OSDI '24:
    // prefills in a decoding batch slow every decoding request of it).
    w.input_len = 4096;
    w.rate_per_s = 8;
    Deployment colocated = fp8(1);
    colocated.replicas = 3;
    const ServingRun mixed = simulate_serving(model, colocated, w, hardware);
    const ServingRun split = simulate_serving(model, disaggregated(1, 1, 1, 2), w, hardware);
    CHECK(tpot_p99(split) < 0.8 * tpot_p99(mixed));
  }
  SECTION("the KV moves over NVLink within a node and over the NIC across nodes") {
    // tp 4 pools: on one node (GPUs 0-3 and 4-7) or on two (prefill 0-7, decode 8-15), the same bytes per
    // GPU pair; requests far apart so that no transfer waits for another.
    w.rate_per_s = 0.5;
    w.requests = 10;
    const ServingRun near = simulate_serving(model, disaggregated(4, 1, 4, 1), w, hardware);
    const ServingRun far = simulate_serving(model, disaggregated(4, 2, 4, 2), w, hardware);
    const double near_s = near.kv_transfer_seconds / static_cast<double>(near.kv_transfers);
    const double far_s = far.kv_transfer_seconds / static_cast<double>(far.kv_transfers);
    CHECK(far_s > 3 * near_s);
  }
  SECTION("a pool that cannot hold one request is named in the error") {
    w.input_len = 3'000'000;
    Deployment chunked = disaggregated(1, 1, 1, 2);
    chunked.chunked_prefill = true;
    CHECK_THROWS_WITH(simulate_serving(model, chunked, w, hardware),
                      Catch::Contains("in the prefill pool; one request needs"));
  }
  SECTION("weights that do not fit a pool's GPUs point at that pool's tp") {
    Deployment big = disaggregated(8, 1, 1, 1);
    big.weights_dtype = Dtype::kBf16;
    try {
      simulate_serving(preset("llama3.1-70b"), big, w, hardware);
      FAIL("70B in 16 bits fits 8 GPUs of the prefill pool, not the decode pool's one");
    } catch (const sim::InputError& error) {
      CHECK(error.json_path() == "/decode/tp");
    }
  }
}

TEST_CASE("disaggregated MoE pools: experts over ep in prefill, attention dp in decode", "[serving]") {
  const SystemProfile dgx = profiles().system("dgx-h100");
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const ClusterHardware hardware(dgx, h100);
  const TransformerConfig model = preset("mixtral-8x7b");
  ServingWorkload w;
  w.requests = 300;
  w.input_len = 2048;
  w.output_len = 128;
  w.arrival = ArrivalKind::kPoisson;
  w.rate_per_s = 10;
  Deployment d = disaggregated(2, 1, 2, 1);
  d.prefill_pool->ep = 2;
  d.decode_pool->attention_dp = true;
  const ServingRun run = simulate_serving(model, d, w, hardware);
  CHECK(run.pools[0].deployment.ep == 2);
  CHECK(run.pools[1].deployment.attention_ranks() == 2);
  CHECK(run.kv_transfers == 300);
  // The decode replica's two attention ranks each take requests: both show in its iterations' batches,
  // which hold more requests than one rank's share at the busiest.
  std::int64_t most = 0;
  for (const IterationSample& sample : run.iterations)
    if (sample.replica == 1) most = std::max(most, sample.requests);
  CHECK(most >= 2);
  for (const RequestRecord& r : run.records) {
    CHECK(r.first_token < r.finish);
    CHECK(r.replica == 1);
  }
  // Attention dp keeps whole KV heads on each GPU: the decode pool's per-GPU cache per token doubles.
  CHECK(run.pools[1].memory.kv_bytes_per_token == 2 * run.pools[0].memory.kv_bytes_per_token);
}
