// Shared by the serving tests (tests/models/serving_*_test.cpp): presets, profiles, deployments and a
// scheduler over requests of one shape.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "models/serving/replica_scheduler.hpp"
#include "models/workload/model_catalog.hpp"

namespace strata::models::serving_fixtures {

inline TransformerConfig preset(const std::string& name) {
  return ModelCatalog(STRATA_SOURCE_PRESET_DIR).preset(name).config;
}
inline const ProfileCatalog& profiles() {
  static const ProfileCatalog catalog(STRATA_SOURCE_PROFILE_DIR);
  return catalog;
}

inline Deployment fp8(int tp) {
  Deployment d;
  d.name = "tp" + std::to_string(tp);
  d.tp = tp;
  d.weights_dtype = Dtype::kFp8;
  d.kv_dtype = Dtype::kFp8;
  return d;
}

// A scheduler over requests of one shape, with limits and blocks given.
struct SchedulerFixture {
  Deployment deployment;
  std::vector<ServingRequest> requests;
  std::vector<RequestRecord> records;
  ReplicaScheduler scheduler;
  SchedulerFixture(Deployment d, int count, std::int64_t input, std::int64_t output, BatchLimits limits,
                   std::int64_t blocks, std::int64_t host_blocks = 0)
      : deployment(std::move(d)),
        requests(static_cast<std::size_t>(count), ServingRequest{sim::SimTime::zero(), input, output}),
        records(static_cast<std::size_t>(count)),
        scheduler(0, deployment, limits, blocks, requests, records, host_blocks) {
    for (std::size_t i = 0; i < requests.size(); ++i) scheduler.enqueue(i);
  }
  BatchWork step(std::int64_t at_us) {
    const auto work = scheduler.next_iteration();
    REQUIRE(work);
    scheduler.complete_iteration(sim::SimTime::from_us(at_us));
    return *work;
  }
};

inline Deployment small_blocks() {
  Deployment d;
  d.kv_block_tokens = 4;
  return d;
}

}  // namespace strata::models::serving_fixtures
