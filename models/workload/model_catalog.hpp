// Model presets: HuggingFace-format config.json files in one directory (models/presets/ when shipped), each
// with a "strata_preset": {"name", "source"} entry saying where the shape comes from. resolve_model() takes a
// preset name or a path to any config.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "models/workload/transformer_config.hpp"

namespace strata::models {

struct ModelPreset {
  TransformerConfig config;
  std::string source;
};

class ModelCatalog {
 public:
  explicit ModelCatalog(std::filesystem::path directory);  // throws sim::InputError when not a directory
  std::vector<std::string> names() const;                  // sorted
  ModelPreset preset(const std::string& name) const;       // unknown names: InputError listing the presets
 private:
  std::filesystem::path directory_;
};

// Whether a model reference names a file (it ends in .json or contains a '/') rather than a preset.
bool names_a_file(const std::string& name_or_path);
// A preset name, or a path to a config.json (names_a_file).
ModelPreset resolve_model(const ModelCatalog& catalog, const std::string& name_or_path);

}  // namespace strata::models
