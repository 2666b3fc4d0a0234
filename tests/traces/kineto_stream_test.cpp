// Streaming reads of Kineto traces: the gzip stream (members, trailing bytes, damage), the SAX walk that
// keeps only the fields replay reads, and its messages for text that is not a trace.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support/input_error.hpp"
#include "traces/graph_file.hpp"
#include "traces/kineto/kineto_import.hpp"
#include "traces/kineto/kineto_trace.hpp"
#include "traces/maybe_gzip_file.hpp"

using namespace strata;
using nlohmann::json;

namespace {

const std::string kData = STRATA_TRACE_FIXTURES;
const std::string kDdpTrace = kData + "/kineto-a100x2-ddp-step5.json.gz";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json kernel_event(json args) {
  return {{"ph", "X"}, {"cat", "kernel"}, {"name", "k"}, {"ts", 10}, {"dur", 5}, {"args", std::move(args)}};
}

std::string error_parsing(const std::string& text) {
  return error_of([&] { traces::parse_kineto_trace(text, "t.json"); });
}

traces::MaybeGzipStreambuf stream_of(const std::string& bytes, const std::string& source) {
  return traces::MaybeGzipStreambuf(std::make_unique<std::stringbuf>(bytes, std::ios::in), source,
                                    traces::kMaxTraceBytes);
}

}  // namespace

TEST_CASE("a streamed trace reads as the same trace as its whole text", "[kineto][stream]") {
  const traces::KinetoTrace streamed = traces::read_kineto_trace(std::filesystem::path(kDdpTrace));
  const traces::KinetoTrace whole =
      traces::parse_kineto_trace(traces::read_maybe_gzip_file(kDdpTrace), kDdpTrace);
  CHECK(streamed.gpu_ops.size() == whole.gpu_ops.size());
  CHECK(streamed.runtime_calls.size() == whole.runtime_calls.size());
  CHECK(streamed.device == "NVIDIA A100-PG509-200");
  CHECK(streamed.world_size == 2);
  CHECK(traces::graph_to_text(traces::import_kineto(streamed).graph) ==
        traces::graph_to_text(traces::import_kineto(whole).graph));
}

TEST_CASE("the gzip stream reads concatenated members and ignores trailing bytes, as gzip does",
          "[kineto][stream]") {
  const std::string compressed = file_bytes(kDdpTrace);
  const std::string text = traces::maybe_gunzip(compressed, "one.gz");
  CHECK(traces::maybe_gunzip(compressed + compressed, "two.gz") == text + text);
  CHECK(traces::maybe_gunzip(compressed + "not gzip", "trailing.gz") == text);
  // The format is told by the first byte that is not whitespace, without consuming it.
  traces::MaybeGzipStreambuf json_text = stream_of(" \n {\"traceEvents\": []}", "a.json");
  CHECK(json_text.starts_with_one_of("{["));
  CHECK(json_text.sgetc() == ' ');
  traces::MaybeGzipStreambuf archive = stream_of(compressed, "b.gz");
  CHECK(archive.starts_with_one_of("{["));
  traces::MaybeGzipStreambuf binary = stream_of(std::string("\x08\x01", 2), "c.et");
  CHECK_FALSE(binary.starts_with_one_of("{["));
  traces::MaybeGzipStreambuf empty = stream_of("", "d.json");
  CHECK_FALSE(empty.starts_with_one_of("{["));
  // Damage found while streaming names the compressed byte, as a whole read does.
  const std::string cut = compressed.substr(0, compressed.size() / 2);
  traces::MaybeGzipStreambuf cut_stream = stream_of(cut, "cut.gz");
  CHECK_THAT(error_of([&] { traces::read_kineto_trace(cut_stream, "cut.gz"); }),
             Catch::StartsWith("cut.gz: truncated gzip: the archive ends at compressed byte " +
                               std::to_string(cut.size())));
}

TEST_CASE("a streamed event keeps the fields replay reads and skips the rest, nested or not",
          "[kineto][stream]") {
  json event = kernel_event({{"stream", 7},
                             {"correlation", 3},
                             {"grid", {128, 1, 1}},
                             {"deep", {{"a", {{"b", {1, 2, {{"c", nullptr}}}}}}}},
                             {"est. achieved occupancy %", 50}});
  event["flow"] = {{"id", 3}, {"ph", "s"}};
  const json document = {{"schemaVersion", 1},
                         {"otherData", {{"nested", {{"ph", "X"}}}}},
                         {"traceEvents", {event, {{"ph", "i"}, {"name", {{"odd", true}}}}}},
                         {"traceName", "t"}};
  const traces::KinetoTrace trace = traces::parse_kineto_trace(document.dump(), "t.json");
  REQUIRE(trace.gpu_ops.size() == 1);
  CHECK(trace.gpu_ops[0].stream == 7);
  CHECK(trace.gpu_ops[0].correlation == 3);
  CHECK(trace.gpu_ops[0].name == "k");
  CHECK(trace.gpu_ops[0].event == 0);
}

TEST_CASE("text that is not a Kineto trace is an error naming the file and where", "[kineto][stream]") {
  CHECK_THAT(error_parsing("{\"traceEvents\": ["),
             Catch::StartsWith("t.json: invalid JSON at line 1, column 18 (byte 17): syntax error"));
  CHECK_THAT(error_parsing("{\"traceEvents\": [{\"ts\": 1e999}]}"),
             Catch::StartsWith("t.json: invalid JSON at byte") && Catch::Contains("number overflow"));
  CHECK_THAT(error_parsing("[1, 2]"), Catch::StartsWith("t.json: /: expected a JSON object"));
  CHECK_THAT(error_parsing("{}"), Catch::StartsWith("t.json: /: missing required key \"traceEvents\""));
  CHECK_THAT(error_parsing("{\"traceEvents\": 5}"),
             Catch::StartsWith("t.json: /traceEvents: expected an array, found"));
  CHECK_THAT(error_parsing("{\"traceEvents\": [{}, 5]}"),
             Catch::StartsWith("t.json: /traceEvents/1: expected an object, found"));
  CHECK_THAT(error_parsing(json{{"traceEvents", {kernel_event(7)}}}.dump()),
             Catch::StartsWith("t.json: /traceEvents/0/args: expected an object, found"));
  json named = kernel_event({{"stream", 7}});
  named["name"] = {{"not", "a string"}};
  CHECK_THAT(error_parsing(json{{"traceEvents", {named}}}.dump()),
             Catch::StartsWith("t.json: /traceEvents/0/name: expected a string, found"));
  json huge_stream = kernel_event({{"stream", 18446744073709551615ULL}});
  CHECK_THAT(error_parsing(json{{"traceEvents", {huge_stream}}}.dump()),
             Catch::StartsWith("t.json: /traceEvents/0/args/stream: expected an integer in"));
  json no_args = kernel_event({});
  no_args.erase("args");
  CHECK_THAT(error_parsing(json{{"traceEvents", {no_args}}}.dump()),
             Catch::StartsWith("t.json: /traceEvents/0: missing required key \"args\""));
  // Nesting is bounded (the parser keeps a state per level), inside events and out.
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  CHECK_THAT(error_parsing("{\"traceEvents\": [{\"args\": {\"x\": " + deep + "}}]}"),
             Catch::StartsWith("t.json: /traceEvents/0: JSON nested deeper than 64 levels"));
  CHECK_THAT(error_parsing("{\"deviceProperties\": " + deep + ", \"traceEvents\": []}"),
             Catch::Contains("JSON nested deeper than 64 levels"));
}
