// Kernel times on a synthetic GPU whose numbers make the arithmetic easy to follow by hand:
// 100 SMs, 128x128 tiles, bf16 peak 100 TFLOP/s at GEMM efficiency 0.5 (50 TFLOP/s achieved),
// 1 TB/s memory at efficiency 0.8 (800 GB/s achievable), attention efficiency 0.25, launch overhead 2 us.
#include <catch2/catch.hpp>

#include "models/cost/compute_cost.hpp"
#include "models/executor/task_cost.hpp"
#include "sim/error.hpp"

using namespace strata::models;
using strata::sim::SimTime;

namespace {

GpuProfile synthetic_gpu() {
  GpuProfile gpu;
  gpu.name = "synthetic";
  gpu.sm_count = {100, "test"};
  gpu.memory_capacity = {strata::sim::Bytes::from_gib(80), "test"};
  gpu.memory_bandwidth = {strata::sim::Bandwidth::from_gb_per_s(1000), "test"};
  gpu.peak_flops[Dtype::kBf16] = {strata::sim::FlopRate::from_tflops_per_s(100), "test"};
  gpu.gemm_max_efficiency[Dtype::kBf16] = {0.5, "test"};
  gpu.gemm_tile = {GemmTile{128, 128}, "test"};
  gpu.attention_efficiency = {0.25, "test"};
  gpu.memory_efficiency = {0.8, "test"};
  gpu.kernel_launch_overhead = {SimTime::from_us(2), "test"};
  return gpu;
}

}  // namespace

TEST_CASE("a GEMM filling exactly one wave runs at the achieved peak", "[compute]") {
  // 1280 x 1280 output = 10 x 10 = 100 tiles = one full wave: quantization 1.
  // compute = 2 * 1280 * 1280 * 1000 / 50e12 = 65.536 us; memory = (2*1280*1000*2 + 1280*1280*2) / 800e9
  // = 8.3968e6 / 8e11 = 10.496 us; total = 65.536 + 2 = 67.536 us.
  const KernelTime time = gemm_time(synthetic_gpu(), {1280, 1280, 1000}, Dtype::kBf16);
  CHECK(time.quantization == Approx(1.0));
  CHECK(time.compute == SimTime::from_ps(65'536'000));
  CHECK(time.memory == SimTime::from_ps(10'496'000));
  CHECK(time.total == SimTime::from_ps(67'536'000));
  CHECK_FALSE(time.memory_bound());
}

TEST_CASE("one extra row costs a whole extra wave (wave quantization)", "[compute]") {
  // 1281 rows: 11 x 10 = 110 tiles -> 2 waves. compute = 2 k waves sms tile_m tile_n / (peak * eff)
  // = 2 * 1000 * 2 * 100 * 16384 / 50e12 = 131.072 us: twice the time for 0.08% more work.
  const KernelTime time = gemm_time(synthetic_gpu(), {1281, 1280, 1000}, Dtype::kBf16);
  CHECK(time.compute == SimTime::from_ps(131'072'000));
  CHECK(time.quantization == Approx(1281.0 * 1280.0 / (2 * 100 * 16384.0)));
}

TEST_CASE("a skinny GEMM is memory bound", "[compute]") {
  // m = 1,048,576, n = 128, k = 64: 8192 tiles -> 82 waves, quantization 8192 * 16384 / (82 * 100 * 16384).
  // compute = 2 * 2^20 * 128 * 64 / (50e12 * 8192/8200) = 17,179,869,184 / 4.99512e13 = 343.93 us.
  // memory  = (2^20 * 64 * 2 + 64 * 128 * 2 + 2^20 * 128 * 2) / 800e9 = 402,669,568 / 8e11 = 503.33696 us.
  const KernelTime time = gemm_time(synthetic_gpu(), {1 << 20, 128, 64}, Dtype::kBf16);
  CHECK(time.memory_bound());
  CHECK(time.compute.seconds() == Approx(343.93e-6).epsilon(1e-4));
  CHECK(time.memory == SimTime::from_ps(503'336'960));
  CHECK(time.total == time.memory + SimTime::from_us(2));
}

TEST_CASE("memory-bound and attention kernels follow the roofline", "[compute]") {
  const GpuProfile gpu = synthetic_gpu();
  // 1 GB at 800 GB/s = 1.25 ms, + 2 us.
  CHECK(memory_bound_time(gpu, strata::sim::Bytes::from_count(1'000'000'000)).total ==
        SimTime::from_us(1252));
  // Zero bytes is an ordering marker, not a kernel: no launch overhead.
  CHECK(memory_bound_time(gpu, strata::sim::Bytes::from_count(0)).total == SimTime::zero());
  // 1e12 FLOP at 0.25 * 100 TFLOP/s = 40 ms; 1 MB moved is negligible.
  const KernelTime attention = fused_attention_time(gpu, strata::sim::Flops::from_count(1e12),
                                                    strata::sim::Bytes::from_count(1'000'000));
  CHECK(attention.total == SimTime::from_ms(40) + SimTime::from_us(2));
}

TEST_CASE("the Triton FlashAttention kernel runs at its own rate, refused where the profile has none",
          "[compute]") {
  GpuProfile gpu = synthetic_gpu();
  const auto flops = strata::sim::Flops::from_count(1e12);
  const auto bytes = strata::sim::Bytes::from_count(1'000'000);
  CHECK_THROWS_WITH(fused_attention_time(gpu, flops, bytes, FusedAttentionKernel::kTriton),
                    Catch::Contains("GPU profile synthetic has no efficiency.attention_triton"));
  gpu.attention_triton_efficiency = strata::models::Sourced<double>{0.125, "test"};
  // 1e12 FLOP at 0.125 * 100 TFLOP/s = 80 ms; FlashAttention-2 keeps its 40 ms.
  CHECK(fused_attention_time(gpu, flops, bytes, FusedAttentionKernel::kTriton).total ==
        SimTime::from_ms(80) + SimTime::from_us(2));
  CHECK(fused_attention_time(gpu, flops, bytes).total == SimTime::from_ms(40) + SimTime::from_us(2));
}

TEST_CASE("a memory-bound task standing for several kernels pays each one's overhead", "[compute]") {
  const GpuProfile gpu = synthetic_gpu();
  strata::models::ComputeSpec copies;
  copies.kind = strata::models::ComputeKind::kMemoryBound;
  copies.bytes = 8e6;
  copies.kernels = 8;
  // 8 kernels of 1 MB at 800 GB/s: 8 x (1.25 us + 2 us).
  CHECK(strata::models::compute_time(copies, gpu, strata::models::SystemProfile{}) ==
        SimTime::from_ns(26000));
  copies.kernels = 1;
  CHECK(strata::models::compute_time(copies, gpu, strata::models::SystemProfile{}) ==
        SimTime::from_ns(12000));
}

TEST_CASE("bad GEMM requests are refused", "[compute]") {
  const GpuProfile gpu = synthetic_gpu();
  CHECK_THROWS_AS(gemm_time(gpu, {0, 1, 1}, Dtype::kBf16), strata::sim::InputError);
  CHECK_THROWS_AS(gemm_time(gpu, {1, 1, 1}, Dtype::kFp8), strata::sim::InputError);  // no fp8 data
}

TEST_CASE("each wave of GEMM tiles pays the tile overhead", "[compute]") {
  GpuProfile gpu = synthetic_gpu();
  const GemmShape one_wave{1280, 1280, 4096};   // 10 x 10 tiles on 100 SMs
  const GemmShape two_waves{2560, 1280, 4096};  // 200 tiles
  const KernelTime before_one = gemm_time(gpu, one_wave, Dtype::kBf16);
  const KernelTime before_two = gemm_time(gpu, two_waves, Dtype::kBf16);
  gpu.gemm_tile_overhead = {SimTime::from_us(1), "test"};
  // compute = 2 m n k / (peak x efficiency x quantization) + waves x 1 us.
  CHECK(gemm_time(gpu, one_wave, Dtype::kBf16).compute == before_one.compute + SimTime::from_us(1));
  CHECK(gemm_time(gpu, two_waves, Dtype::kBf16).compute == before_two.compute + SimTime::from_us(2));
}

TEST_CASE("SMs held by a communication kernel slow the GEMM beside it", "[compute]") {
  // 1280 x 1280 is 100 tiles: one wave on 100 SMs. With 20 SMs reserved, 80 SMs at 80% of the rate run
  // 2 waves (quantization 100 / 160): compute = 2 * 1280 * 1280 * 1000 / (50e12 * 0.8 * 0.625) = 131.072 us.
  GemmShape shape{1280, 1280, 1000};
  shape.reserved_sms = 20;
  const KernelTime time = gemm_time(synthetic_gpu(), shape, Dtype::kBf16);
  CHECK(time.quantization == Approx(100.0 / 160.0));
  CHECK(time.compute == SimTime::from_ps(131'072'000));
  // Never the last SM: reserving all of them leaves one.
  shape.reserved_sms = 100;
  CHECK(gemm_time(synthetic_gpu(), shape, Dtype::kBf16).compute > time.compute);
  shape.reserved_sms = -1;
  CHECK_THROWS_AS(gemm_time(synthetic_gpu(), shape, Dtype::kBf16), strata::sim::InputError);
}
