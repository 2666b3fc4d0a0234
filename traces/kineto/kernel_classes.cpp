#include "traces/kineto/kernel_classes.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string>

namespace strata::traces {
namespace {

struct ClassPatterns {
  KernelClass kernel_class;
  std::initializer_list<std::string_view> patterns;
};

// Names as CUDA libraries and PyTorch spell their kernels (lower-cased): NCCL's
// ncclKernel_AllReduce_RING_LL_*, flash_fwd_kernel / fmha_cutlassF / cudnn_generated_fort_native_sdpa,
// cuBLAS's ampere_sgemm_* and sm90_xmma_gemm_*, CUTLASS's cutlass::Kernel<cutlass_80_tensorop_*>, cuDNN's
// implicit_convolve_sgemm, PyTorch's at::native::vectorized_elementwise_kernel, reduce_kernel, *_norm_*,
// softmax, multi_tensor_apply. FBGEMM-GPU's kernels (fbgemm_gpu::*: batched embedding lookups, permutes,
// jagged-tensor ops of recommendation models; pytorch/FBGEMM, fbgemm_gpu/) move memory and compute no matrix
// product: they are matched first, before "gemm" in their library's name could.
const std::array<ClassPatterns, 5> kPatterns{{
    {KernelClass::kMemoryBound, {"fbgemm_gpu::"}},
    {KernelClass::kCommunication, {"nccl"}},
    {KernelClass::kAttention, {"flash", "fmha", "sdpa", "attention"}},
    {KernelClass::kGemm, {"gemm", "cutlass", "cublas", "xmma", "convolve", "wgrad", "dgrad"}},
    {KernelClass::kMemoryBound,
     {"elementwise", "reduce", "norm",      "softmax", "dropout", "multi_tensor_apply",
      "copy",        "fill",   "cat",       "index",   "scatter", "gather",
      "embedding",   "adam",   "sgd",       "bn_",     "pooling", "cross_entropy",
      "nll_loss",    "cast",   "transpose", "gelu",    "silu",    "relu",
      "rope",        "rotary"}},
}};

}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return lower;
}

KernelClass kernel_class(std::string_view kernel_name) {
  const std::string lower = ascii_lower(kernel_name);
  for (const ClassPatterns& entry : kPatterns)
    for (std::string_view pattern : entry.patterns)
      if (lower.find(pattern) != std::string::npos) return entry.kernel_class;
  return KernelClass::kOther;
}

bool is_copy_name(std::string_view name) {
  return name.rfind("Memcpy", 0) == 0 || name.rfind("Memset", 0) == 0;
}

bool is_host_device_copy(std::string_view name) {
  return name.find("HtoD") != std::string_view::npos || name.find("DtoH") != std::string_view::npos;
}

KernelClass kernel_class(const KinetoGpuOp& op) {
  return op.kind == GpuOpKind::kKernel ? kernel_class(op.name) : KernelClass::kCopy;
}

}  // namespace strata::traces
