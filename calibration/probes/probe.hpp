// The CUDA/NCCL probes run by `strata calibrate` (one binary, strata_probe). Each probe takes its part of the
// plan (calibration/probe_plan.hpp, as JSON) and returns its part of the measurements document, whose format
// is documented in calibration/measurements/README.md. Timing: warm-up runs, then timed runs bracketed by
// CUDA events on the stream that does the work; median, min and max in microseconds.
#pragma once

#include <cuda_runtime.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata::probes {

// A probe cannot go on (no device, an API error). The message says what failed.
class ProbeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void check_cuda(cudaError_t status, const char* what);

struct Stats {
  double median_us = 0;
  double min_us = 0;
  double max_us = 0;
};

Stats summarize(std::vector<double> samples_us);
// Runs `enqueue` warmup times, then `repeats` times, each timed with a pair of events on `stream`.
Stats time_on_stream(cudaStream_t stream, int warmup, int repeats, const std::function<void()>& enqueue);

nlohmann::json environment_json(int warmup, int repeats);
nlohmann::json gemm_probe(const nlohmann::json& cases, int warmup, int repeats);
// The plan's "attention" object -> {"status", "cudnn_version", "rows"}; "missing" with a "reason" when built
// without cuDNN or when cuDNN builds no plan.
nlohmann::json attention_probe(const nlohmann::json& plan, int warmup, int repeats);
// Fills "memory" rows and the "launch_overhead_us" object of `out`.
void memory_probe(const nlohmann::json& sizes, int warmup, int repeats, nlohmann::json& out);
// Fills "host_link" and "peer" of `out`.
void host_probe(const nlohmann::json& sizes, int warmup, int repeats, nlohmann::json& out);
nlohmann::json nccl_probe(const nlohmann::json& plan, int warmup, int repeats);

}  // namespace strata::probes
