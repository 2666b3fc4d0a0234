#include "calibration/probe_plan.hpp"

namespace strata::calibration {
namespace {

std::vector<sim::Bytes> powers_of_two(std::int64_t from, std::int64_t to, int step) {
  std::vector<sim::Bytes> sizes;
  for (std::int64_t size = from; size <= to; size <<= step) sizes.push_back(sim::Bytes::from_count(size));
  return sizes;
}

}  // namespace

ProbePlan make_probe_plan(bool quick) {
  ProbePlan plan;
  plan.quick = quick;
  plan.warmup = quick ? 2 : 5;
  plan.repeats = quick ? 5 : 20;
  const std::vector<models::Dtype> dtypes{models::Dtype::kBf16, models::Dtype::kFp16, models::Dtype::kTf32,
                                          models::Dtype::kFp8};
  const std::vector<std::int64_t> squares = quick ? std::vector<std::int64_t>{2048, 8192}
                                                  : std::vector<std::int64_t>{1024, 2048, 4096, 8192, 16384};
  const std::vector<std::int64_t> hidden =
      quick ? std::vector<std::int64_t>{4096} : std::vector<std::int64_t>{4096, 8192};
  const std::vector<std::int64_t> tokens =
      quick ? std::vector<std::int64_t>{8192} : std::vector<std::int64_t>{2048, 8192};
  for (models::Dtype dtype : dtypes) {
    for (std::int64_t side : squares) plan.gemm.push_back({dtype, side, side, side});
    for (std::int64_t h : hidden) {
      for (std::int64_t t : tokens) {
        plan.gemm.push_back({dtype, t, 3 * h, h});  // fused QKV projection
        plan.gemm.push_back({dtype, t, 4 * h, h});  // MLP up
        plan.gemm.push_back({dtype, t, h, 4 * h});  // MLP down
      }
    }
  }
  plan.attention_seq_lens =
      quick ? std::vector<std::int64_t>{2048} : std::vector<std::int64_t>{1024, 2048, 4096, 8192};
  plan.attention_head_dims = {64, 128};
  plan.memory_sizes = quick ? powers_of_two(std::int64_t{1} << 20, std::int64_t{1} << 30, 5)
                            : powers_of_two(std::int64_t{1} << 20, std::int64_t{4} << 30, 1);
  plan.host_sizes = quick ? powers_of_two(std::int64_t{1} << 20, std::int64_t{1} << 30, 5)
                          : powers_of_two(std::int64_t{1} << 20, std::int64_t{1} << 30, 1);
  plan.nccl_ops.assign(models::kAllCollectiveOps.begin(), models::kAllCollectiveOps.end());
  plan.nccl_sizes =
      quick ? powers_of_two(1024, std::int64_t{1} << 30, 5) : powers_of_two(8, std::int64_t{16} << 30, 1);
  return plan;
}

nlohmann::json probe_plan_json(const ProbePlan& plan) {
  nlohmann::json gemm = nlohmann::json::array();
  for (const GemmProbeCase& c : plan.gemm) {
    gemm.push_back({{"dtype", models::dtype_name(c.dtype)}, {"m", c.m}, {"n", c.n}, {"k", c.k}});
  }
  const auto sizes = [](const std::vector<sim::Bytes>& list) {
    nlohmann::json array = nlohmann::json::array();
    for (const sim::Bytes& size : list) array.push_back(size.count());
    return array;
  };
  nlohmann::json ops = nlohmann::json::array();
  for (models::CollectiveOp op : plan.nccl_ops) ops.push_back(models::collective_op_name(op));
  return {{"strata_probe_plan", 1},
          {"quick", plan.quick},
          {"warmup", plan.warmup},
          {"repeats", plan.repeats},
          {"gemm", gemm},
          {"attention",
           {{"seq_lens", plan.attention_seq_lens},
            {"head_dims", plan.attention_head_dims},
            {"heads", plan.attention_heads},
            {"batch", plan.attention_batch}}},
          {"memory_sizes", sizes(plan.memory_sizes)},
          {"host_sizes", sizes(plan.host_sizes)},
          {"nccl", {{"ops", ops}, {"sizes", sizes(plan.nccl_sizes)}}}};
}

}  // namespace strata::calibration
