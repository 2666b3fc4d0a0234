// Numeric formats of tensors and of the tensor-core math that consumes them.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace strata::models {

enum class Dtype { kFp32, kTf32, kBf16, kFp16, kFp8, kFp4 };

inline constexpr std::array<Dtype, 6> kAllDtypes{Dtype::kFp32, Dtype::kTf32, Dtype::kBf16,
                                                 Dtype::kFp16, Dtype::kFp8,  Dtype::kFp4};

// "fp32", "tf32", "bf16", "fp16", "fp8", "fp4".
std::string_view dtype_name(Dtype dtype);
std::optional<Dtype> dtype_from_name(std::string_view name);
// Storage size of one element (tf32 is stored as fp32; fp4 is NVFP4, half a byte plus its block scales).
double dtype_bytes(Dtype dtype);

}  // namespace strata::models
