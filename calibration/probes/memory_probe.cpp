// Device-memory bandwidth (copy, read, write, triad over float4 arrays; GB/s counts bytes read plus written)
// and the cost of an empty kernel launched back to back (the fixed per-kernel overhead of the models).
#include "memory_kernels.hpp"
#include "probe.hpp"

namespace strata::probes {

void memory_probe(const nlohmann::json& sizes, int warmup, int repeats, nlohmann::json& out) {
  cudaStream_t stream = nullptr;
  check_cuda(cudaStreamCreate(&stream), "cudaStreamCreate");
  nlohmann::json rows = nlohmann::json::array();
  float* sink = nullptr;
  check_cuda(cudaMalloc(&sink, sizeof(float)), "sink");
  for (const auto& size_json : sizes) {
    const auto bytes = size_json.get<std::size_t>();
    const std::size_t n4 = bytes / sizeof(float4);
    float4 *a = nullptr, *b = nullptr, *c = nullptr;
    if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess ||
        cudaMalloc(&c, bytes) != cudaSuccess) {
      cudaFree(a), cudaFree(b), cudaFree(c);
      cudaGetLastError();
      rows.push_back({{"bytes", bytes}, {"status", "skipped"}, {"reason", "out of device memory"}});
      continue;
    }
    cudaMemset(b, 0, bytes);
    cudaMemset(c, 0, bytes);
    struct Kernel {
      const char* name;
      double traffic;  // bytes moved per array byte
      std::function<void()> enqueue;
    };
    const Kernel kernels[] = {
        {"copy", 2.0, [&] { launch_copy(a, b, n4, stream); }},
        {"read", 1.0, [&] { launch_read(b, n4, sink, stream); }},
        {"write", 1.0, [&] { launch_write(a, n4, stream); }},
        {"triad", 3.0, [&] { launch_triad(a, b, c, 3.f, n4, stream); }},
    };
    for (const Kernel& kernel : kernels) {
      const Stats stats = time_on_stream(stream, warmup, repeats, kernel.enqueue);
      check_cuda(cudaGetLastError(), kernel.name);
      rows.push_back(
          {{"kernel", kernel.name},
           {"bytes", bytes},
           {"median_us", stats.median_us},
           {"min_us", stats.min_us},
           {"max_us", stats.max_us},
           {"GBps", kernel.traffic * static_cast<double>(bytes) / (stats.median_us * 1e-6) / 1e9}});
    }
    cudaFree(a), cudaFree(b), cudaFree(c);
  }
  cudaFree(sink);
  // Launch overhead: 1000 empty kernels back to back per timed run; per-launch cost = run time / 1000.
  constexpr int kLaunches = 1000;
  const Stats launches = time_on_stream(stream, warmup, repeats, [&] {
    for (int i = 0; i < kLaunches; ++i) launch_empty(stream);
  });
  out["memory"] = rows;
  out["launch_overhead_us"] = {{"median", launches.median_us / kLaunches},
                               {"min", launches.min_us / kLaunches},
                               {"max", launches.max_us / kLaunches},
                               {"launches_per_run", kLaunches}};
  cudaStreamDestroy(stream);
}

}  // namespace strata::probes
