#include "models/hardware/dtype.hpp"

namespace strata::models {

std::string_view dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::kFp32: return "fp32";
    case Dtype::kTf32: return "tf32";
    case Dtype::kBf16: return "bf16";
    case Dtype::kFp16: return "fp16";
    case Dtype::kFp8: return "fp8";
    case Dtype::kFp4: return "fp4";
  }
  return "?";
}

std::optional<Dtype> dtype_from_name(std::string_view name) {
  for (Dtype dtype : kAllDtypes) {
    if (dtype_name(dtype) == name) return dtype;
  }
  return std::nullopt;
}

double dtype_bytes(Dtype dtype) {
  switch (dtype) {
    case Dtype::kFp32:
    case Dtype::kTf32: return 4.0;
    case Dtype::kBf16:
    case Dtype::kFp16: return 2.0;
    case Dtype::kFp8: return 1.0;
    // NVFP4: 4-bit E2M1 values and one FP8 E4M3 scale per 16 of them (NVIDIA, "Introducing NVFP4 for
    // Efficient and Accurate Low-Precision Inference", 2025): 4.5 bits; the per-tensor FP32 scale is
    // negligible.
    case Dtype::kFp4: return 0.5625;
  }
  return 0.0;
}

}  // namespace strata::models
