#include <catch2/catch.hpp>
#include <string>

#include "sim/error.hpp"
#include "sim/unit_parse.hpp"

using namespace strata::sim;

TEST_CASE("byte sizes parse with decimal and binary prefixes", "[units]") {
  CHECK(parse_bytes("4096").count() == 4096);
  CHECK(parse_bytes("4096B").count() == 4096);
  CHECK(parse_bytes("80GiB").count() == 80LL << 30);
  CHECK(parse_bytes("1.5GB").count() == 1'500'000'000);
  CHECK(parse_bytes("1.5KiB").count() == 1536);
  CHECK(parse_bytes("16 MiB").count() == 16LL << 20);
  CHECK(parse_bytes("2e3KB").count() == 2'000'000);
  CHECK(parse_bytes("0").count() == 0);
  CHECK(parse_bytes("15.36TB").count() == 15'360'000'000'000);
  CHECK(parse_bytes("30.72TB").count() == 30'720'000'000'000);
}

TEST_CASE("bandwidths parse in bytes and bits per second", "[units]") {
  CHECK(parse_bandwidth("400Gb/s").bytes_per_s() == Approx(50e9));
  CHECK(parse_bandwidth("50GB/s").bytes_per_s() == Approx(50e9));
  CHECK(parse_bandwidth("900GB/s").bytes_per_s() == Approx(900e9));
  CHECK(parse_bandwidth("25GiB/s").bytes_per_s() == Approx(25.0 * (1LL << 30)));
  CHECK(parse_bandwidth("100Mb/s").bytes_per_s() == Approx(12.5e6));
}

TEST_CASE("durations parse to picoseconds", "[units]") {
  CHECK(parse_duration("2us").ps() == 2'000'000);
  CHECK(parse_duration("1.5ms").ps() == 1'500'000'000);
  CHECK(parse_duration("10ns").ps() == 10'000);
  CHECK(parse_duration("500ps").ps() == 500);
  CHECK(parse_duration("3s").ps() == 3'000'000'000'000);
  CHECK(parse_duration("2\u00b5s").ps() == 2'000'000);
}

TEST_CASE("bad unit strings quote the string and say what was expected", "[units]") {
  const auto message_of = [](auto parse, const char* text) {
    try {
      parse(text);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  const std::string bad_bytes = message_of(parse_bytes, "80GX");
  CHECK(bad_bytes.find("\"80GX\"") != std::string::npos);
  CHECK(bad_bytes.find("GiB") != std::string::npos);
  for (const char* text :
       {"", "GB", "-1GB", "+1GB", "1.5B", "1.5", "inf", "nan", "0x10", "1 2GB", "1e30GB"}) {
    INFO(text);
    CHECK_THROWS_AS(parse_bytes(text), InputError);
  }
  for (const char* text : {"400Gb", "50GB", "/s", "50 GB/h", "-5GB/s", "50gb/s", "1e400GB/s"}) {
    INFO(text);
    CHECK_THROWS_AS(parse_bandwidth(text), InputError);
  }
  for (const char* text : {"2", "2 minutes", "-1us", "us", "1e30s", "nanus"}) {
    INFO(text);
    CHECK_THROWS_AS(parse_duration(text), InputError);
  }
  CHECK(message_of(parse_duration, "2").find("expected") != std::string::npos);
  CHECK(message_of(parse_bandwidth, "400Gb").find("\"400Gb\"") != std::string::npos);
}

TEST_CASE("InputError locates a message in a file and JSON path", "[units]") {
  try {
    parse_bytes("lots");
    FAIL("no error");
  } catch (const InputError& error) {
    const InputError located = error.located("scenario.json", "/cluster/gpu/memory");
    CHECK(std::string(located.what())
              .rfind("scenario.json: /cluster/gpu/memory: invalid byte size \"lots\"", 0) == 0);
    CHECK(located.source() == "scenario.json");
    CHECK(located.json_path() == "/cluster/gpu/memory");
  }
}

TEST_CASE("FLOP rates parse with decimal prefixes", "[units]") {
  CHECK(parse_flop_rate("989TFLOP/s").flops_per_s() == Approx(989e12));
  CHECK(parse_flop_rate("1.979PFLOP/s").tflops_per_s() == Approx(1979.0));
  CHECK(parse_flop_rate("312 TFLOP/s").tflops_per_s() == Approx(312.0));
  for (const char* text : {"989", "989TFLOPS", "989Tflop/s", "-1TFLOP/s", "TFLOP/s"}) {
    INFO(text);
    CHECK_THROWS_AS(parse_flop_rate(text), InputError);
  }
}
