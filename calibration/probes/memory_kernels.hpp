// Bandwidth kernels (STREAM-like) and an empty kernel, compiled by nvcc (memory_kernels.cu). Arrays are
// float4 for 16-byte accesses; n4 counts float4 elements. Grid-stride loops, one launch per call.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace strata::probes {

void launch_copy(float4* dst, const float4* src, std::size_t n4, cudaStream_t stream);  // 2 x bytes
void launch_read(const float4* src, std::size_t n4, float* sink, cudaStream_t stream);  // 1 x bytes
void launch_write(float4* dst, std::size_t n4, cudaStream_t stream);                    // 1 x bytes
void launch_triad(float4* a, const float4* b, const float4* c, float s, std::size_t n4,
                  cudaStream_t stream);  // 3 x
void launch_empty(cudaStream_t stream);

}  // namespace strata::probes
