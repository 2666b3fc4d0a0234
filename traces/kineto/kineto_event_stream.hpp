// The streaming half of the Kineto reader: walks a Chrome-trace JSON document with nlohmann's SAX parser and
// hands each element of its "traceEvents" array to a callback as the few fields a replay reads, raw (as the
// JSON had them). Nothing else of an event is kept and the text is never held whole, so a trace of gigabytes
// reads in the memory of the events it keeps (traces/README.md, "Kineto traces"). Converting and checking the
// values is the caller's (kineto_trace.cpp), with the event's index for messages.
//
// Syntax errors name the file and the byte, line and column where the text stops being JSON.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <streambuf>
#include <string>
#include <string_view>

namespace strata::traces {

// One JSON value as it was read. A nested array or object keeps only its kind.
struct KinetoRawValue {
  enum class Type : std::uint8_t {
    kAbsent,
    kNull,
    kBoolean,
    kInteger,
    kUnsigned,
    kFloat,
    kString,
    kArray,
    kObject
  };
  Type type = Type::kAbsent;
  std::string text;     // kString
  nlohmann::json json;  // kArray or kObject of an argument kept as JSON (kKinetoCapturedArgs)
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double number = 0;
  bool boolean = false;

  bool present() const { return type != Type::kAbsent; }
  // The value as a JSON value (an empty array or object for those), for the shared checks' messages.
  nlohmann::json to_json() const;
};

// The fields read of an event, and of its "args" object.
enum class KinetoEventField : std::uint8_t { kPh, kCat, kName, kTs, kDur, kTid, kCount };
constexpr std::array<std::string_view, static_cast<std::size_t>(KinetoEventField::kCount)> kKinetoEventKeys{
    "ph", "cat", "name", "ts", "dur", "tid"};
enum class KinetoArgField : std::uint8_t {
  kStream,
  kCorrelation,
  kDevice,
  kBytes,
  kCollectiveName,
  kInMsgNelems,
  kOutMsgNelems,
  kDtype,
  kGroupSize,
  kGroupRanks,
  kGroupName,
  kGroupDescription,
  kInputDims,
  kInputType,
  kCount
};
constexpr std::array<std::string_view, static_cast<std::size_t>(KinetoArgField::kCount)> kKinetoArgKeys{
    "stream",
    "correlation",
    "device",
    "bytes",
    "Collective name",
    "In msg nelems",
    "Out msg nelems",
    "dtype",
    "Group size",
    "Process Group Ranks",
    "Process Group Name",
    "Process Group Description",
    "Input Dims",
    "Input type"};
// Arguments kept whole, as JSON: an operator's tensor shapes and types (PyTorch's record_shapes), each a
// list.
constexpr std::array<KinetoArgField, 2> kKinetoCapturedArgs{KinetoArgField::kInputDims,
                                                            KinetoArgField::kInputType};

struct KinetoRawEvent {
  std::size_t index = 0;                                      // in traceEvents
  KinetoRawValue::Type type = KinetoRawValue::Type::kObject;  // the element's own type (an object, or not)
  KinetoRawValue::Type args_type = KinetoRawValue::Type::kAbsent;
  std::array<KinetoRawValue, static_cast<std::size_t>(KinetoEventField::kCount)> fields;
  std::array<KinetoRawValue, static_cast<std::size_t>(KinetoArgField::kCount)> args;

  const KinetoRawValue& operator[](KinetoEventField f) const { return fields[static_cast<std::size_t>(f)]; }
  const KinetoRawValue& operator[](KinetoArgField f) const { return args[static_cast<std::size_t>(f)]; }
};

// What the document holds besides its events: the small top-level objects a reader needs, whole.
struct KinetoDocumentParts {
  bool root_is_object = false;
  KinetoRawValue::Type trace_events = KinetoRawValue::Type::kAbsent;  // the type of "traceEvents"
  nlohmann::json distributed_info;                                    // null when absent
  nlohmann::json device_properties;                                   // null when absent
};

using KinetoEventSink = std::function<void(const KinetoRawEvent&)>;

struct KinetoStreamOptions {
  int max_depth = 64;  // deeper nesting anywhere is an error
  // Whether an event named `name` needs its arguments kept as JSON (kKinetoCapturedArgs). Asked when the
  // event's name came before them (Kineto writes it first), so that the shapes of operators nobody reads
  // are skipped unbuilt; an event whose name comes later keeps them. Null: every event keeps them.
  std::function<bool(std::string_view name)> wants_captured_args;
};

// Reads the document from `text` (a file's or an archive's stream) and calls `on_event` for each element of
// traceEvents, in order. Throws sim::InputError naming `source` for a syntax error or nesting deeper than
// the options' max_depth.
KinetoDocumentParts stream_kineto_events(std::streambuf& text, const std::string& source,
                                         const KinetoEventSink& on_event,
                                         const KinetoStreamOptions& options = {});
KinetoDocumentParts stream_kineto_events(std::string_view text, const std::string& source,
                                         const KinetoEventSink& on_event,
                                         const KinetoStreamOptions& options = {});

}  // namespace strata::traces
