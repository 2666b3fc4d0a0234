// The replica scheduler (models/serving/replica_scheduler.hpp) alone: in-flight batching, preemption,
// prefix caching, and every policy combination on a tight cache.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "models/serving/replica_scheduler.hpp"
#include "models/serving/serving_simulation.hpp"
#include "serving_fixtures.hpp"

using namespace strata;
using namespace strata::models;
using namespace strata::models::serving_fixtures;
using sim::SimTime;

TEST_CASE("the replica scheduler batches in flight and never evicts", "[serving]") {
  SECTION("a finished request's slot goes to the next one at once") {
    SchedulerFixture f(small_blocks(), 3, 4, 3, BatchLimits{2, 100}, 100);
    const BatchWork first = f.step(10);  // two prompts of 4
    CHECK(first.prefill_tokens == 8);
    CHECK(first.prefill_pairs == 20);  // 4 x 5 / 2 each
    CHECK(first.sampled_sequences == 2);
    CHECK(f.records[0].first_token == SimTime::from_us(10));
    CHECK(f.step(20).decode_requests == 2);  // second tokens; the third request waits for a slot
    const BatchWork third = f.step(30);      // third tokens: both finish
    CHECK(third.decode_requests == 2);
    CHECK(third.decode_context == 2 * (4 + 2));
    CHECK(f.records[1].finish == SimTime::from_us(30));
    CHECK(f.step(40).prefill_tokens == 4);
    CHECK(f.records[2].first_token == SimTime::from_us(40));
  }
  SECTION("the token budget holds back a prompt that does not fit beside the decodes") {
    SchedulerFixture f(small_blocks(), 2, 4, 3, BatchLimits{8, 4}, 100);
    CHECK(f.step(1).prefill_tokens == 4);
    const BatchWork second = f.step(2);  // 1 decode + a prompt of 4 > 4 tokens
    CHECK(second.decode_requests == 1);
    CHECK(second.prefill_tokens == 0);
  }
  SECTION("a request waits for KV blocks for its whole length") {
    // 4 + 3 tokens = 2 blocks of 4; 3 blocks hold one request.
    SchedulerFixture f(small_blocks(), 2, 4, 3, BatchLimits{8, 100}, 3);
    CHECK(f.step(1).prefill_tokens == 4);
    CHECK(f.scheduler.kv_blocks_used() == 2);
    f.step(2);
    f.step(3);  // the first finishes and frees its blocks
    CHECK(f.scheduler.kv_blocks_used() == 0);
    CHECK(f.step(4).prefill_tokens == 4);
  }
  SECTION("chunked prefill splits a long prompt over iterations") {
    Deployment d = small_blocks();
    d.chunked_prefill = true;
    SchedulerFixture f(d, 1, 10, 2, BatchLimits{8, 4}, 100);
    // Chunks of 4, 4 and 2: causal pairs 4 x 5 / 2 = 10, 4 x 4 + 10 = 26, 2 x 8 + 3 = 19.
    CHECK(f.step(1).prefill_pairs == 10);
    const BatchWork second = f.step(2);
    CHECK(second.prefill_pairs == 26);
    CHECK(second.prefill_cached == 4);
    CHECK(second.sampled_sequences == 0);
    CHECK(f.records[0].first_token == SimTime::max());
    const BatchWork last = f.step(3);
    CHECK(last.prefill_tokens == 2);
    CHECK(last.prefill_pairs == 19);
    CHECK(last.sampled_sequences == 1);
    CHECK(f.records[0].first_token == SimTime::from_us(3));
  }
  SECTION("a static batch admits nothing until it is empty") {
    Deployment d = small_blocks();
    d.scheduler = BatchSchedulerKind::kStatic;
    SchedulerFixture f(d, 3, 4, 2, BatchLimits{2, 100}, 100);
    f.step(1);
    f.step(2);  // both finish
    CHECK(f.scheduler.running() == 0);
    CHECK(f.step(3).prefill_tokens == 4);
    const BatchWork decoding = f.step(4);
    CHECK(decoding.prefill_tokens == 0);
  }
}

TEST_CASE("with preemption the scheduler admits on the prompt's blocks and preempts the last admitted",
          "[serving]") {
  // Two requests of 4 + 6 tokens, blocks of 4, a cache of 4 blocks: no-evict would run them one at a time
  // (3 blocks each); here both start, and when the first needs its third block (9 tokens cached) the
  // second, admitted last, gives up its 2 blocks.
  Deployment d = small_blocks();
  const auto run_to_preemption = [](SchedulerFixture& f) {
    CHECK(f.step(1).prefill_tokens == 8);
    for (int t = 2; t <= 5; ++t) CHECK(f.step(t).decode_requests == 2);
    CHECK(f.scheduler.preemptions() == 0);
    const BatchWork sixth = f.step(6);  // the first's last token; the second is preempted
    CHECK(sixth.decode_requests == 1);
    CHECK(f.scheduler.preemptions() == 1);
    CHECK(f.records[0].finish == SimTime::from_us(6));
    return sixth;
  };
  SECTION("recompute: the second prefills its prompt and its 5 tokens again, then samples its last") {
    d.preemption = PreemptionKind::kRecompute;
    SchedulerFixture f(d, 2, 4, 6, BatchLimits{8, 100}, 4);
    run_to_preemption(f);
    const BatchWork seventh = f.step(7);
    CHECK(seventh.prefill_tokens == 9);
    CHECK(seventh.swap_in_blocks == 0);
    CHECK(f.records[1].first_token == SimTime::from_us(1));  // its first token came before the preemption
    CHECK(f.records[1].finish == SimTime::from_us(7));
  }
  SECTION("swap: its 2 blocks go to host memory and come back to decode its last token") {
    d.preemption = PreemptionKind::kSwap;
    SchedulerFixture f(d, 2, 4, 6, BatchLimits{8, 100}, 4, 10);
    CHECK(run_to_preemption(f).swap_out_blocks == 2);
    const BatchWork seventh = f.step(7);
    CHECK(seventh.swap_in_blocks == 2);
    CHECK(seventh.decode_requests == 1);
    CHECK(seventh.prefill_tokens == 0);
    CHECK(f.records[1].finish == SimTime::from_us(7));
  }
  SECTION("swap without room in host memory recomputes instead") {
    d.preemption = PreemptionKind::kSwap;
    SchedulerFixture f(d, 2, 4, 6, BatchLimits{8, 100}, 4, 1);
    CHECK(run_to_preemption(f).swap_out_blocks == 0);
    CHECK(f.step(7).prefill_tokens == 9);
  }
}

TEST_CASE("prefix caching: a computed prefix's blocks are reused, kept while unused, evicted when needed",
          "[serving]") {
  // Prompts of 10 tokens whose first 8 (two blocks of 4) are a shared prefix; one request at a time.
  const auto with_prefixes = [](SchedulerFixture& f, std::vector<std::int64_t> ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      f.requests[i].prefix_id = ids[i];
      f.requests[i].prefix_len = 8;
    }
  };
  SECTION("the second request of a prefix prefills only the rest") {
    SchedulerFixture f(small_blocks(), 2, 10, 2, BatchLimits{1, 100}, 100);
    with_prefixes(f, {0, 0});
    CHECK(f.step(1).prefill_tokens == 10);  // computes the prefix; its 2 blocks go to the cache
    CHECK(f.scheduler.kv_blocks_used() == 3);
    f.step(2);  // finishes; the cached prefix stays
    CHECK(f.scheduler.kv_blocks_used() == 2);
    const BatchWork reused = f.step(3);
    CHECK(reused.prefill_tokens == 2);
    CHECK(reused.prefill_cached == 8);
    CHECK(reused.prefill_pairs == 2 * 8 + 3);
    CHECK(f.scheduler.kv_blocks_used() == 3);  // the prefix counts once
  }
  SECTION("without prefix caching every request prefills its whole prompt") {
    Deployment d = small_blocks();
    d.prefix_caching = false;
    SchedulerFixture f(d, 2, 10, 2, BatchLimits{1, 100}, 100);
    with_prefixes(f, {0, 0});
    f.step(1);
    f.step(2);
    CHECK(f.step(3).prefill_tokens == 10);
  }
  SECTION("an unused cached prefix is evicted when its blocks are needed") {
    // 4 blocks: a request takes 3 (12 tokens), so the next one evicts the previous prefix.
    SchedulerFixture f(small_blocks(), 3, 10, 2, BatchLimits{1, 100}, 4);
    with_prefixes(f, {0, 1, 0});
    f.step(1);
    f.step(2);
    CHECK(f.step(3).prefill_tokens == 10);  // prefix 1, evicting prefix 0
    f.step(4);
    CHECK(f.step(5).prefill_tokens == 10);  // prefix 0 again: computed again
  }
}

TEST_CASE("every scheduling policy serves every request under a tight KV cache", "[serving]") {
  // Preemption, prefix caching, chunked prefill and static batches together, with lengths and prefixes
  // that vary, on a cache a few requests fill: whatever the combination, every request is served once, in
  // order of its own events, and the run ends (a replica left with requests throws).
  const SystemProfile dgx = profiles().system("dgx-h100");
  const GpuProfile h100 = profiles().gpu("h100-sxm5-80gb");
  const ClusterHardware hardware(dgx, h100);
  const TransformerConfig model = preset("llama3.1-8b");
  ServingWorkload w;
  w.requests = 60;
  w.input_len = LengthDistribution(64);
  w.input_len.high = 2000;
  w.input_len.seed = 5;
  w.output_len = LengthDistribution(1);
  w.output_len.high = 600;
  w.output_len.seed = 6;
  w.arrival = ArrivalKind::kPoisson;
  w.rate_per_s = 200;
  w.shared_prefixes = 3;
  w.shared_prefix_len = 64;
  for (const PreemptionKind preemption :
       {PreemptionKind::kNone, PreemptionKind::kRecompute, PreemptionKind::kSwap}) {
    for (const bool chunked : {false, true}) {
      for (const bool caching : {false, true}) {
        for (const BatchSchedulerKind scheduler :
             {BatchSchedulerKind::kContinuous, BatchSchedulerKind::kStatic}) {
          Deployment d = fp8(1);
          d.preemption = preemption;
          d.chunked_prefill = chunked;
          d.prefix_caching = caching;
          d.scheduler = scheduler;
          d.max_batch_size = 64;
          d.kv_memory_fraction = 0.01;  // about 11,700 tokens: a handful of requests
          d.swap_space_bytes = 64.0 * 1024 * 1024;
          INFO(kPreemptionNames.name(preemption) << " chunked " << chunked << " caching " << caching << " "
                                                 << kBatchSchedulerNames.name(scheduler));
          const ServingRun run = simulate_serving(model, d, w, hardware);
          if (preemption == PreemptionKind::kNone) CHECK(run.preemptions == 0);
          if (preemption != PreemptionKind::kNone && scheduler == BatchSchedulerKind::kContinuous)
            CHECK(run.preemptions > 0);
          for (std::size_t i = 0; i < run.records.size(); ++i) {
            CHECK(run.requests[i].arrival <= run.records[i].first_token);
            CHECK(run.records[i].first_token <= run.records[i].finish);
            CHECK(run.records[i].finish <= run.makespan);
          }
        }
      }
    }
  }
}
