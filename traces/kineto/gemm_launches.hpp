// Which GEMM operator launched a GEMM kernel, so that a what-if can re-cost the kernel from its product's
// shape: the innermost operator with recorded shapes (kineto_trace.hpp, KinetoGemmOp) whose span on the
// launching thread holds the launch call. Kernels launched from CUDA graphs (cudaGraphLaunch) or by
// operators recorded without shapes have none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "models/cost/compute_cost.hpp"
#include "models/hardware/dtype.hpp"
#include "traces/kineto/kineto_trace.hpp"

namespace strata::traces {

struct GemmProduct {
  models::GemmShape shape;
  models::Dtype dtype = models::Dtype::kBf16;
};

class GemmLaunches {
 public:
  explicit GemmLaunches(const KinetoTrace& trace);

  // The product `kernel` computes, launched by `launch`; none when no GEMM operator with shapes holds the
  // call, or its inputs do not fit the operator's signature or a known precision (gemm_operators.hpp).
  std::optional<GemmProduct> product_of(const KinetoGpuOp& kernel, const KinetoRuntimeCall& launch) const;

 private:
  const KinetoTrace& trace_;
  std::map<std::int64_t, std::vector<std::size_t>> by_thread_;  // indices into gemm_ops, by start time
};

}  // namespace strata::traces
