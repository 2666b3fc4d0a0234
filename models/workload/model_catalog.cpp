#include "models/workload/model_catalog.hpp"

#include <algorithm>

#include "models/workload/hf_config.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"
#include "sim/suggest.hpp"

namespace strata::models {
namespace {

ModelPreset read_preset(const std::filesystem::path& path) {
  const nlohmann::json document = sim::read_json_file(path);
  const sim::JsonLocation root{path.string(), ""};
  ModelPreset preset;
  std::string name = path.stem().string();
  if (document.is_object() && document.contains("strata_preset")) {
    sim::JsonObjectReader meta(document["strata_preset"], root.child("strata_preset"));
    name = meta.required_string("name");
    preset.source = meta.required_string("source");
    meta.finish();
    if (name != path.stem().string())
      root.child("strata_preset").child("name").fail("must match the file name");
  } else {
    preset.source = "HuggingFace config " + path.string();
  }
  preset.config = read_hf_config(document, root, name);
  return preset;
}

}  // namespace

ModelCatalog::ModelCatalog(std::filesystem::path directory) : directory_(std::move(directory)) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory_, error))
    throw sim::InputError(directory_.string(), "", "model preset directory not found");
}

std::vector<std::string> ModelCatalog::names() const {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelPreset ModelCatalog::preset(const std::string& name) const {
  const auto known = names();
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    std::string list;
    for (const auto& candidate : known) list += (list.empty() ? "" : ", ") + candidate;
    throw sim::InputError("unknown model \"" + name + "\"" + sim::did_you_mean(name, known) +
                          " (presets: " + list + "; or give a path to a config.json)");
  }
  return read_preset(directory_ / (name + ".json"));
}

bool names_a_file(const std::string& name_or_path) {
  return name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json");
}

ModelPreset resolve_model(const ModelCatalog& catalog, const std::string& name_or_path) {
  if (!names_a_file(name_or_path)) return catalog.preset(name_or_path);
  return read_preset(name_or_path);
}

}  // namespace strata::models
