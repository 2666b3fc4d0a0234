#include "sim/output_bundle.hpp"

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sim/atomic_file.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"
#include "sim/json_text.hpp"

namespace strata::sim {
namespace {

constexpr int kManifestVersion = 1;

// A name this class may create or remove: one path component, no directory part.
bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// The names an earlier manifest lists; a manifest that is not ours (unreadable, another format) lists
// nothing, so nothing is removed on its word.
std::set<std::string> listed_names(const std::filesystem::path& manifest) {
  std::set<std::string> names;
  std::error_code error;
  if (!std::filesystem::is_regular_file(manifest, error)) return names;
  try {
    const nlohmann::json document = read_json_file(manifest);
    if (!document.is_object() || document.value("strata_bundle", 0) != kManifestVersion) return names;
    for (const auto& file : document.value("files", nlohmann::json::array())) {
      if (file.is_object() && file.contains("name") && file["name"].is_string()) {
        const std::string name = file["name"].get<std::string>();
        if (plain_file_name(name) && name != OutputBundle::kManifestName) names.insert(name);
      }
    }
  } catch (const std::exception&) {
    names.clear();
  }
  return names;
}

}  // namespace

void OutputBundle::check_writable(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::path existing = dir.empty() ? std::filesystem::path(".") : dir;
  while (!std::filesystem::exists(existing, error) && existing.has_parent_path() &&
         existing.parent_path() != existing)
    existing = existing.parent_path();
  if (!std::filesystem::exists(existing, error)) existing = ".";
  if (!std::filesystem::is_directory(existing, error)) {
    throw InputError(dir.string(), "",
                     "cannot write the output directory: " + existing.string() + " is not a directory");
  }
  if (::access(existing.c_str(), W_OK | X_OK) != 0)
    throw InputError(dir.string(), "",
                     "cannot write the output directory: " + existing.string() + " is read-only");
}

OutputBundle::OutputBundle(std::filesystem::path dir, std::string command, std::vector<std::string> planned)
    : dir_(std::move(dir)), command_(std::move(command)), planned_(std::move(planned)) {
  for (const std::string& name : planned_) {
    if (!plain_file_name(name) || name == kManifestName)
      throw SimulationError("output bundle: \"" + name + "\" is not a plain file name it may write");
  }
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) throw InputError(dir_.string(), "", "cannot create the output directory: " + error.message());
  previous_ = listed_names(dir_ / kManifestName);
  write_manifest(false);
}

void OutputBundle::write(const std::string& name, std::string_view content) {
  if (std::find(planned_.begin(), planned_.end(), name) == planned_.end())
    throw SimulationError("output bundle: \"" + name + "\" was not planned");
  write_file_atomically(dir_ / name, content);
  written_.emplace_back(name, content.size());
}

std::vector<std::filesystem::path> OutputBundle::finish() {
  std::error_code ignored;
  for (const std::string& name : previous_) {
    const bool rewritten =
        std::any_of(written_.begin(), written_.end(), [&](const auto& file) { return file.first == name; });
    if (!rewritten) std::filesystem::remove(dir_ / name, ignored);
  }
  std::set<std::string> owned = previous_;
  owned.insert(planned_.begin(), planned_.end());
  owned.insert(kManifestName);
  for (const std::string& name : owned) std::filesystem::remove(dir_ / (name + ".tmp"), ignored);
  write_manifest(true);
  std::vector<std::filesystem::path> paths;
  for (const auto& [name, size] : written_) paths.push_back(dir_ / name);
  return paths;
}

void OutputBundle::write_manifest(bool complete) const {
  nlohmann::json files = nlohmann::json::array();
  if (complete) {
    for (const auto& [name, size] : written_) files.push_back({{"name", name}, {"bytes", size}});
  } else {
    // Until complete, it lists what this command may leave behind, for the next one to clean.
    std::set<std::string> names = previous_;
    names.insert(planned_.begin(), planned_.end());
    for (const std::string& name : names) files.push_back({{"name", name}});
  }
  const nlohmann::json manifest = {
      {"strata_bundle", kManifestVersion}, {"command", command_}, {"complete", complete}, {"files", files}};
  write_file_atomically(dir_ / kManifestName, json_text(manifest, 1) + "\n");
}

}  // namespace strata::sim
