// strata_probe --plan PLAN.json --out MEASUREMENTS.json
// Runs the probes of a plan (written by `strata calibrate`) on this node's GPUs and writes the measurements
// (format: calibration/measurements/README.md). Exit codes: 0 done, 2 bad arguments or plan, 3 no usable GPU
// or a CUDA/cuBLAS/NCCL failure (message on stderr). The output file is written only when every probe ran.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "probe.hpp"

namespace {

int usage() {
  std::fprintf(stderr, "usage: strata_probe --plan PLAN.json --out MEASUREMENTS.json\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const char* plan_path = nullptr;
  const char* out_path = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--plan") == 0)
      plan_path = argv[i + 1];
    else if (std::strcmp(argv[i], "--out") == 0)
      out_path = argv[i + 1];
    else
      return usage();
  }
  if (plan_path == nullptr || out_path == nullptr) return usage();
  nlohmann::json plan;
  try {
    std::ifstream in(plan_path);
    plan = nlohmann::json::parse(in);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "strata_probe: %s: %s\n", plan_path, error.what());
    return 2;
  }
  using namespace strata::probes;
  try {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
      throw ProbeError("no CUDA device found (is this a GPU node, and is the NVIDIA driver loaded?)");
    }
    const int warmup = plan.at("warmup").get<int>();
    const int repeats = plan.at("repeats").get<int>();
    nlohmann::json out = {{"strata_measurements", 1}, {"environment", environment_json(warmup, repeats)}};
    std::fprintf(stderr, "strata_probe: %s x%d\n", out["environment"]["gpu_name"].get<std::string>().c_str(),
                 devices);
    std::fprintf(stderr, "strata_probe: GEMM (%zu cases)\n", plan.at("gemm").size());
    out["gemm"] = gemm_probe(plan.at("gemm"), warmup, repeats);
    std::fprintf(stderr, "strata_probe: fused attention (cuDNN)\n");
    out["attention"] = attention_probe(plan.at("attention"), warmup, repeats);
    std::fprintf(stderr, "strata_probe: memory and launch overhead\n");
    memory_probe(plan.at("memory_sizes"), warmup, repeats, out);
    std::fprintf(stderr, "strata_probe: host and peer copies\n");
    host_probe(plan.at("host_sizes"), warmup, repeats, out);
    std::fprintf(stderr, "strata_probe: NCCL\n");
    out["nccl"] = nccl_probe(plan.at("nccl"), warmup, repeats);
    std::ofstream file(out_path, std::ios::trunc);
    file << out.dump(1) << '\n';
    if (!file) throw ProbeError(std::string("cannot write ") + out_path);
  } catch (const ProbeError& error) {
    std::fprintf(stderr, "strata_probe: %s\n", error.what());
    return 3;
  } catch (const nlohmann::json::exception& error) {
    std::fprintf(stderr, "strata_probe: bad plan %s: %s\n", plan_path, error.what());
    return 2;
  }
  return 0;
}
