// A sweep grid (`strata sweep GRID.json`): a base scenario and axes over its fields by dotted path,
//   {"base": "base.json", "axes": {"cluster.nodes": [8, 16, 32], "training.seq_len": [2048, 8192]}}
// (the base's path relative to the grid file). The points are the axes' cartesian product, numbered in a
// fixed order: axes sorted by path (JSON objects do not keep their order), the last varying fastest. A
// point's scenario is the base document with each axis value set at its path: object keys, or array indices
// ("strategies.0.tp"); the last key may be new, every parent must exist.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strata::scenarios {

struct SweepAxis {
  std::string path;  // dotted, as the grid names it
  std::vector<nlohmann::json> values;
};

struct SweepGrid {
  std::filesystem::path file;       // the grid file, for messages
  std::filesystem::path base_file;  // the base scenario (relative paths in it resolve from its directory)
  nlohmann::json base;
  std::vector<SweepAxis> axes;
  std::int64_t points() const;
};

// At most this many points: each is a whole scenario run (or search).
inline constexpr std::int64_t kMaxSweepPoints = 100'000;

// Throws InputError naming the grid file and JSON path: missing or unreadable base, an empty axis, a value
// listed twice, more than kMaxSweepPoints points, an axis path whose parent is not in the base.
SweepGrid read_sweep_grid(const std::filesystem::path& path);

// The axis values of point `index` as {"cluster.nodes": 16, ...} (the grid's axis order).
nlohmann::json point_values(const SweepGrid& grid, std::int64_t index);
// The base scenario with point `index`'s values set.
nlohmann::json point_scenario(const SweepGrid& grid, std::int64_t index);

}  // namespace strata::scenarios
