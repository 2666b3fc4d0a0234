#include "sim/error.hpp"

#include <cstdio>
#include <cstdlib>

namespace strata::sim {
namespace {

std::string compose(const std::string& source, const std::string& json_path, const std::string& detail) {
  std::string text;
  if (!source.empty()) text += source + ": ";
  if (!json_path.empty()) text += json_path + ": ";
  return text + detail;
}

}  // namespace

InputError::InputError(std::string source, std::string json_path, std::string detail)
    : Error(compose(source, json_path, detail)),
      source_(std::move(source)),
      json_path_(std::move(json_path)),
      detail_(std::move(detail)) {}

InputError InputError::located(const std::string& source, const std::string& json_path) const {
  return InputError(source_.empty() ? source : source_, json_path_.empty() ? json_path : json_path_, detail_);
}

void assertion_failed(const char* condition, const char* file, int line, const char* message) {
  std::fprintf(stderr, "strata: internal invariant broken: %s (%s) at %s:%d\n", message, condition, file,
               line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace strata::sim
