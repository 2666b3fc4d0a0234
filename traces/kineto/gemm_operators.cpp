#include "traces/kineto/gemm_operators.hpp"

#include <array>
#include <string>

#include "traces/kineto/kernel_classes.hpp"

namespace strata::traces {
namespace {

struct GemmOperator {
  std::string_view name;
  std::size_t first_matrix;  // index of [m, k] (or [b, m, k]) among the inputs
  bool batched;
};

constexpr std::array<GemmOperator, 4> kGemmOperators{{
    {"aten::mm", 0, false},
    {"aten::addmm", 1, false},
    {"aten::bmm", 0, true},
    {"aten::baddbmm", 1, true},
}};

const GemmOperator* find(std::string_view op) {
  for (const GemmOperator& entry : kGemmOperators)
    if (entry.name == op) return &entry;
  return nullptr;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts)
    if (text.find(part) != std::string_view::npos) return true;
  return false;
}

}  // namespace

bool is_gemm_operator(std::string_view op) { return find(op) != nullptr; }

std::size_t gemm_first_matrix(std::string_view op) {
  const GemmOperator* entry = find(op);
  return entry == nullptr ? 0 : entry->first_matrix;
}

std::optional<models::GemmShape> gemm_shape(std::string_view op,
                                            const std::vector<std::vector<std::int64_t>>& dims) {
  const GemmOperator* entry = find(op);
  if (entry == nullptr || dims.size() < entry->first_matrix + 2) return std::nullopt;
  const std::vector<std::int64_t>& a = dims[entry->first_matrix];
  const std::vector<std::int64_t>& b = dims[entry->first_matrix + 1];
  const std::size_t rank = entry->batched ? 3 : 2;
  if (a.size() != rank || b.size() != rank) return std::nullopt;
  const std::size_t inner = rank - 2;  // where m (in a) and k (in b) sit
  models::GemmShape shape;
  shape.batch = entry->batched ? a[0] : 1;
  shape.m = a[inner];
  shape.k = a[inner + 1];
  shape.n = b[inner + 1];
  if (b[inner] != shape.k || (entry->batched && b[0] != shape.batch)) return std::nullopt;
  if (shape.m <= 0 || shape.n <= 0 || shape.k <= 0 || shape.batch <= 0) return std::nullopt;
  return shape;
}

std::optional<models::Dtype> gemm_dtype(std::string_view input_type, std::string_view kernel_name) {
  if (input_type == "c10::BFloat16") return models::Dtype::kBf16;
  if (input_type == "c10::Half") return models::Dtype::kFp16;
  if (input_type == "float") {
    return contains_any(ascii_lower(kernel_name), {"tensorop", "s1688", "xmma", "tf32"})
               ? models::Dtype::kTf32
               : models::Dtype::kFp32;
  }
  return std::nullopt;
}

}  // namespace strata::traces
