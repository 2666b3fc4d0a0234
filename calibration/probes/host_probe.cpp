// Host <-> device copies (pinned and pageable, both directions) and peer-to-peer copies between local GPUs.
#include <cstdlib>
#include <vector>

#include "probe.hpp"

namespace strata::probes {
namespace {

double gbps(std::size_t bytes, double microseconds) {
  return static_cast<double>(bytes) / (microseconds * 1e-6) / 1e9;
}

}  // namespace

void host_probe(const nlohmann::json& sizes, int warmup, int repeats, nlohmann::json& out) {
  check_cuda(cudaSetDevice(0), "cudaSetDevice");
  cudaStream_t stream = nullptr;
  check_cuda(cudaStreamCreate(&stream), "cudaStreamCreate");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& size_json : sizes) {
    const auto bytes = size_json.get<std::size_t>();
    void* device = nullptr;
    void* pinned = nullptr;
    void* pageable = std::malloc(bytes);
    if (cudaMalloc(&device, bytes) != cudaSuccess || cudaMallocHost(&pinned, bytes) != cudaSuccess ||
        pageable == nullptr) {
      cudaFree(device), cudaFreeHost(pinned), std::free(pageable);
      cudaGetLastError();
      rows.push_back({{"bytes", bytes}, {"status", "skipped"}, {"reason", "out of memory"}});
      continue;
    }
    struct Copy {
      const char* direction;
      const char* memory;
      void* dst;
      const void* src;
      cudaMemcpyKind kind;
    };
    const Copy copies[] = {{"h2d", "pinned", device, pinned, cudaMemcpyHostToDevice},
                           {"d2h", "pinned", pinned, device, cudaMemcpyDeviceToHost},
                           {"h2d", "pageable", device, pageable, cudaMemcpyHostToDevice},
                           {"d2h", "pageable", pageable, device, cudaMemcpyDeviceToHost}};
    for (const Copy& copy : copies) {
      const Stats stats = time_on_stream(stream, warmup, repeats, [&] {
        check_cuda(cudaMemcpyAsync(copy.dst, copy.src, bytes, copy.kind, stream), "cudaMemcpyAsync");
      });
      rows.push_back({{"direction", copy.direction},
                      {"memory", copy.memory},
                      {"bytes", bytes},
                      {"median_us", stats.median_us},
                      {"min_us", stats.min_us},
                      {"max_us", stats.max_us},
                      {"GBps", gbps(bytes, stats.median_us)}});
    }
    cudaFree(device), cudaFreeHost(pinned), std::free(pageable);
  }
  out["host_link"] = rows;

  int devices = 0;
  check_cuda(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
  nlohmann::json peer = {
      {"status", "skipped"}, {"reason", "one GPU: no peer to copy to"}, {"rows", nlohmann::json::array()}};
  if (devices >= 2 && !sizes.empty()) {
    peer = {{"status", "ok"}, {"rows", nlohmann::json::array()}};
    const auto bytes = sizes.back().get<std::size_t>();
    for (int to = 1; to < devices; ++to) {
      int can = 0;
      cudaDeviceCanAccessPeer(&can, 0, to);
      if (!can) {
        peer["rows"].push_back({{"from", 0}, {"to", to}, {"status", "no peer access"}});
        continue;
      }
      cudaDeviceEnablePeerAccess(to, 0);
      cudaGetLastError();  // already enabled is fine
      void *src = nullptr, *dst = nullptr;
      check_cuda(cudaMalloc(&src, bytes), "peer source");
      check_cuda(cudaSetDevice(to), "cudaSetDevice");
      check_cuda(cudaMalloc(&dst, bytes), "peer destination");
      check_cuda(cudaSetDevice(0), "cudaSetDevice");
      const Stats stats = time_on_stream(stream, warmup, repeats, [&] {
        check_cuda(cudaMemcpyPeerAsync(dst, to, src, 0, bytes, stream), "cudaMemcpyPeerAsync");
      });
      peer["rows"].push_back({{"from", 0},
                              {"to", to},
                              {"bytes", bytes},
                              {"median_us", stats.median_us},
                              {"GBps", gbps(bytes, stats.median_us)}});
      cudaFree(src);
      cudaSetDevice(to);
      cudaFree(dst);
      cudaSetDevice(0);
    }
  }
  out["peer"] = peer;
  cudaStreamDestroy(stream);
}

}  // namespace strata::probes
