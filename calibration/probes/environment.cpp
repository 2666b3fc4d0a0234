// The environment recorded with every measurement: GPU, clocks, driver and library versions, a hashed host
// name (FNV-1a, so a profile does not reveal it), the UTC date, repeats.
#include <cublasLt.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "probe.hpp"
#ifdef STRATA_PROBE_HAS_NCCL
#include <nccl.h>
#endif
#ifdef STRATA_PROBE_HAS_CUDNN
#include <cudnn.h>
#endif

namespace strata::probes {
namespace {

std::string version_text(int version, int major_div, int minor_div) {
  return std::to_string(version / major_div) + "." + std::to_string((version % major_div) / minor_div);
}

std::string hashed_host() {
  char name[256] = {0};
  gethostname(name, sizeof name - 1);
  std::uint64_t hash = 1469598103934665603ULL;
  for (const char* c = name; *c; ++c) {
    hash ^= static_cast<unsigned char>(*c);
    hash *= 1099511628211ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// The kernel driver's version from /proc/driver/nvidia/version ("... Kernel Module  560.35.03  ..."), which
// the CUDA runtime does not report (cudaDriverGetVersion gives the CUDA API level instead).
std::string kernel_driver_version() {
  std::FILE* file = std::fopen("/proc/driver/nvidia/version", "r");
  if (file == nullptr) return "unknown";
  char line[512] = {0};
  const bool read = std::fgets(line, sizeof line, file) != nullptr;
  std::fclose(file);
  if (!read) return "unknown";
  const std::string text = line;
  const std::size_t module = text.find("Kernel Module");
  if (module == std::string::npos) return "unknown";
  std::size_t start = module + 13;
  while (start < text.size() && text[start] == ' ') ++start;
  std::size_t end = start;
  while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
  return text.substr(start, end - start);
}

}  // namespace

nlohmann::json environment_json(int warmup, int repeats) {
  int devices = 0;
  check_cuda(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
  cudaDeviceProp prop{};
  check_cuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  int driver = 0, runtime = 0, sm_clock_khz = 0, memory_clock_khz = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  cudaDeviceGetAttribute(&sm_clock_khz, cudaDevAttrClockRate, 0);
  cudaDeviceGetAttribute(&memory_clock_khz, cudaDevAttrMemoryClockRate, 0);
  const std::size_t cublas = cublasLtGetVersion();
  std::string nccl = "not built";
#ifdef STRATA_PROBE_HAS_NCCL
  int nccl_version = 0;
  if (ncclGetVersion(&nccl_version) == ncclSuccess) {
    nccl = std::to_string(nccl_version / 10000) + "." + std::to_string((nccl_version % 10000) / 100) + "." +
           std::to_string(nccl_version % 100);
  }
#endif
  std::string cudnn = "not built";
#ifdef STRATA_PROBE_HAS_CUDNN
  const std::size_t cudnn_version = cudnnGetVersion();
  cudnn = std::to_string(cudnn_version / 10000) + "." + std::to_string((cudnn_version % 10000) / 100) + "." +
          std::to_string(cudnn_version % 100);
#endif
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  return {{"gpu_name", prop.name},
          {"gpu_count", devices},
          {"sm_count", prop.multiProcessorCount},
          {"compute_capability", std::to_string(prop.major) + "." + std::to_string(prop.minor)},
          {"memory_bytes", prop.totalGlobalMem},
          {"sm_clock_mhz", sm_clock_khz / 1000},
          {"memory_clock_mhz", memory_clock_khz / 1000},
          {"driver_version", kernel_driver_version()},
          {"cuda_driver_api_version", version_text(driver, 1000, 10)},
          {"cuda_runtime_version", version_text(runtime, 1000, 10)},
          {"cublas_version", std::to_string(cublas / 10000) + "." + std::to_string((cublas % 10000) / 100) +
                                 "." + std::to_string(cublas % 100)},
          {"nccl_version", nccl},
          {"cudnn_version", cudnn},
          {"host_hash", hashed_host()},
          {"date", date},
          {"warmup", warmup},
          {"repeats", repeats}};
}

}  // namespace strata::probes
