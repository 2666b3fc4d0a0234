// Strict reading of JSON input files (scenarios, profiles, graphs, HF configs), shared by every layer.
//
// read_json_file() bounds what it reads (size and nesting depth) and reports syntax errors with line and
// column. JsonObjectReader walks one JSON object: every accessor names the key it wants, converts the value
// (units are parsed here, at the edge) and, on any problem, throws an InputError naming the file and the JSON
// path (RFC 6901 style: "/strategies/1/tp"). finish() rejects keys nobody asked for, so a typo in a key is an
// error, never a silently ignored setting.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/name_table.hpp"
#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::sim {

struct JsonLimits {
  std::uintmax_t max_file_bytes = std::uintmax_t{64} << 20;  // 64 MiB
  int max_depth = 64;
};

// Parses a whole file. Throws InputError (file, line and column) for a missing file, a file over the size
// limit, nesting deeper than the limit, or a syntax error.
nlohmann::json read_json_file(const std::filesystem::path& path, const JsonLimits& limits = {});
// Parses text that came from `source` (for messages), with the same limits and errors.
nlohmann::json parse_json_text(std::string_view text, const std::string& source,
                               const JsonLimits& limits = {});

// Where a value sits: the file it came from and its JSON path.
struct JsonLocation {
  std::string source;
  std::string path;  // "" for the document root
  JsonLocation child(std::string_view key) const;
  JsonLocation child(std::size_t index) const;
  [[noreturn]] void fail(const std::string& detail) const;
};

// Typed conversions of a single value; each throws InputError at `where` when the value does not fit.
std::string json_string(const nlohmann::json& value, const JsonLocation& where);
double json_number(const nlohmann::json& value, const JsonLocation& where);
std::int64_t json_integer(const nlohmann::json& value, const JsonLocation& where, std::int64_t min,
                          std::int64_t max);
bool json_bool(const nlohmann::json& value, const JsonLocation& where);
Bytes json_bytes(const nlohmann::json& value, const JsonLocation& where);          // "80GiB" or an integer
Bandwidth json_bandwidth(const nlohmann::json& value, const JsonLocation& where);  // "900GB/s"
FlopRate json_flop_rate(const nlohmann::json& value, const JsonLocation& where);   // "989TFLOP/s"
SimTime json_duration(const nlohmann::json& value, const JsonLocation& where);     // "2us"
const nlohmann::json::array_t& json_array(const nlohmann::json& value, const JsonLocation& where);
// A word of `names`, as its enumerator; InputError at `where` listing the table's words otherwise.
template <class Enum, std::size_t N>
Enum json_word(const nlohmann::json& value, const JsonLocation& where, const NameTable<Enum, N>& names) {
  const std::string word = json_string(value, where);
  if (const std::optional<Enum> found = names.value(word)) return *found;
  where.fail("expected " + names.choices() + ", found \"" + word + "\"");
}

class JsonObjectReader {
 public:
  // Throws InputError when `value` is not a JSON object.
  JsonObjectReader(const nlohmann::json& value, JsonLocation where);

  const JsonLocation& location() const { return where_; }
  JsonLocation location_of(std::string_view key) const { return where_.child(key); }
  bool has(std::string_view key) const;

  // The raw value of a key (marks it as read). required() throws when the key is absent.
  const nlohmann::json& required(std::string_view key);
  const nlohmann::json* optional(std::string_view key);

  std::string required_string(std::string_view key) { return json_string(required(key), location_of(key)); }
  std::optional<std::string> optional_string(std::string_view key);
  double required_number(std::string_view key) { return json_number(required(key), location_of(key)); }
  std::int64_t required_integer(std::string_view key, std::int64_t min, std::int64_t max) {
    return json_integer(required(key), location_of(key), min, max);
  }
  JsonObjectReader required_object(std::string_view key) {
    return JsonObjectReader(required(key), location_of(key));
  }

  // Every key of the object, sorted (for maps such as "peak_flops": {"bf16": ...}). Marks all read.
  std::vector<std::string> keys();

  // Throws InputError naming the first key that was never read, listing the keys that are allowed.
  void finish() const;

 private:
  const nlohmann::json& object_;
  JsonLocation where_;
  std::set<std::string, std::less<>> read_;
  std::vector<std::string> asked_;  // every key asked for, for the "allowed keys" hint
};

}  // namespace strata::sim
