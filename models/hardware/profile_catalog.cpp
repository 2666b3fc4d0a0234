#include "models/hardware/profile_catalog.hpp"

#include <algorithm>

#include "models/hardware/profile_reader.hpp"
#include "sim/error.hpp"
#include "sim/suggest.hpp"

namespace strata::models {
namespace {

std::vector<std::string> stems_in(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::filesystem::path find(const std::filesystem::path& directory, const std::string& name,
                           const char* kind) {
  const std::vector<std::string> names = stems_in(directory);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string known;
    for (const std::string& candidate : names) known += (known.empty() ? "" : ", ") + candidate;
    throw sim::InputError("unknown " + std::string(kind) + " profile \"" + name + "\"" +
                          sim::did_you_mean(name, names) + " (available in " + directory.string() + ": " +
                          (known.empty() ? "none" : known) + ")");
  }
  return directory / (name + ".json");
}

}  // namespace

ProfileCatalog::ProfileCatalog(std::filesystem::path root) : root_(std::move(root)) {
  std::error_code error;
  if (!std::filesystem::is_directory(root_, error))
    throw sim::InputError(root_.string(), "", "profile directory not found");
}

std::vector<std::string> ProfileCatalog::gpu_names() const { return stems_in(root_ / "gpus"); }
std::vector<std::string> ProfileCatalog::system_names() const { return stems_in(root_ / "systems"); }
std::vector<std::string> ProfileCatalog::framework_names() const { return stems_in(root_ / "frameworks"); }

GpuProfile ProfileCatalog::gpu(const std::string& name) const {
  return read_gpu_profile(find(root_ / "gpus", name, "GPU"));
}

SystemProfile ProfileCatalog::system(const std::string& name) const {
  SystemProfile system = read_system_profile(find(root_ / "systems", name, "system"));
  system.nccl_tuning = read_nccl_tuning(find(root_ / "nccl", system.collectives.nccl.value, "NCCL tuning"));
  return system;
}

FrameworkProfile ProfileCatalog::framework(const std::string& name) const {
  return read_framework_profile(find(root_ / "frameworks", name, "framework"));
}

}  // namespace strata::models
