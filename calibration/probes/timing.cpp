#include <algorithm>

#include "probe.hpp"

namespace strata::probes {

void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw ProbeError(std::string(what) + ": " + cudaGetErrorString(status));
}

Stats summarize(std::vector<double> samples_us) {
  Stats stats;
  if (samples_us.empty()) return stats;
  std::sort(samples_us.begin(), samples_us.end());
  const std::size_t n = samples_us.size();
  stats.median_us = n % 2 == 1 ? samples_us[n / 2] : 0.5 * (samples_us[n / 2 - 1] + samples_us[n / 2]);
  stats.min_us = samples_us.front();
  stats.max_us = samples_us.back();
  return stats;
}

Stats time_on_stream(cudaStream_t stream, int warmup, int repeats, const std::function<void()>& enqueue) {
  for (int i = 0; i < warmup; ++i) enqueue();
  check_cuda(cudaStreamSynchronize(stream), "warm-up");
  std::vector<cudaEvent_t> events(2 * static_cast<std::size_t>(repeats));
  for (auto& event : events) check_cuda(cudaEventCreate(&event), "cudaEventCreate");
  for (int i = 0; i < repeats; ++i) {
    check_cuda(cudaEventRecord(events[2 * i], stream), "cudaEventRecord");
    enqueue();
    check_cuda(cudaEventRecord(events[2 * i + 1], stream), "cudaEventRecord");
  }
  check_cuda(cudaStreamSynchronize(stream), "timed runs");
  std::vector<double> samples;
  for (int i = 0; i < repeats; ++i) {
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, events[2 * i], events[2 * i + 1]), "cudaEventElapsedTime");
    samples.push_back(static_cast<double>(ms) * 1000.0);
  }
  for (auto& event : events) cudaEventDestroy(event);
  return summarize(samples);
}

}  // namespace strata::probes
