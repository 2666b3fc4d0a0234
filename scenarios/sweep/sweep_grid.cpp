#include "scenarios/sweep/sweep_grid.hpp"

#include <set>

#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {
namespace {

std::vector<std::string> split_path(const std::string& dotted) {
  std::vector<std::string> keys;
  std::string key;
  for (char c : dotted) {
    if (c == '.') {
      keys.push_back(key);
      key.clear();
    } else {
      key += c;
    }
  }
  keys.push_back(key);
  return keys;
}

bool is_index(const std::string& key) {
  return !key.empty() && key.size() <= 9 && key.find_first_not_of("0123456789") == std::string::npos;
}

// The value at `keys` in `document`, created when only the last key is missing from an object; nullptr
// with `why` set when the path does not fit the document.
nlohmann::json* slot(nlohmann::json& document, const std::vector<std::string>& keys, std::string& why) {
  nlohmann::json* at = &document;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    const bool last = i + 1 == keys.size();
    if (key.empty()) {
      why = "has an empty key";
      return nullptr;
    }
    if (at->is_array() && is_index(key)) {
      const std::size_t index = std::stoul(key);
      if (index >= at->size()) {
        why = "indexes " + key + " past the " + std::to_string(at->size()) + " entries there in the base";
        return nullptr;
      }
      at = &(*at)[index];
    } else if (at->is_object()) {
      if (!last && !at->contains(key)) {
        why = "names \"" + key + "\", which the base does not have";
        return nullptr;
      }
      at = &(*at)[key];
    } else {
      why = "goes through \"" + key + "\" inside a value that is not an object or array in the base";
      return nullptr;
    }
  }
  return at;
}

}  // namespace

std::int64_t SweepGrid::points() const {
  std::int64_t count = 1;
  for (const SweepAxis& axis : axes) count *= static_cast<std::int64_t>(axis.values.size());
  return count;
}

SweepGrid read_sweep_grid(const std::filesystem::path& path) {
  const nlohmann::json document = sim::read_json_file(path);
  sim::JsonObjectReader root(document, sim::JsonLocation{path.string(), ""});
  SweepGrid grid;
  grid.file = path;
  const std::string base = root.required_string("base");
  grid.base_file = path.parent_path() / base;
  std::error_code error;
  if (!std::filesystem::is_regular_file(grid.base_file, error))
    root.location_of("base").fail("no base scenario " + grid.base_file.string() +
                                  " (relative to the grid file)");
  grid.base = sim::read_json_file(grid.base_file);
  if (!grid.base.is_object())
    throw sim::InputError(grid.base_file.string(), "", "a scenario is a JSON object");
  sim::JsonObjectReader axes = root.required_object("axes");
  std::int64_t points = 1;
  for (const std::string& name : axes.keys()) {
    const sim::JsonLocation at = axes.location_of(name);
    const auto& values = sim::json_array(axes.required(name), at);
    if (values.empty()) at.fail("an axis needs at least one value");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!seen.insert(values[i].dump()).second) at.child(i).fail("repeats " + values[i].dump());
    }
    std::string why;
    nlohmann::json probe = grid.base;
    if (slot(probe, split_path(name), why) == nullptr) at.fail("the path " + why);
    for (const SweepAxis& earlier : grid.axes) {
      if (earlier.path == name) at.fail("the same path twice");
    }
    points *= static_cast<std::int64_t>(values.size());
    if (points > kMaxSweepPoints) {
      at.fail("the axes make more than " + std::to_string(kMaxSweepPoints) +
              " points; sweep fewer values or split the grid");
    }
    grid.axes.push_back({name, values});
  }
  if (grid.axes.empty()) axes.location().fail("a sweep needs at least one axis");
  root.finish();
  return grid;
}

nlohmann::json point_values(const SweepGrid& grid, std::int64_t index) {
  nlohmann::json values = nlohmann::json::object();
  std::vector<std::size_t> digits(grid.axes.size());
  for (std::size_t a = grid.axes.size(); a-- > 0;) {
    const auto radix = static_cast<std::int64_t>(grid.axes[a].values.size());
    digits[a] = static_cast<std::size_t>(index % radix);
    index /= radix;
  }
  for (std::size_t a = 0; a < grid.axes.size(); ++a)
    values[grid.axes[a].path] = grid.axes[a].values[digits[a]];
  return values;
}

nlohmann::json point_scenario(const SweepGrid& grid, std::int64_t index) {
  nlohmann::json scenario = grid.base;
  const nlohmann::json values = point_values(grid, index);
  for (const SweepAxis& axis : grid.axes) {
    std::string why;
    nlohmann::json* at = slot(scenario, split_path(axis.path), why);
    if (at == nullptr) throw sim::InputError(grid.file.string(), "/axes/" + axis.path, "the path " + why);
    *at = values[axis.path];
  }
  return scenario;
}

}  // namespace strata::scenarios
