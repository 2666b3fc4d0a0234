// Serving (models/serving): trtllm-bench's batch limits, per-GPU memory and KV capacity, the iteration's
// cost and whole simulated runs on the executor (the scheduler alone: serving_scheduler_test.cpp).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "models/cost/compute_cost.hpp"
#include "models/hardware/cluster_hardware.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/serving/batch_limits.hpp"
#include "models/serving/iteration_cost.hpp"
#include "models/serving/replica_scheduler.hpp"
#include "models/serving/serving_memory.hpp"
#include "models/serving/serving_simulation.hpp"
#include "models/workload/model_catalog.hpp"
#include "serving_fixtures.hpp"
#include "sim/error.hpp"

using namespace strata;
using namespace strata::models;
using sim::SimTime;
using namespace strata::models::serving_fixtures;

TEST_CASE("batch limits follow trtllm-bench's heuristic", "[serving]") {
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  // Llama 3.1 8B, FP8 weights and KV, 128 + 128 tokens on one 80 GiB H100, fraction 0.9:
  // KV per token 2 x 32 layers x 8 heads x 128 x 1 B = 64 KiB; weights 8.03e9 B = 7.5 GiB; cache (80 - 7.5) x
  // 0.9 = 65 GiB holds 65 GiB / (64 KiB x 256) = 4,170 requests: raw batch min(4170, 4096) = 4096 -> 256 x 16
  // = 4096; raw tokens min(4096 x 2, 32768) = 8192 -> 1024 x 8 = 8192.
  const BatchLimits small = trtllm_bench_batch_limits(preset("llama3.1-8b"), fp8(1), h100, 128, 128);
  CHECK(small.max_batch_size == 4096);
  CHECK(small.max_num_tokens == 8192);
  // Llama 3.1 405B on 8 GPUs, 20000 + 2000: KV per token 2 x 126 x 8 x 128 = 252 KiB; weights 378 GiB of 640;
  // (640 - 378) x 0.9 = 236 GiB / (252 KiB x 22000) = 44 requests -> max(64, 32 x 2) = 64; raw tokens 44 x 11
  // = 490 -> the floor, 2048.
  const TransformerConfig big = preset("llama3.1-405b");
  const BatchLimits limits = trtllm_bench_batch_limits(big, fp8(8), h100, 20000, 2000);
  CHECK(limits.max_batch_size == 64);
  CHECK(limits.max_num_tokens == 2048);
  // Without chunked prefill trtllm-bench raises max_num_tokens to the prompt plus a full batch: 20000 + 64.
  CHECK(effective_batch_limits(big, fp8(8), h100, {20000, 2000, 20000}).max_num_tokens == 20064);
  Deployment chunked = fp8(8);
  chunked.chunked_prefill = true;
  CHECK(effective_batch_limits(big, chunked, h100, {20000, 2000, 20000}).max_num_tokens == 2048);
  Deployment given = fp8(8);
  given.max_num_tokens = 30000;
  given.max_batch_size = 16;
  const BatchLimits own = effective_batch_limits(big, given, h100, {20000, 2000, 20000});
  CHECK(own.max_batch_size == 16);
  CHECK(own.max_num_tokens == 30000);
  // 405B in bf16 (810 GB) does not fit one GPU.
  Deployment one = fp8(1);
  one.weights_dtype = Dtype::kBf16;
  CHECK_THROWS_AS(trtllm_bench_batch_limits(big, one, h100, 128, 128), sim::InputError);
}

TEST_CASE("serving memory: sharded weights, activations, KV blocks per GPU", "[serving]") {
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const TransformerConfig model = preset("llama3.1-70b");
  // 8 KV heads: 4 per GPU at tp 2, one each at tp 8, and a copy of one at tp 16.
  CHECK(kv_heads_per_gpu(model, 2) == 4);
  CHECK(kv_heads_per_gpu(model, 8) == 1);
  CHECK(kv_heads_per_gpu(model, 16) == 1);
  const BatchLimits limits{256, 4096};
  const ServingMemory memory = serving_memory(model, fp8(2), h100, limits);
  // 2 x 80 layers x 4 heads x 128 x 1 B.
  CHECK(memory.kv_bytes_per_token == 81920.0);
  const ParameterCounts params = count_parameters(model);
  const double sixteen_bit = params.embedding + params.lm_head;
  CHECK(memory.weights_bytes == Approx(((params.total - sixteen_bit) + 2 * sixteen_bit) / 2));
  const double left = memory.capacity_bytes - memory.weights_bytes - memory.activation_bytes;
  CHECK(memory.kv_cache_bytes <= left * 0.9);
  CHECK(memory.kv_cache_bytes > left * 0.9 - 32 * 81920.0);
  CHECK(memory.kv_tokens() == memory.kv_blocks * 32);
  // 405B in bf16 on 2 GPUs: the weights alone exceed them.
  Deployment bf16 = fp8(2);
  bf16.weights_dtype = Dtype::kBf16;
  CHECK_THROWS_AS(serving_memory(preset("llama3.1-405b"), bf16, h100, limits), sim::InputError);
}

TEST_CASE(
    "NVFP4 weights on Blackwell: 4.5 bits per weight, decoding reads less, prefill runs at the FP4 rate",
    "[serving]") {
  const SystemProfile system = profiles().system("dgx-b200");
  const GpuProfile b200 = profiles().gpu("b200-180gb");
  const TransformerConfig model = preset("llama3.1-70b");
  Deployment fp4 = fp8(1);
  fp4.weights_dtype = Dtype::kFp4;
  const BatchLimits limits{256, 4096};
  const ServingMemory m4 = serving_memory(model, fp4, b200, limits);
  const ServingMemory m8 = serving_memory(model, fp8(1), b200, limits);
  const ParameterCounts params = count_parameters(model);
  const double sixteen_bit = params.embedding + params.lm_head;
  // 4-bit values and an FP8 scale per 16 of them; embedding and LM head stay 16-bit.
  CHECK(m4.weights_bytes == Approx((params.total - sixteen_bit) * 0.5625 + 2 * sixteen_bit));
  CHECK(m4.kv_blocks > m8.kv_blocks);
  IterationCost cost4(model, fp4, b200, system);
  IterationCost cost8(model, fp8(1), b200, system);
  BatchWork decode;
  decode.decode_requests = 8;
  decode.decode_context = 8 * 1024;
  decode.sampled_sequences = 8;
  // Small-m GEMMs read the weights: about 0.5625 of FP8's bytes.
  const double ratio = cost4.price(decode).gemm.seconds() / cost8.price(decode).gemm.seconds();
  CHECK(ratio == Approx(0.5625).epsilon(0.1));
  BatchWork prefill;
  prefill.prefill_tokens = 8192;
  prefill.prefill_pairs = 8192.0 * 8193 / 2;
  prefill.sampled_sequences = 1;
  // Large GEMMs run near FP4's peak: 9000 x 0.778 against FP8's 4500 x 0.763 TFLOP/s.
  CHECK(cost4.price(prefill).gemm.seconds() < 0.6 * cost8.price(prefill).gemm.seconds());
}

TEST_CASE("MLA serving: one latent per token cached on every GPU, decode attends over it once for all heads",
          "[serving]") {
  const SystemProfile system = profiles().system("dgx-h200");
  const GpuProfile h200 = profiles().gpu("h200-sxm5-141gb");
  const TransformerConfig model = preset("deepseek-v3");
  Deployment d = fp8(8);
  d.kv_dtype = Dtype::kBf16;
  d.ep = 8;
  // DeepSeek-V2 (arXiv 2405.04434), section 2.1: (d_c + d_h^R) x layers elements per token, here (512 + 64)
  // x 61 in 16 bits, the same at any tp (every GPU keeps the whole latent).
  CHECK(kv_bytes_per_token(model, d, model.layers) == 61 * 576 * 2.0);
  Deployment tp4 = d;
  tp4.tp = 4;
  tp4.ep = 4;
  CHECK(kv_bytes_per_token(model, tp4, model.layers) == kv_bytes_per_token(model, d, model.layers));
  // The q and kv compressions are whole on every GPU: 61 x 7168 x (1536 + 512 + 64) parameters, of which a
  // GPU of tp 8 holds 7/8 more than its share.
  const BatchLimits limits{64, 8192};
  const ServingMemory memory = serving_memory(model, d, h200, limits);
  const ReplicaWeights weights = replica_weights(model);
  const double replicated = 61.0 * 7168 * (1536 + 512 + 64);
  CHECK(memory.weights_bytes ==
        Approx(weights.dense / 8 + weights.experts / 8 + replicated * 7 / 8 + weights.sixteen_bit / 8 * 2));

  // Decode attention reads each request's latent once for all the GPU's heads: with half the heads per GPU
  // the bytes stay (only the FLOPs halve), so a memory-bound decode barely speeds up, unlike grouped-query
  // attention, whose K and V split over the GPUs.
  BatchWork decode;
  decode.decode_requests = 64;
  decode.decode_context = 64 * 8192;
  decode.sampled_sequences = 64;
  IterationCost cost8(model, d, h200, system);
  IterationCost cost4(model, tp4, h200, system);
  const double mla_ratio = cost8.price(decode).attention.seconds() / cost4.price(decode).attention.seconds();
  CHECK(mla_ratio > 0.85);
  const TransformerConfig llama = preset("llama3.1-70b");
  IterationCost llama8(llama, fp8(8), h200, system);
  IterationCost llama4(llama, fp8(4), h200, system);
  const double gqa_ratio =
      llama8.price(decode).attention.seconds() / llama4.price(decode).attention.seconds();
  CHECK(gqa_ratio < 0.6);
}

TEST_CASE(
    "an iteration's cost: decoding reads the weights, attention grows with context, tp adds all-reduces",
    "[serving]") {
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const SystemProfile dgx = profiles().system("dgx-h100");
  const TransformerConfig model = preset("llama3.1-8b");
  const Deployment one = fp8(1);
  IterationCost cost(model, one, h100, dgx);
  CHECK(cost.price(BatchWork{}).total() == SimTime::zero());
  BatchWork decode;
  decode.decode_requests = 1;
  decode.decode_context = 1000;
  decode.sampled_sequences = 1;
  const IterationTime alone = cost.price(decode);
  // One token: no GEMM can be faster than reading its FP8 weights (h = 4096, ffn = 14336, 32 + 2 x 8 heads of
  // 128: per layer 4096 x 6144 + 4096 x 4096 + 4096 x 28672 + 14336 x 4096 bytes = 218 MB, x 32 layers = 6.98
  // GB) and the bf16 LM head (128256 x 4096 x 2 B = 1.05 GB) at the achievable 2.97 TB/s, plus the 129
  // kernels' launch overhead: 3.2 ms. The model's wave quantization (no split-K) runs a GEMM of fewer tiles
  // than SMs on that many SMs, so the smaller projections come out compute-bound above that floor: 4.4 ms.
  const double weights =
      32.0 * (4096.0 * 6144 + 4096.0 * 4096 + 4096.0 * 28672 + 14336.0 * 4096) + 128256.0 * 4096 * 2;
  const double launch = h100.kernel_launch_overhead.value.seconds();
  const double bandwidth = h100.achievable_memory_bandwidth().bytes_per_s();
  const double floor = weights / bandwidth + 129 * launch;
  CHECK(alone.gemm.seconds() >= floor);
  CHECK(alone.gemm.seconds() <= 1.5 * floor);
  CHECK(alone.tp == SimTime::zero());
  BatchWork longer = decode;
  longer.decode_context = 100000;
  const IterationTime later = cost.price(longer);
  CHECK(later.gemm == alone.gemm);
  CHECK(later.attention > alone.attention);
  // The KV of 100,000 tokens (2 x 8 x 128 x 1 B x 32 layers = 6.6 GB) takes about as long as the weights.
  CHECK(later.attention.seconds() == Approx(100000.0 * 65536 / bandwidth + 32 * launch).epsilon(0.02));
  IterationCost two(model, fp8(2), h100, dgx);
  CHECK(two.price(decode).tp > SimTime::zero());
  CHECK(two.price(decode).gemm < alone.gemm);
}

TEST_CASE("a serving run on the executor serves every request, the same way every time", "[serving]") {
  const ProfileCatalog& catalog = profiles();
  const SystemProfile dgx = catalog.system("dgx-h100");
  const GpuProfile h100 = catalog.gpu("h100-sxm5-80gb");
  const ClusterHardware hardware(dgx, h100);
  const TransformerConfig model = preset("llama3.1-8b");
  Deployment d = fp8(1);
  d.replicas = 2;
  ServingWorkload w;
  w.requests = 300;
  w.input_len = 256;
  w.output_len = 32;
  const ServingRun run = simulate_serving(model, d, w, hardware);
  REQUIRE(run.records.size() == 300);
  int on_first = 0;
  for (const RequestRecord& r : run.records) {
    CHECK(r.first_token < r.finish);
    CHECK(r.finish <= run.makespan);
    on_first += r.replica == 0 ? 1 : 0;
  }
  CHECK(on_first == 150);  // offline requests alternate between the two replicas
  const ServingRun again = simulate_serving(model, d, w, hardware);
  CHECK(again.makespan == run.makespan);
  CHECK(again.iterations.size() == run.iterations.size());

  SECTION("Poisson arrivals: seeded, increasing, and the run ends after the last one") {
    w.arrival = ArrivalKind::kPoisson;
    w.rate_per_s = 50;
    w.seed = 7;
    const std::vector<ServingRequest> requests = serving_requests(w);
    for (std::size_t i = 1; i < requests.size(); ++i) CHECK(requests[i - 1].arrival <= requests[i].arrival);
    // 300 gaps of mean 1/50 s: about 6 s.
    CHECK(requests.back().arrival.seconds() == Approx(6.0).epsilon(0.25));
    const ServingRun poisson = simulate_serving(model, d, w, hardware);
    CHECK(poisson.makespan > requests.back().arrival);
    CHECK(serving_requests(w).back().arrival == requests.back().arrival);
  }
  SECTION("requests that can never run are bad input") {
    d.max_num_tokens = 128;
    CHECK_THROWS_WITH(simulate_serving(model, d, w, hardware), Catch::Contains("never fits an iteration"));
    d.max_num_tokens.reset();
    d.chunked_prefill = true;
    w.input_len = 3'000'000;
    CHECK_THROWS_WITH(simulate_serving(model, d, w, hardware), Catch::Contains("the KV cache holds"));
  }
  SECTION("preemption: more requests run at once, some are preempted, all finish, swaps take time") {
    w.input_len = 2000;
    w.output_len = 2000;
    d.max_batch_size = 256;
    d.kv_memory_fraction = 0.05;  // a small cache, so that growing requests run out of it
    const ServingRun no_evict = simulate_serving(model, d, w, hardware);
    CHECK(no_evict.preemptions == 0);
    for (const PreemptionKind kind : {PreemptionKind::kRecompute, PreemptionKind::kSwap}) {
      d.preemption = kind;
      const ServingRun preempted = simulate_serving(model, d, w, hardware);
      INFO(kPreemptionNames.name(kind));
      CHECK(preempted.preemptions > 0);
      for (const RequestRecord& r : preempted.records) CHECK(r.finish <= preempted.makespan);
      CHECK(preempted.busy_seconds.contains("swap") == (kind == PreemptionKind::kSwap));
      CHECK(simulate_serving(model, d, w, hardware).makespan == preempted.makespan);
    }
  }
  SECTION("shared prefixes: with prefix caching less is prefilled and the run is shorter") {
    w.input_len = 1024;
    w.shared_prefixes = 4;
    w.shared_prefix_len = 896;
    const ServingRun cached = simulate_serving(model, d, w, hardware);
    d.prefix_attention = PrefixAttentionKind::kShared;  // Hydragen: each prefix's KV read once per batch
    const ServingRun hydragen = simulate_serving(model, d, w, hardware);
    CHECK(hydragen.busy_seconds.at("attention") < cached.busy_seconds.at("attention"));
    d.prefix_attention = PrefixAttentionKind::kSeparate;
    d.prefix_caching = false;
    const ServingRun uncached = simulate_serving(model, d, w, hardware);
    CHECK(cached.makespan < uncached.makespan);
    CHECK(cached.busy_seconds.at("attention") < uncached.busy_seconds.at("attention"));
  }
  SECTION("a run longer than its iteration budget stops with an error, not a hang") {
    CHECK_THROWS_WITH(simulate_serving(model, d, w, hardware, nullptr, 10),
                      Catch::Contains("the run needs more than 10 iterations"));
  }
}

TEST_CASE("MoE serving: experts sharded over tp, attention dp keeps the rest whole on every GPU",
          "[serving]") {
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const TransformerConfig qwen = preset("qwen3-235b-a22b");
  Deployment adp = fp8(8);
  adp.ep = 8;
  adp.attention_dp = true;
  const BatchLimits limits{256, 4096};
  const ServingMemory memory = serving_memory(qwen, adp, h100, limits);
  const ReplicaWeights weights = replica_weights(qwen);
  // 94 layers x 128 experts x 3 x 4096 x 1536 routed-expert parameters.
  CHECK(weights.experts == Approx(94.0 * 128 * 3 * 4096 * 1536));
  CHECK(memory.weights_bytes == Approx(weights.dense + weights.experts / 8 + 2 * weights.sixteen_bit));
  // Every GPU keeps all 4 KV heads of its own requests: 2 x 94 x 4 x 128 x 1 B per token.
  CHECK(memory.kv_bytes_per_token == 2.0 * 94 * 4 * 128);
  CHECK(memory.replica_kv_blocks == 8 * memory.kv_blocks);
  // Without attention dp the attention is sharded and the 4 KV heads are copied (one per GPU).
  Deployment tp8 = fp8(8);
  const ServingMemory sharded = serving_memory(qwen, tp8, h100, limits);
  CHECK(sharded.weights_bytes < memory.weights_bytes);
  CHECK(sharded.replica_kv_blocks == sharded.kv_blocks);
}

TEST_CASE("MoE iterations: routed experts read only the experts their tokens pick, attention dp gathers",
          "[serving]") {
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const SystemProfile dgx = profiles().system("dgx-h100");
  const TransformerConfig qwen = preset("qwen3-235b-a22b");
  Deployment adp = fp8(8);
  adp.ep = 8;
  adp.attention_dp = true;
  IterationCost cost(qwen, adp, h100, dgx);
  const auto decoding = [](std::int64_t requests) {
    BatchWork work;
    work.decode_requests = requests;
    work.decode_context = requests * 1000;
    work.sampled_sequences = requests;
    return work;
  };
  // One token picks 8 of 128 experts: at most one of this GPU's 16 is active, so the expert GEMMs read
  // about 1/16 of the GPU's expert weights; 512 tokens activate all of them (1 - (120/128)^512 ~ 1).
  const IterationTime one = cost.price(decoding(1));
  const IterationTime many = cost.price(decoding(512));
  const double expert_bytes = 94.0 * 16 * 3 * 4096 * 1536;  // this GPU's experts, FP8
  const double bandwidth = h100.achievable_memory_bandwidth().bytes_per_s();
  CHECK((many.gemm - one.gemm).seconds() >= 0.8 * (15.0 / 16) * expert_bytes / bandwidth);
  // Every GPU's tokens are gathered: a second GPU with the same batch adds MoE work but not its own.
  const std::vector<BatchWork> alone{decoding(64), BatchWork{}};
  const std::vector<BatchWork> both{decoding(64), decoding(64)};
  const IterationTime first = cost.price(alone);
  const IterationTime second = cost.price(both);
  CHECK(second.attention == first.attention);
  CHECK(second.gemm > first.gemm);
  CHECK(first.tp > SimTime::zero());  // the all-gather and reduce-scatter of the MoE layers
}

TEST_CASE("an attention-dp replica runs one scheduler per GPU in lockstep", "[serving]") {
  const SystemProfile dgx = profiles().system("dgx-h100");
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const ClusterHardware hardware(dgx, h100);
  const TransformerConfig scout = preset("llama4-scout");
  Deployment adp = fp8(4);
  adp.attention_dp = true;
  ServingWorkload w;
  w.requests = 400;
  w.input_len = 512;
  w.output_len = 64;
  const ServingRun run = simulate_serving(scout, adp, w, hardware);
  for (const RequestRecord& r : run.records) CHECK(r.finish <= run.makespan);
  // Four schedulers each fill their own token budget: the replica's first iteration prefills more prompt
  // tokens than one max_num_tokens (400 x 512 prompt tokens wait), where a tp replica prefills at most one.
  REQUIRE(400 * 512 > 4 * run.limits.max_num_tokens);
  CHECK(run.iterations.front().tokens > run.limits.max_num_tokens);
  CHECK(run.iterations.front().tokens <= 4 * static_cast<std::int64_t>(run.limits.max_num_tokens));
  Deployment tp4 = fp8(4);
  const ServingRun sharded = simulate_serving(scout, tp4, w, hardware);
  CHECK(sharded.iterations.front().tokens <= sharded.limits.max_num_tokens);
  CHECK(simulate_serving(scout, adp, w, hardware).makespan == run.makespan);
}

TEST_CASE("pipeline-parallel serving: stages split the layers, micro-batches fill the pipeline",
          "[serving]") {
  const SystemProfile dgx = profiles().system("dgx-h100");
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const TransformerConfig model = preset("llama3.1-8b");
  Deployment pp3 = fp8(1);
  pp3.pp = 3;
  // 32 layers over 3 stages: the first 32 % 3 = 2 stages take one more.
  CHECK(serving_stage(model, pp3, 0).layers() == 11);
  CHECK(serving_stage(model, pp3, 1).first_layer == 11);
  CHECK(serving_stage(model, pp3, 2).layers() == 10);
  CHECK(serving_stage(model, pp3, 0).embedding);
  CHECK_FALSE(serving_stage(model, pp3, 0).lm_head);
  CHECK(serving_stage(model, pp3, 2).lm_head);
  // A stage's GPU keeps the KV of its layers only: 11 of 32 on the stage with the fewest blocks.
  const ServingMemory memory = serving_memory(model, pp3, h100, BatchLimits{256, 4096});
  CHECK(memory.kv_bytes_per_token == 2.0 * 11 * 8 * 128);

  Deployment pp2 = fp8(1);
  pp2.pp = 2;
  ServingWorkload w;
  w.requests = 400;
  w.input_len = 512;
  w.output_len = 64;
  const ClusterHardware hardware(dgx, h100);
  const ServingRun run = simulate_serving(model, pp2, w, hardware);
  for (const RequestRecord& r : run.records) CHECK(r.finish <= run.makespan);
  CHECK(run.busy_seconds.at("pp") > 0);  // the second stage receives the activations
  // Two stages work at once on different micro-batches: the run is much shorter than their work in series.
  double busy = 0;
  for (const auto& [kind, seconds] : run.busy_seconds) busy += seconds;
  CHECK(run.makespan.seconds() < 0.75 * busy);
  CHECK(simulate_serving(model, pp2, w, hardware).makespan == run.makespan);
}
