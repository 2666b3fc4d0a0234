#include "sim/json_input.hpp"

#include "sim/suggest.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "sim/error.hpp"
#include "sim/text_file.hpp"
#include "sim/unit_parse.hpp"

namespace strata::sim {
namespace {

// JSON Pointer escaping (RFC 6901): "~" -> "~0", "/" -> "~1".
std::string escape_pointer_token(std::string_view key) {
  std::string token;
  for (char c : key) {
    if (c == '~')
      token += "~0";
    else if (c == '/')
      token += "~1";
    else
      token += c;
  }
  return token;
}

std::string describe_type(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  return "an object";
}

// Line and column (1-based) of a byte offset.
std::string line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

template <class Parse>
auto with_units(const nlohmann::json& value, const JsonLocation& where, Parse parse) {
  try {
    return parse(json_string(value, where));
  } catch (const InputError& error) {
    throw error.located(where.source, where.path.empty() ? "/" : where.path);
  }
}

// Calls visit(i) for each byte offset i of `text` outside JSON strings (quotes and escapes skipped) until
// it returns false; visit may advance i past a token it has read. The one scanner of the pre-parse checks.
template <class Visit>
void scan_outside_strings(std::string_view text, Visit visit) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (!visit(i)) {
      return;
    }
  }
}

// The byte offset of the first number literal (outside strings) that a double cannot hold, such as 1e999;
// text.size() when there is none. nlohmann's parser refuses such a number without saying where it is.
std::size_t first_overflowing_number(std::string_view text) {
  std::size_t found = text.size();
  scan_outside_strings(text, [&](std::size_t& i) {
    const char c = text[i];
    if (c != '-' && (c < '0' || c > '9')) return true;
    std::size_t end = i;
    while (end < text.size() && std::string_view("+-.eE0123456789").find(text[end]) != std::string_view::npos)
      ++end;
    const std::string literal(text.substr(i, end - i));
    if (!std::isfinite(std::strtod(literal.c_str(), nullptr))) {
      found = i;
      return false;
    }
    i = end - 1;
    return true;
  });
  return found;
}

}  // namespace

JsonLocation JsonLocation::child(std::string_view key) const {
  return JsonLocation{source, path + "/" + escape_pointer_token(key)};
}

JsonLocation JsonLocation::child(std::size_t index) const {
  return JsonLocation{source, path + "/" + std::to_string(index)};
}

void JsonLocation::fail(const std::string& detail) const {
  throw InputError(source, path.empty() ? "/" : path, detail);
}

// The deepest bracket nesting in `text`, ignoring brackets inside strings; a linear pre-scan, so that the
// parse itself needs no callback (nlohmann's callback parser rescans the enclosing container at every
// closing brace, which is quadratic in the size of a large array).
std::size_t nesting_depth(std::string_view text, std::size_t limit, std::size_t& offset) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  scan_outside_strings(text, [&](std::size_t& i) {
    const char c = text[i];
    if (c == '[' || c == '{') {
      if (++depth > limit) {
        offset = i;
        deepest = depth;
        return false;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    return true;
  });
  return deepest;
}

nlohmann::json parse_json_text(std::string_view text, const std::string& source, const JsonLimits& limits) {
  std::size_t offset = 0;
  if (nesting_depth(text, static_cast<std::size_t>(limits.max_depth), offset) >
      static_cast<std::size_t>(limits.max_depth)) {
    throw InputError(source, "",
                     "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels (at " +
                         line_and_column(text, offset) + ")");
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& error) {
    // error.byte is the 1-based position where parsing failed.
    const std::size_t position = error.byte > 0 ? error.byte - 1 : 0;
    std::string reason = error.what();
    if (const auto colon = reason.rfind(": "); colon != std::string::npos) reason = reason.substr(colon + 2);
    throw InputError(source, "", "invalid JSON at " + line_and_column(text, position) + ": " + reason);
  } catch (const nlohmann::json::out_of_range&) {
    // The only range error of a parse: a number literal beyond a double's range.
    throw InputError(source, "",
                     "number out of range at " + line_and_column(text, first_overflowing_number(text)) +
                         ": JSON numbers must fit a double (about 1.8e308)");
  }
}

nlohmann::json read_json_file(const std::filesystem::path& path, const JsonLimits& limits) {
  return parse_json_text(read_text_file(path, limits.max_file_bytes), path.string(), limits);
}

std::string json_string(const nlohmann::json& value, const JsonLocation& where) {
  if (!value.is_string()) where.fail("expected a string, found " + describe_type(value));
  return value.get<std::string>();
}

double json_number(const nlohmann::json& value, const JsonLocation& where) {
  if (!value.is_number()) where.fail("expected a number, found " + describe_type(value));
  return value.get<double>();
}

std::int64_t json_integer(const nlohmann::json& value, const JsonLocation& where, std::int64_t min,
                          std::int64_t max) {
  if (!value.is_number_integer()) where.fail("expected an integer, found " + describe_type(value));
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    where.fail("expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], found " +
               value.dump());
  }
  const auto number = value.get<std::int64_t>();
  if (number < min || number > max) {
    where.fail("expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], found " +
               std::to_string(number));
  }
  return number;
}

bool json_bool(const nlohmann::json& value, const JsonLocation& where) {
  if (!value.is_boolean()) where.fail("expected true or false, found " + describe_type(value));
  return value.get<bool>();
}

Bytes json_bytes(const nlohmann::json& value, const JsonLocation& where) {
  if (value.is_number_integer()) {
    return Bytes::from_count(json_integer(value, where, 0, std::numeric_limits<std::int64_t>::max()));
  }
  return with_units(value, where, parse_bytes);
}

Bandwidth json_bandwidth(const nlohmann::json& value, const JsonLocation& where) {
  return with_units(value, where, parse_bandwidth);
}

FlopRate json_flop_rate(const nlohmann::json& value, const JsonLocation& where) {
  return with_units(value, where, parse_flop_rate);
}

SimTime json_duration(const nlohmann::json& value, const JsonLocation& where) {
  return with_units(value, where, parse_duration);
}

const nlohmann::json::array_t& json_array(const nlohmann::json& value, const JsonLocation& where) {
  if (!value.is_array()) where.fail("expected an array, found " + describe_type(value));
  return value.get_ref<const nlohmann::json::array_t&>();
}

JsonObjectReader::JsonObjectReader(const nlohmann::json& value, JsonLocation where)
    : object_(value), where_(std::move(where)) {
  if (!value.is_object()) where_.fail("expected an object, found " + describe_type(value));
}

bool JsonObjectReader::has(std::string_view key) const { return object_.contains(key); }

const nlohmann::json& JsonObjectReader::required(std::string_view key) {
  asked_.emplace_back(key);
  const auto found = object_.find(key);
  if (found == object_.end()) {
    // A key one typo away from the missing one is the mistake to name ("global_bach" for "global_batch").
    for (const auto& item : object_.items()) {
      if (!read_.contains(item.key()) && nearest_word(item.key(), {std::string(key)}))
        where_.child(item.key())
            .fail("unknown key \"" + item.key() + "\"" + did_you_mean(item.key(), {std::string(key)}));
    }
    where_.fail("missing required key \"" + std::string(key) + "\"");
  }
  read_.emplace(key);
  return *found;
}

const nlohmann::json* JsonObjectReader::optional(std::string_view key) {
  asked_.emplace_back(key);
  const auto found = object_.find(key);
  if (found == object_.end()) return nullptr;
  read_.emplace(key);
  return &*found;
}

std::optional<std::string> JsonObjectReader::optional_string(std::string_view key) {
  const nlohmann::json* value = optional(key);
  if (value == nullptr) return std::nullopt;
  return json_string(*value, location_of(key));
}

std::vector<std::string> JsonObjectReader::keys() {
  std::vector<std::string> names;
  for (const auto& item : object_.items()) {
    names.push_back(item.key());
    read_.insert(item.key());
  }
  return names;
}

void JsonObjectReader::finish() const {
  for (const auto& item : object_.items()) {
    if (read_.contains(item.key())) continue;
    std::string allowed;
    std::set<std::string, std::less<>> unique(asked_.begin(), asked_.end());
    for (const std::string& key : unique) allowed += (allowed.empty() ? "" : ", ") + key;
    const std::string suggestion =
        did_you_mean(item.key(), std::vector<std::string>(unique.begin(), unique.end()));
    where_.child(item.key())
        .fail("unknown key \"" + item.key() + "\"" +
              (!suggestion.empty() ? suggestion
               : allowed.empty()   ? std::string()
                                   : " (allowed here: " + allowed + ")"));
  }
}

}  // namespace strata::sim
