#include "models/cost/compute_cost.hpp"

#include <algorithm>

#include "sim/error.hpp"

namespace strata::models {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

sim::SimTime seconds(double value) { return sim::SimTime::from_seconds(value); }

KernelTime combine(const GpuProfile& gpu, double compute_s, double memory_s, double quantization) {
  KernelTime time;
  time.compute = seconds(compute_s);
  time.memory = seconds(memory_s);
  time.overhead = gpu.kernel_launch_overhead.value;
  time.total = std::max(time.compute, time.memory) + time.overhead;
  time.quantization = quantization;
  return time;
}

}  // namespace

double GemmShape::flops() const {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) *
         static_cast<double>(batch);
}

KernelTime gemm_time(const GpuProfile& gpu, const GemmShape& shape, Dtype dtype) {
  if (shape.m <= 0 || shape.n <= 0 || shape.k <= 0 || shape.batch <= 0) {
    throw sim::InputError("GEMM shape must be positive, got m=" + std::to_string(shape.m) +
                          " n=" + std::to_string(shape.n) + " k=" + std::to_string(shape.k) +
                          " batch=" + std::to_string(shape.batch));
  }
  if (shape.reserved_sms < 0) {
    throw sim::InputError("a GEMM cannot reserve a negative number of SMs, got " +
                          std::to_string(shape.reserved_sms));
  }
  const GemmTile tile = gpu.gemm_tile.value;
  // Communication never takes the last SM: a GPU with fewer SMs than reserved keeps one for the GEMM.
  const std::int64_t sms = std::max<std::int64_t>(1, gpu.sm_count.value - shape.reserved_sms);
  const double sm_share = static_cast<double>(sms) / static_cast<double>(gpu.sm_count.value);
  const std::int64_t tiles = ceil_div(shape.m, tile.m) * ceil_div(shape.n, tile.n) * shape.batch;
  const std::int64_t waves = ceil_div(tiles, sms);
  const double quantization = static_cast<double>(shape.m) * static_cast<double>(shape.n) *
                              static_cast<double>(shape.batch) /
                              (static_cast<double>(waves) * static_cast<double>(sms) * tile.m * tile.n);
  const double rate = gpu.peak(dtype).flops_per_s() * sm_share * gpu.gemm_efficiency(dtype) * quantization;

  const double in_bytes = dtype_bytes(dtype);
  const double out_bytes = std::max(in_bytes, 2.0);
  const double m = static_cast<double>(shape.m);
  const double n = static_cast<double>(shape.n);
  const double k = static_cast<double>(shape.k);
  const double moved = static_cast<double>(shape.batch) * ((m * k + k * n) * in_bytes + m * n * out_bytes);
  const double tile_overheads = static_cast<double>(waves) * gpu.gemm_tile_overhead.value.seconds();
  return combine(gpu, shape.flops() / rate + tile_overheads,
                 moved / gpu.achievable_memory_bandwidth().bytes_per_s(), quantization);
}

KernelTime memory_bound_time(const GpuProfile& gpu, sim::Bytes moved) {
  if (moved.count() == 0) return KernelTime{};
  return combine(gpu, 0.0, moved.as_double() / gpu.achievable_memory_bandwidth().bytes_per_s(), 1.0);
}

KernelTime fused_attention_time(const GpuProfile& gpu, sim::Flops flops, sim::Bytes moved,
                                FusedAttentionKernel kernel) {
  double efficiency = gpu.attention_efficiency.value;
  if (kernel == FusedAttentionKernel::kTriton) {
    if (!gpu.attention_triton_efficiency) {
      throw sim::InputError(
          "GPU profile " + gpu.name +
          " has no efficiency.attention_triton: the Triton FlashAttention kernel's rate on it "
          "is not known (add it with its source, or use \"attention\": \"fused\")");
    }
    efficiency = gpu.attention_triton_efficiency->value;
  }
  const double rate = gpu.peak(Dtype::kBf16).flops_per_s() * efficiency;
  return combine(gpu, flops.count() / rate,
                 moved.as_double() / gpu.achievable_memory_bandwidth().bytes_per_s(), 1.0);
}

}  // namespace strata::models
