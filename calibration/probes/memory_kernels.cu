#include "memory_kernels.hpp"

namespace strata::probes {
namespace {

constexpr int kThreads = 256;

int blocks_for(std::size_t n4) {
  int device = 0;
  cudaGetDevice(&device);
  int sms = 1;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  const std::size_t wanted = (n4 + kThreads - 1) / kThreads;
  const std::size_t cap = static_cast<std::size_t>(sms) * 8;  // enough resident blocks to saturate HBM
  return static_cast<int>(wanted < cap ? wanted : cap);
}

__global__ void copy_kernel(float4* dst, const float4* src, std::size_t n4) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += gridDim.x * blockDim.x) dst[i] = src[i];
}

__global__ void read_kernel(const float4* src, std::size_t n4, float* sink) {
  float acc = 0.f;
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += gridDim.x * blockDim.x) {
    const float4 v = src[i];
    acc += v.x + v.y + v.z + v.w;
  }
  if (acc == 123.456f) *sink = acc;  // keeps the loads; practically never stores
}

__global__ void write_kernel(float4* dst, std::size_t n4) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += gridDim.x * blockDim.x) {
    dst[i] = make_float4(1.f, 2.f, 3.f, 4.f);
  }
}

__global__ void triad_kernel(float4* a, const float4* b, const float4* c, float s, std::size_t n4) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += gridDim.x * blockDim.x) {
    const float4 x = b[i];
    const float4 y = c[i];
    a[i] = make_float4(x.x + s * y.x, x.y + s * y.y, x.z + s * y.z, x.w + s * y.w);
  }
}

__global__ void empty_kernel() {}

}  // namespace

void launch_copy(float4* dst, const float4* src, std::size_t n4, cudaStream_t stream) {
  copy_kernel<<<blocks_for(n4), kThreads, 0, stream>>>(dst, src, n4);
}
void launch_read(const float4* src, std::size_t n4, float* sink, cudaStream_t stream) {
  read_kernel<<<blocks_for(n4), kThreads, 0, stream>>>(src, n4, sink);
}
void launch_write(float4* dst, std::size_t n4, cudaStream_t stream) {
  write_kernel<<<blocks_for(n4), kThreads, 0, stream>>>(dst, n4);
}
void launch_triad(float4* a, const float4* b, const float4* c, float s, std::size_t n4, cudaStream_t stream) {
  triad_kernel<<<blocks_for(n4), kThreads, 0, stream>>>(a, b, c, s, n4);
}
void launch_empty(cudaStream_t stream) { empty_kernel<<<1, 1, 0, stream>>>(); }

}  // namespace strata::probes
