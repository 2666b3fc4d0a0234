// Time of one kernel on one GPU, from its profile.
//
// Roofline (Williams, Waterman and Patterson, "Roofline: an insightful visual performance model", CACM 2009):
// a kernel takes the longer of its compute time at the achieved FLOP rate and its memory time at the achieved
// memory bandwidth, plus a fixed per-kernel overhead (launch and pipeline fill).
//
// GEMMs add tile and wave quantization (NVIDIA Deep Learning Performance Guide, "Matrix Multiplication
// Background", sections "Tile Quantization" and "Wave Quantization"): the output is computed in tiles of
// gemm_tile (m x n) by thread blocks, one per SM at a time; partial tiles and a partial last wave do full
// work.
//   tiles        = ceil(m / tile_m) * ceil(n / tile_n) * batch
//   waves        = ceil(tiles / sm_count)
//   quantization = (m * n * batch) / (waves * sm_count * tile_m * tile_n)          (in (0, 1])
//   compute      = 2 m n k batch / (peak(dtype) * gemm_max_efficiency(dtype) * quantization)
//                  + waves * gemm_tile_overhead
// i.e. each wave takes 2 tile_m tile_n k / (per-SM rate) plus a fixed time per tile (pipeline fill, output
// write). Fitted to cuBLASLt's shape sweeps together with the launch overhead it is small (0-0.3 us on A100,
// H100, H200): the sweeps favour a per-kernel constant (calibration/profiles/README.md).
//   memory       = batch * ((m k + k n) * bytes(dtype) + m n * out_bytes) / achievable_memory_bandwidth
//   time         = max(compute, memory) + kernel_launch_overhead
// out_bytes is bytes(dtype) but at least 2: fp8 and fp4 GEMMs write bf16 results.
#pragma once

#include <cstdint>

#include "models/hardware/dtype.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "sim/name_table.hpp"
#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::models {

// Which fused attention kernel runs; each has its own rate in the GPU profile (efficiency.attention and
// efficiency.attention_triton).
//  - kFlashAttention2: FlashAttention-2 class kernels (Dao 2023; Transformer Engine's and cuDNN's fused
//    attention are priced alike).
//  - kTriton: the FlashAttention kernel written in Triton (Dao-AILab flash_attn_triton.py, ported into
//    llm-foundry as attn_impl "triton" for ALiBi's bias); Dao 2023 (FlashAttention-2, section 4.1) measures
//    FlashAttention-2 1.3-2.5x faster than it on A100.
enum class FusedAttentionKernel { kFlashAttention2, kTriton };
inline constexpr sim::NameTable<FusedAttentionKernel, 2> kFusedAttentionKernelNames{
    {{{FusedAttentionKernel::kFlashAttention2, "flash-attention-2"},
      {FusedAttentionKernel::kTriton, "triton"}}}};

struct GemmShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t batch = 1;
  // SMs a concurrent communication kernel holds while this GEMM runs (Transformer Engine's set_sm_margin):
  // the GEMM's tiles are spread over the rest (at least one SM), at their share of the peak rate.
  std::int64_t reserved_sms = 0;
  double flops() const;  // 2 m n k batch
};

// The pieces of a kernel's time, so that a report can say why it took that long.
struct KernelTime {
  sim::SimTime total;
  sim::SimTime compute;       // at the achieved FLOP rate, before the overhead
  sim::SimTime memory;        // at the achievable memory bandwidth, before the overhead
  sim::SimTime overhead;      // kernel launch and pipeline fill
  double quantization = 1.0;  // GEMM tile x wave efficiency; 1 for other kernels
  bool memory_bound() const { return memory > compute; }
};

// Throws sim::InputError for non-positive dimensions or a dtype the profile has no data for.
KernelTime gemm_time(const GpuProfile& gpu, const GemmShape& shape, Dtype dtype);
// A kernel limited by memory traffic (norms, element-wise ops, optimizer steps): bytes read plus written.
// Zero bytes is no kernel at all (a graph's ordering marker): zero time, no launch overhead.
KernelTime memory_bound_time(const GpuProfile& gpu, sim::Bytes moved);
// A fused (FlashAttention-style) attention kernel: `flops` at the kernel's efficiency of the bf16 peak,
// `moved` bytes of Q, K, V, O (and their gradients in backward) at the achievable memory bandwidth. Throws
// sim::InputError naming the profile when it has no efficiency for `kernel`.
KernelTime fused_attention_time(const GpuProfile& gpu, sim::Flops flops, sim::Bytes moved,
                                FusedAttentionKernel kernel = FusedAttentionKernel::kFlashAttention2);

}  // namespace strata::models
