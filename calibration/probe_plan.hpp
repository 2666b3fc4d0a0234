// What `strata calibrate` measures: the plan handed to the CUDA probe binary (as JSON) and printed by
// `strata calibrate --dry-run`. Warm-up runs, then `repeats` timed runs with CUDA events; the probe reports
// median, min and max of each.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "models/collectives/collective_op.hpp"
#include "models/hardware/dtype.hpp"
#include "sim/units.hpp"

namespace strata::calibration {

struct GemmProbeCase {
  models::Dtype dtype;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
};

struct ProbePlan {
  bool quick = false;
  int warmup = 5;
  int repeats = 20;
  std::vector<GemmProbeCase> gemm;
  std::vector<std::int64_t> attention_seq_lens;
  std::vector<int> attention_head_dims;
  int attention_heads = 16;
  int attention_batch = 2;
  std::vector<sim::Bytes> memory_sizes;  // device copy/read/write/triad
  std::vector<sim::Bytes> host_sizes;    // H2D/D2H pinned and pageable, peer-to-peer
  std::vector<models::CollectiveOp> nccl_ops;
  std::vector<sim::Bytes> nccl_sizes;
};

// The standard plan: square GEMMs 1024..16384 and transformer-like shapes (tokens x {h, 3h, 4h} with
// h = 4096, 8192) in bf16, fp16, tf32 and fp8; attention over seq 1024..8192 and head dim 64, 128; memory
// 1 MiB..4 GiB; host copies 1 MiB..1 GiB; NCCL's six collectives 8 B..16 GiB. `quick` keeps a few of each.
ProbePlan make_probe_plan(bool quick);
nlohmann::json probe_plan_json(const ProbePlan& plan);

}  // namespace strata::calibration
