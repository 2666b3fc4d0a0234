#include "traces/kineto/kineto_event_stream.hpp"

#include <istream>
#include <vector>

#include "sim/error.hpp"

namespace strata::traces {

nlohmann::json KinetoRawValue::to_json() const {
  switch (type) {
    case Type::kBoolean: return boolean;
    case Type::kInteger: return integer;
    case Type::kUnsigned: return unsigned_integer;
    case Type::kFloat: return number;
    case Type::kString: return text;
    case Type::kArray: return nlohmann::json::array();
    case Type::kObject: return nlohmann::json::object();
    case Type::kAbsent:
    case Type::kNull: break;
  }
  return nullptr;
}

namespace {

using Json = nlohmann::json;
using Type = KinetoRawValue::Type;

template <std::size_t N>
int index_of(const std::array<std::string_view, N>& keys, std::string_view key) {
  for (std::size_t i = 0; i < N; ++i)
    if (keys[i] == key) return static_cast<int>(i);
  return -1;
}

// Where the parser is: which container the next key or value belongs to.
enum class Place { kBeforeRoot, kRoot, kEvents, kEvent, kArgs, kCapture, kAfterRoot };
enum class RootKey { kOther, kTraceEvents, kDistributedInfo, kDeviceProperties };

class EventStreamHandler final : public nlohmann::json_sax<Json> {
 public:
  EventStreamHandler(const std::string& source, const KinetoEventSink& sink,
                     const KinetoStreamOptions& options)
      : source_(source), sink_(sink), options_(options), max_depth_(options.max_depth) {}

  KinetoDocumentParts parts;

  bool null() override {
    return scalar([](KinetoRawValue& v) { v.type = Type::kNull; }, Json(nullptr));
  }
  bool boolean(bool value) override { return scalar_of(Type::kBoolean, &KinetoRawValue::boolean, value); }
  bool number_integer(number_integer_t value) override {
    return scalar_of(Type::kInteger, &KinetoRawValue::integer, value);
  }
  bool number_unsigned(number_unsigned_t value) override {
    return scalar_of(Type::kUnsigned, &KinetoRawValue::unsigned_integer, value);
  }
  bool number_float(number_float_t value, const string_t& /*text*/) override {
    return scalar_of(Type::kFloat, &KinetoRawValue::number, value);
  }
  bool string(string_t& value) override {
    if (skipping_ > 0) return true;
    if (place_ == Place::kCapture || capture_here_scalar()) return capture_value(Json(value));
    return scalar(
        [&](KinetoRawValue& v) {
          v.type = Type::kString;
          v.text.assign(value);
        },
        Json());
  }
  bool binary(binary_t& /*value*/) override { return true; }  // not produced by the JSON parser

  bool start_object(std::size_t /*elements*/) override { return open(Type::kObject); }
  bool start_array(std::size_t /*elements*/) override { return open(Type::kArray); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    if (skipping_ > 0) return true;
    switch (place_) {
      case Place::kRoot:
        root_key_ = key == "traceEvents"        ? RootKey::kTraceEvents
                    : key == "distributedInfo"  ? RootKey::kDistributedInfo
                    : key == "deviceProperties" ? RootKey::kDeviceProperties
                                                : RootKey::kOther;
        break;
      case Place::kEvent:
        field_ = index_of(kKinetoEventKeys, key);
        is_args_key_ = field_ < 0 && key == "args";
        break;
      case Place::kArgs: field_ = index_of(kKinetoArgKeys, key); break;
      case Place::kCapture: capture_key_ = key; break;
      default: break;
    }
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) override {
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error
    // while parsing value - ..."; the line and column are kept, the prefixes dropped.
    std::string reason = error.what();
    if (const auto bracket = reason.find("] "); bracket != std::string::npos)
      reason = reason.substr(bracket + 2);
    constexpr std::string_view kParseError = "parse error ";
    const std::string byte = "byte " + std::to_string(position > 0 ? position - 1 : 0);
    if (reason.rfind(kParseError, 0) == 0) {
      reason = reason.substr(kParseError.size());  // "at line 1, column 5: ..."
      const auto colon = reason.find(": ");
      throw sim::InputError(source_, "",
                            "invalid JSON " + reason.substr(0, colon) + " (" + byte + ")" +
                                (colon == std::string::npos ? "" : reason.substr(colon)));
    }
    throw sim::InputError(source_, "", "invalid JSON at " + byte + ": " + reason);
  }

 private:
  // A value that is not a container: kept when it is a field of an event, captured when it belongs to a
  // captured top-level object, and otherwise dropped.
  template <class Store>
  bool scalar(const Store& store, Json value) {
    if (skipping_ > 0) return true;
    if (place_ == Place::kCapture || capture_here_scalar()) return capture_value(std::move(value));
    switch (place_) {
      case Place::kRoot:
        if (root_key_ == RootKey::kTraceEvents) parts.trace_events = scalar_type(store);
        break;
      case Place::kEvents:
        reset_event();
        event_.type = scalar_type(store);
        deliver();
        break;
      case Place::kEvent:
        if (field_ >= 0) store(event_.fields[static_cast<std::size_t>(field_)]);
        if (is_args_key_) event_.args_type = scalar_type(store);
        break;
      case Place::kArgs:
        if (field_ >= 0) store(event_.args[static_cast<std::size_t>(field_)]);
        break;
      case Place::kBeforeRoot:
      case Place::kCapture:
      case Place::kAfterRoot: break;
    }
    return true;
  }

  // A number or boolean, kept in `member` of the raw value where it is kept.
  template <class Value>
  bool scalar_of(Type type, Value KinetoRawValue::*member, Value value) {
    return scalar(
        [&](KinetoRawValue& v) {
          v.type = type;
          v.*member = value;
        },
        Json(value));
  }

  template <class Store>
  static Type scalar_type(const Store& store) {
    KinetoRawValue v;
    store(v);
    return v.type;
  }

  // Whether the value about to come is captured whole: a top-level object the reader needs, or an argument
  // kept as JSON (kKinetoCapturedArgs).
  bool capture_here() const {
    if (place_ == Place::kRoot)
      return root_key_ == RootKey::kDistributedInfo || root_key_ == RootKey::kDeviceProperties;
    return place_ == Place::kArgs && field_ >= 0 && is_captured_arg(field_) && event_wants_captured_args();
  }
  bool event_wants_captured_args() const {
    const KinetoRawValue& name = event_[KinetoEventField::kName];
    return !options_.wants_captured_args || name.type != Type::kString ||
           options_.wants_captured_args(name.text);
  }
  // A scalar is captured only as a top-level value; an argument kept as JSON that is not an array or object
  // stays a raw value (and its reader says what was expected).
  bool capture_here_scalar() const { return place_ == Place::kRoot && capture_here(); }
  static bool is_captured_arg(int field) {
    for (KinetoArgField captured : kKinetoCapturedArgs)
      if (static_cast<int>(captured) == field) return true;
    return false;
  }
  // Where a captured value goes: the captured value itself, or a new member of the innermost container.
  Json* capture_slot() {
    if (captured_.empty()) {
      if (place_ == Place::kArgs) {
        KinetoRawValue& arg = event_.args[static_cast<std::size_t>(field_)];
        return &arg.json;
      }
      return root_key_ == RootKey::kDistributedInfo ? &parts.distributed_info : &parts.device_properties;
    }
    Json& container = *captured_.back();
    if (container.is_object()) return &container[capture_key_];
    container.push_back(nullptr);
    return &container.back();
  }
  bool capture_value(Json value) {
    *capture_slot() = std::move(value);
    return true;
  }

  bool open(Type type) {
    if (skipping_ > 0) {
      ++skipping_;
      return check_depth();
    }
    ++depth_;
    if (!check_depth()) return false;
    if (place_ == Place::kCapture || capture_here()) {
      if (place_ != Place::kCapture) {
        capture_return_ = place_;
        if (place_ == Place::kArgs) event_.args[static_cast<std::size_t>(field_)].type = type;
      }
      Json* slot = capture_slot();
      *slot = type == Type::kObject ? Json::object() : Json::array();
      captured_.push_back(slot);
      place_ = Place::kCapture;
      return true;
    }
    switch (place_) {
      case Place::kBeforeRoot:
        parts.root_is_object = type == Type::kObject;
        place_ = parts.root_is_object ? Place::kRoot : Place::kAfterRoot;
        if (!parts.root_is_object) return skip();
        return true;
      case Place::kRoot:
        if (root_key_ != RootKey::kTraceEvents) return skip();
        parts.trace_events = type;
        if (type != Type::kArray) return skip();
        place_ = Place::kEvents;
        return true;
      case Place::kEvents:
        reset_event();
        event_.type = type;
        if (type != Type::kObject) {
          deliver();
          return skip();
        }
        place_ = Place::kEvent;
        return true;
      case Place::kEvent:
        if (is_args_key_) {
          event_.args_type = type;
          if (type == Type::kObject) {
            place_ = Place::kArgs;
            return true;
          }
        } else if (field_ >= 0) {
          event_.fields[static_cast<std::size_t>(field_)].type = type;
        }
        return skip();
      case Place::kArgs:
        if (field_ >= 0) event_.args[static_cast<std::size_t>(field_)].type = type;
        return skip();
      case Place::kCapture:
      case Place::kAfterRoot: return skip();
    }
    return true;
  }

  bool close() {
    if (skipping_ > 0) {
      if (--skipping_ == 0) --depth_;
      return true;
    }
    --depth_;
    switch (place_) {
      case Place::kCapture:
        captured_.pop_back();
        if (captured_.empty()) place_ = capture_return_;
        break;
      case Place::kArgs: place_ = Place::kEvent; break;
      case Place::kEvent:
        deliver();
        place_ = Place::kEvents;
        break;
      case Place::kEvents: place_ = Place::kRoot; break;
      case Place::kRoot: place_ = Place::kAfterRoot; break;
      case Place::kBeforeRoot:
      case Place::kAfterRoot: break;
    }
    return true;
  }

  // Skips the container just opened (its depth is already counted in depth_).
  bool skip() {
    skipping_ = 1;
    return true;
  }

  bool check_depth() {
    if (depth_ + std::max(skipping_ - 1, 0) <= max_depth_) return true;
    std::string where = place_ == Place::kEvents || place_ == Place::kEvent || place_ == Place::kArgs
                            ? "/traceEvents/" + std::to_string(event_.index)
                            : "";
    throw sim::InputError(source_, where,
                          "JSON nested deeper than " + std::to_string(max_depth_) + " levels");
  }

  void reset_event() {
    event_.args_type = Type::kAbsent;
    for (KinetoRawValue& v : event_.fields) v.type = Type::kAbsent;
    for (KinetoRawValue& v : event_.args) v.type = Type::kAbsent;
    field_ = -1;
    is_args_key_ = false;
  }

  void deliver() {
    sink_(event_);
    ++event_.index;
  }

  const std::string& source_;
  const KinetoEventSink& sink_;
  const KinetoStreamOptions& options_;
  int max_depth_;
  Place place_ = Place::kBeforeRoot;
  RootKey root_key_ = RootKey::kOther;
  int depth_ = 0;
  int skipping_ = 0;  // containers open inside a value being skipped
  KinetoRawEvent event_;
  int field_ = -1;  // the current key's field in the event or its args, -1 for one not read
  bool is_args_key_ = false;
  std::vector<Json*> captured_;          // the open containers of a captured value, innermost last
  Place capture_return_ = Place::kRoot;  // where the captured value sits
  std::string capture_key_;
};

}  // namespace

KinetoDocumentParts stream_kineto_events(std::streambuf& text, const std::string& source,
                                         const KinetoEventSink& on_event,
                                         const KinetoStreamOptions& options) {
  EventStreamHandler handler(source, on_event, options);
  std::istream stream(&text);
  Json::sax_parse(stream, &handler);
  return std::move(handler.parts);
}

KinetoDocumentParts stream_kineto_events(std::string_view text, const std::string& source,
                                         const KinetoEventSink& on_event,
                                         const KinetoStreamOptions& options) {
  EventStreamHandler handler(source, on_event, options);
  Json::sax_parse(text.begin(), text.end(), &handler);
  return std::move(handler.parts);
}

}  // namespace strata::traces
