#include "traces/kineto/gemm_launches.hpp"

#include <algorithm>

#include "traces/kineto/gemm_operators.hpp"

namespace strata::traces {

GemmLaunches::GemmLaunches(const KinetoTrace& trace) : trace_(trace) {
  for (std::size_t i = 0; i < trace.gemm_ops.size(); ++i) by_thread_[trace.gemm_ops[i].thread].push_back(i);
  for (auto& [thread, ops] : by_thread_)
    std::stable_sort(ops.begin(), ops.end(), [&](std::size_t a, std::size_t b) {
      return trace.gemm_ops[a].start_us < trace.gemm_ops[b].start_us;
    });
}

std::optional<GemmProduct> GemmLaunches::product_of(const KinetoGpuOp& kernel,
                                                    const KinetoRuntimeCall& launch) const {
  const auto thread = by_thread_.find(launch.thread);
  if (thread == by_thread_.end()) return std::nullopt;
  const std::vector<std::size_t>& ops = thread->second;
  // The operators that began by the call, latest first: the innermost one holding the call is the first
  // whose span reaches past the call's end.
  auto after = std::upper_bound(ops.begin(), ops.end(), launch.start_us,
                                [&](double t, std::size_t i) { return t < trace_.gemm_ops[i].start_us; });
  const double call_end = launch.start_us + launch.duration_us;
  while (after != ops.begin()) {
    const KinetoGemmOp& op = trace_.gemm_ops[*--after];
    if (op.start_us + op.duration_us < call_end) continue;
    const std::optional<models::GemmShape> shape = gemm_shape(op.name, op.input_dims);
    const std::optional<models::Dtype> dtype = gemm_dtype(op.first_matrix_type, kernel.name);
    if (!shape || !dtype) return std::nullopt;
    return GemmProduct{*shape, *dtype};
  }
  return std::nullopt;
}

}  // namespace strata::traces
