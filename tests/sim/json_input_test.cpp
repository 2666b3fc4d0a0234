#include <unistd.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "sim/error.hpp"
#include "sim/json_input.hpp"

using namespace strata::sim;

namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("syntax errors name the file, line and column", "[json]") {
  const std::string message = error_of([] { parse_json_text("{\n  \"a\": 1,\n  \"b\": ]\n}", "cfg.json"); });
  CHECK(message.rfind("cfg.json: invalid JSON at line 3, column 8", 0) == 0);
}

TEST_CASE("nesting and size are bounded", "[json]") {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  CHECK(error_of([&] { parse_json_text(deep, "deep.json"); }).find("nested deeper than 64") !=
        std::string::npos);
  CHECK_NOTHROW(parse_json_text(std::string(10, '[') + std::string(10, ']'), "ok.json"));

  const auto path =
      std::filesystem::temp_directory_path() / ("strata-json-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << "{\"padding\": \"" << std::string(2000, 'x') << "\"}";
  JsonLimits small;
  small.max_file_bytes = 1000;
  CHECK(error_of([&] { read_json_file(path, small); }).find("over the 1000-byte limit") != std::string::npos);
  CHECK_NOTHROW(read_json_file(path));
  std::filesystem::remove(path);
  CHECK(error_of([] { read_json_file("/nonexistent/strata.json"); }) ==
        "/nonexistent/strata.json: no such file");
}

TEST_CASE("object reader converts values and names the JSON path of every problem", "[json]") {
  const auto document = parse_json_text(
      R"({"name": "h100", "sms": 132, "hbm": "80GiB", "bw": "3.35TB/s", "peak": "989TFLOP/s", "launch": "4us",
          "nested": {"list": [1, "two"], "a/b": true}})",
      "gpu.json");
  JsonObjectReader reader(document, JsonLocation{"gpu.json", ""});
  CHECK(reader.required_string("name") == "h100");
  CHECK(reader.required_integer("sms", 1, 1000) == 132);
  CHECK(json_bytes(reader.required("hbm"), reader.location_of("hbm")).count() == 80LL << 30);
  CHECK(json_bandwidth(reader.required("bw"), reader.location_of("bw")).bytes_per_s() == Approx(3.35e12));
  CHECK(json_flop_rate(reader.required("peak"), reader.location_of("peak")).tflops_per_s() == Approx(989));
  CHECK(json_duration(reader.required("launch"), reader.location_of("launch")).ps() == 4'000'000);
  JsonObjectReader nested = reader.required_object("nested");
  const auto& list = json_array(nested.required("list"), nested.location_of("list"));
  CHECK(error_of([&] { json_integer(list[1], nested.location_of("list").child(std::size_t{1}), 0, 9); }) ==
        "gpu.json: /nested/list/1: expected an integer, found a string");
  CHECK(nested.location_of("a/b").path == "/nested/a~1b");
  CHECK(error_of([&] { nested.finish(); }) ==
        "gpu.json: /nested/a~1b: unknown key \"a/b\" (allowed here: list)");
  CHECK_NOTHROW(reader.finish());
  CHECK(error_of([&] { reader.required("missing"); }) == "gpu.json: /: missing required key \"missing\"");
  CHECK(error_of([&] { reader.required_integer("sms", 1, 100); }) ==
        "gpu.json: /sms: expected an integer in [1, 100], found 132");
  CHECK(error_of([&] {
          json_bandwidth(document["hbm"], reader.location_of("hbm"));
        }).rfind("gpu.json: /hbm: invalid bandwidth \"80GiB\"", 0) == 0);
  CHECK(error_of([&] { JsonObjectReader(document["sms"], reader.location_of("sms")); }) ==
        "gpu.json: /sms: expected an object, found a number");
}

TEST_CASE("large arrays parse in linear time (regression: quadratic callback parser)", "[json]") {
  // 200,000 small objects: with nlohmann's callback parser this took minutes; now well under a second.
  std::string text = "[";
  for (int i = 0; i < 200'000; ++i) text += std::string(i ? "," : "") + "{\"id\": " + std::to_string(i) + "}";
  text += "]";
  const auto start = std::chrono::steady_clock::now();
  const auto document = parse_json_text(text, "big.json");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(document.size() == 200'000);
  CHECK(seconds < 10.0);  // generous for slow CI machines and sanitizers; the quadratic parse took minutes
  // Brackets inside strings do not count towards the depth.
  CHECK_NOTHROW(parse_json_text("{\"s\": \"" + std::string(200, '[') + "\"}", "strings.json"));
}

TEST_CASE("a number beyond a double's range is bad input with its line and column", "[json]") {
  CHECK(error_of([] { parse_json_text("{\n  \"s\": \"1e999\",\n  \"nodes\": 1e999\n}", "big.json"); }) ==
        "big.json: number out of range at line 3, column 12: JSON numbers must fit a double (about 1.8e308)");
  CHECK(error_of([] { parse_json_text("[-2e400]", "neg.json"); }).find("line 1, column 2") !=
        std::string::npos);
  // Integers beyond 64 bits still parse (as doubles); the typed readers refuse them with their path.
  CHECK_NOTHROW(parse_json_text("[123456789012345678901234567890, 1e308]", "ok.json"));
}
