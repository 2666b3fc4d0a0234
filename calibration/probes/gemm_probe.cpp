// GEMM throughput with cuBLASLt: D = A^T B (the "TN" layout every dtype supports, fp8 included),
// column-major, A is k x m, B is k x n, D is m x n. Inputs in the case's dtype; fp32 accumulation; fp8 writes
// bf16. The algorithm is cuBLASLt's first heuristic choice with a 64 MiB workspace. TFLOP/s = 2 m n k /
// median.
#include <cublasLt.h>
#include <cuda_bf16.h>

#include "probe.hpp"

namespace strata::probes {
namespace {

struct Types {
  cudaDataType_t ab;
  cudaDataType_t cd;
  cublasComputeType_t compute;
  std::size_t ab_bytes;
  std::size_t cd_bytes;
};

bool types_for(const std::string& dtype, Types& types) {
  if (dtype == "bf16")
    types = {CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, 2, 2};
  else if (dtype == "fp16")
    types = {CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, 2, 2};
  else if (dtype == "tf32")
    types = {CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, 4, 4};
  else if (dtype == "fp8")
    types = {CUDA_R_8F_E4M3, CUDA_R_16BF, CUBLAS_COMPUTE_32F, 1, 2};
  else
    return false;
  return true;
}

void check_lt(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw ProbeError(std::string(what) + ": cuBLAS status " + std::to_string(status));
}

// One case; returns its row (with "status": "unsupported" and a reason when cuBLASLt has no algorithm).
nlohmann::json run_case(cublasLtHandle_t handle, cudaStream_t stream, const nlohmann::json& c, int warmup,
                        int repeats, void* workspace, std::size_t workspace_bytes, bool has_fp8) {
  const std::string dtype = c.at("dtype").get<std::string>();
  const auto m = c.at("m").get<std::int64_t>(), n = c.at("n").get<std::int64_t>(),
             k = c.at("k").get<std::int64_t>();
  nlohmann::json row = {{"dtype", dtype}, {"m", m}, {"n", n}, {"k", k}};
  const auto unsupported = [&](const char* reason) {
    row["status"] = "unsupported";
    row["reason"] = reason;
    return row;
  };
  Types types{};
  if (!types_for(dtype, types)) return unsupported("unknown dtype");
  if (dtype == "fp8" && !has_fp8) return unsupported("GPU has no fp8 tensor cores");

  void *a = nullptr, *b = nullptr, *d = nullptr;
  const std::size_t a_bytes = static_cast<std::size_t>(k * m) * types.ab_bytes;
  const std::size_t b_bytes = static_cast<std::size_t>(k * n) * types.ab_bytes;
  const std::size_t d_bytes = static_cast<std::size_t>(m * n) * types.cd_bytes;
  if (cudaMalloc(&a, a_bytes) != cudaSuccess || cudaMalloc(&b, b_bytes) != cudaSuccess ||
      cudaMalloc(&d, d_bytes) != cudaSuccess) {
    cudaFree(a), cudaFree(b), cudaFree(d);
    cudaGetLastError();
    return unsupported("out of device memory");
  }
  cudaMemset(a, 0, a_bytes);  // zeros: fp8 inputs need finite values; timing does not depend on the data here
  cudaMemset(b, 0, b_bytes);

  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, ld = nullptr;
  cublasLtMatmulPreference_t preference = nullptr;
  check_lt(cublasLtMatmulDescCreate(&op, types.compute, CUDA_R_32F), "cublasLtMatmulDescCreate");
  const cublasOperation_t transpose = CUBLAS_OP_T, none = CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose);
  cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &none, sizeof none);
  check_lt(cublasLtMatrixLayoutCreate(&la, types.ab, static_cast<std::uint64_t>(k),
                                      static_cast<std::uint64_t>(m), k),
           "layout A");
  check_lt(cublasLtMatrixLayoutCreate(&lb, types.ab, static_cast<std::uint64_t>(k),
                                      static_cast<std::uint64_t>(n), k),
           "layout B");
  check_lt(cublasLtMatrixLayoutCreate(&ld, types.cd, static_cast<std::uint64_t>(m),
                                      static_cast<std::uint64_t>(n), m),
           "layout D");
  check_lt(cublasLtMatmulPreferenceCreate(&preference), "preference");
  cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
                                       sizeof workspace_bytes);
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  const cublasStatus_t status =
      cublasLtMatmulAlgoGetHeuristic(handle, op, la, lb, ld, ld, preference, 1, &heuristic, &found);
  if (status == CUBLAS_STATUS_SUCCESS && found > 0) {
    const float alpha = 1.f, beta = 0.f;
    const Stats stats = time_on_stream(stream, warmup, repeats, [&] {
      check_lt(cublasLtMatmul(handle, op, &alpha, a, la, b, lb, &beta, d, ld, d, ld, &heuristic.algo,
                              workspace, workspace_bytes, stream),
               "cublasLtMatmul");
    });
    const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
    row.update({{"median_us", stats.median_us},
                {"min_us", stats.min_us},
                {"max_us", stats.max_us},
                {"tflops", flops / (stats.median_us * 1e-6) / 1e12}});
  } else {
    unsupported("cuBLASLt found no algorithm");
  }
  cublasLtMatmulPreferenceDestroy(preference);
  cublasLtMatrixLayoutDestroy(la), cublasLtMatrixLayoutDestroy(lb), cublasLtMatrixLayoutDestroy(ld);
  cublasLtMatmulDescDestroy(op);
  cudaFree(a), cudaFree(b), cudaFree(d);
  return row;
}

}  // namespace

nlohmann::json gemm_probe(const nlohmann::json& cases, int warmup, int repeats) {
  cudaDeviceProp prop{};
  check_cuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  const bool has_fp8 = prop.major > 8 || (prop.major == 8 && prop.minor >= 9);
  cublasLtHandle_t handle = nullptr;
  check_lt(cublasLtCreate(&handle), "cublasLtCreate");
  cudaStream_t stream = nullptr;
  check_cuda(cudaStreamCreate(&stream), "cudaStreamCreate");
  const std::size_t workspace_bytes = std::size_t{64} << 20;
  void* workspace = nullptr;
  check_cuda(cudaMalloc(&workspace, workspace_bytes), "workspace");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : cases)
    rows.push_back(run_case(handle, stream, c, warmup, repeats, workspace, workspace_bytes, has_fp8));
  cudaFree(workspace);
  cudaStreamDestroy(stream);
  cublasLtDestroy(handle);
  return rows;
}

}  // namespace strata::probes
