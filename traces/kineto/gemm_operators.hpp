// The PyTorch operators whose kernels are one matrix product, and the product's shape and precision read
// from the operator's recorded inputs (the profiler's record_shapes: args "Input Dims" and "Input type" of
// a cpu_op event). aten::mm, aten::addmm, aten::bmm and aten::baddbmm are the leaves that linear, matmul
// and the autograd backward functions call (PyTorch's native_functions.yaml); their signatures fix where the
// matrices sit among the inputs:
//   aten::mm(self [m, k], mat2 [k, n])
//   aten::addmm(self (bias), mat1 [m, k], mat2 [k, n], beta, alpha)
//   aten::bmm(self [b, m, k], mat2 [b, k, n])
//   aten::baddbmm(self, batch1 [b, m, k], batch2 [b, k, n], beta, alpha)
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "models/cost/compute_cost.hpp"
#include "models/hardware/dtype.hpp"

namespace strata::traces {

bool is_gemm_operator(std::string_view op);

// The product's m, n, k and batch; none when the inputs do not fit the operator's signature (a rank or an
// inner dimension that does not match, a zero extent).
std::optional<models::GemmShape> gemm_shape(std::string_view op,
                                            const std::vector<std::vector<std::int64_t>>& dims);

// Which input holds the first matrix (its type is the product's).
std::size_t gemm_first_matrix(std::string_view op);

// The precision the kernel computed in, from the matrix's PyTorch scalar type and the kernel's name:
// "c10::BFloat16" bf16, "c10::Half" fp16, "float" tf32 when the kernel is a tensor-core one (CUTLASS's and
// cuBLAS's "tensorop", "s1688", "xmma" and "tf32" names) and fp32 otherwise. None for other types.
std::optional<models::Dtype> gemm_dtype(std::string_view input_type, std::string_view kernel_name);

}  // namespace strata::traces
