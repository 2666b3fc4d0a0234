// What an imported GPU kernel is, from its name: the one table of name patterns (kernel_classes.cpp) that
// `strata trace info` groups by and that what-if re-costing reads. Patterns are lower-case substrings, tried
// entry by entry in the table's order; the first entry with a matching pattern wins.
//  - communication: NCCL kernels (ncclKernel_*, ncclDevKernel_*);
//  - attention: FlashAttention, fused multi-head attention (fmha), cuDNN SDPA;
//  - gemm: cuBLAS / cuBLASLt / CUTLASS / xmma kernels and cuDNN's implicit-GEMM convolutions;
//  - memory_bound: elementwise, reductions, normalisations, softmax, copies, optimizers (multi_tensor_apply),
//    FBGEMM-GPU's embedding and sparse kernels;
//  - copy: memcpy and memset activity (by its kind, not its name);
//  - other: everything else (kept at its measured time by any what-if).
#pragma once

#include <string>
#include <string_view>

#include "sim/name_table.hpp"
#include "traces/kineto/kineto_trace.hpp"

namespace strata::traces {

enum class KernelClass { kCommunication, kAttention, kGemm, kMemoryBound, kCopy, kOther };
inline constexpr sim::NameTable<KernelClass, 6> kKernelClassNames{{{
    {KernelClass::kCommunication, "communication"},
    {KernelClass::kAttention, "attention"},
    {KernelClass::kGemm, "gemm"},
    {KernelClass::kMemoryBound, "memory_bound"},
    {KernelClass::kCopy, "copy"},
    {KernelClass::kOther, "other"},
}}};

KernelClass kernel_class(std::string_view kernel_name);
// ASCII lower case: kernel names are C++ identifiers (std::tolower consults the locale, a tenth of an
// import).
std::string ascii_lower(std::string_view text);
KernelClass kernel_class(const KinetoGpuOp& op);

// Copies and memsets by the names the profiler gives them ("Memcpy HtoD (Pinned -> Device)", "Memset
// (Device)"), for imported graphs, which keep a task's name but not its kind.
bool is_copy_name(std::string_view name);
// A copy between host and device memory (HtoD, DtoH): it moves over PCIe or C2C, not through HBM.
bool is_host_device_copy(std::string_view name);

}  // namespace strata::traces
