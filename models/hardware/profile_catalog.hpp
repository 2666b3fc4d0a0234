// The profiles in one directory tree: <root>/gpus/<name>.json, <root>/systems/<name>.json, the NCCL
// cost-model constants the systems name (<root>/nccl/) and training frameworks (<root>/frameworks/). Shipped
// profiles live in calibration/profiles/; a profile written by `strata calibrate` is used the same way by
// pointing the catalog at its directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "models/framework/framework_profile.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"

namespace strata::models {

class ProfileCatalog {
 public:
  // Throws sim::InputError when `root` is not a directory.
  explicit ProfileCatalog(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  std::vector<std::string> gpu_names() const;        // sorted
  std::vector<std::string> system_names() const;     // sorted
  std::vector<std::string> framework_names() const;  // sorted

  // Loads one profile; an unknown name is an InputError listing the available ones.
  GpuProfile gpu(const std::string& name) const;
  SystemProfile system(const std::string& name) const;
  FrameworkProfile framework(const std::string& name) const;

 private:
  std::filesystem::path root_;
};

}  // namespace strata::models
