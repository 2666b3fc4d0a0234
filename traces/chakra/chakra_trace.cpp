#include "traces/chakra/chakra_trace.hpp"

#include <google/protobuf/io/coded_stream.h>

#include <limits>

#include "chakra_et.pb.h"  // generated from chakra_et.proto into the build tree
#include "sim/error.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace strata::traces {
namespace {

// One message may not claim more than this: a length prefix beyond it is damage, not a node.
constexpr std::uint32_t kMaxMessageBytes = 64u << 20;
// Nor one node a duration beyond a day (the Kineto reader's bound too).
constexpr std::uint64_t kMaxDurationUs = 86'400'000'000;

std::optional<std::int64_t> integer_value(const ChakraProtoMsg::AttributeProto& a) {
  using A = ChakraProtoMsg::AttributeProto;
  switch (a.value_case()) {
    case A::kInt32Val: return a.int32_val();
    case A::kInt64Val: return a.int64_val();
    case A::kUint32Val: return a.uint32_val();
    case A::kUint64Val:
      if (a.uint64_val() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
      return static_cast<std::int64_t>(a.uint64_val());
    case A::kSint32Val: return a.sint32_val();
    case A::kSint64Val: return a.sint64_val();
    case A::kBoolVal: return a.bool_val() ? 1 : 0;
    default: return std::nullopt;
  }
}

ChakraNode node_of(const ChakraProtoMsg::Node& message, std::uint64_t offset, const std::string& source) {
  ChakraNode node;
  node.id = message.id();
  node.name = message.name();
  node.type = static_cast<int>(message.type());
  node.data_deps.assign(message.data_deps().begin(), message.data_deps().end());
  node.ctrl_deps.assign(message.ctrl_deps().begin(), message.ctrl_deps().end());
  node.duration_us = message.duration_micros();
  node.offset = offset;
  if (node.duration_us > kMaxDurationUs) {
    throw sim::InputError(source, "",
                          "node " + std::to_string(node.id) + " at byte " + std::to_string(offset) +
                              ": duration_micros " + std::to_string(node.duration_us) +
                              " is more than a day, not one operation of a training step");
  }
  for (const ChakraProtoMsg::AttributeProto& a : message.attr()) {
    const std::string& name = a.name();
    if (name == "pg_name") {
      node.pg_name = a.string_val();
      continue;
    }
    std::optional<std::int64_t>* slot = nullptr;
    if (name == "comm_type")
      slot = &node.comm_type;
    else if (name == "comm_size")
      slot = &node.comm_size;
    else if (name == "comm_src")
      slot = &node.comm_src;
    else if (name == "comm_dst")
      slot = &node.comm_dst;
    else if (name == "comm_tag")
      slot = &node.comm_tag;
    const std::optional<std::int64_t> value = integer_value(a);
    if (name == "is_cpu_op") node.is_cpu_op = value.value_or(0) != 0;
    if (name == "tid") node.tid = value.value_or(0);
    if (slot == nullptr) continue;
    if (!value) {
      throw sim::InputError(source, "",
                            "node " + std::to_string(node.id) + " at byte " + std::to_string(offset) +
                                ": attribute " + name + " is not an integer");
    }
    *slot = value;
  }
  return node;
}

}  // namespace

ChakraTrace parse_chakra_trace(const std::string& bytes, const std::string& source) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw sim::InputError(source, "", "larger than 2 GiB - 1 bytes, the most a Chakra trace may be");
  ChakraTrace trace;
  trace.source = source;
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                                static_cast<int>(bytes.size()));
  stream.SetTotalBytesLimit(static_cast<int>(bytes.size()));
  bool metadata_read = false;
  while (stream.CurrentPosition() < static_cast<int>(bytes.size())) {
    const auto offset = static_cast<std::uint64_t>(stream.CurrentPosition());
    const std::string at = "at byte " + std::to_string(offset);
    std::uint32_t length = 0;
    if (!stream.ReadVarint32(&length)) throw sim::InputError(source, "", "a damaged length prefix " + at);
    const auto left =
        static_cast<std::uint64_t>(bytes.size()) - static_cast<std::uint64_t>(stream.CurrentPosition());
    if (length > kMaxMessageBytes || length > left) {
      throw sim::InputError(source, "",
                            "the message " + at + " claims " + std::to_string(length) + " bytes; " +
                                std::to_string(left) +
                                " are left in the file (truncated or not a Chakra trace)");
    }
    const auto limit = stream.PushLimit(static_cast<int>(length));
    if (!metadata_read) {
      ChakraProtoMsg::GlobalMetadata metadata;
      if (!metadata.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
        throw sim::InputError(source, "", "the global metadata " + at + " does not parse");
      trace.version = metadata.version();
      for (const ChakraProtoMsg::AttributeProto& a : metadata.attr())
        if (a.name() == "schema" && trace.version.empty()) trace.version = a.string_val();
      metadata_read = true;
    } else {
      ChakraProtoMsg::Node node;
      if (!node.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
        throw sim::InputError(source, "", "the node " + at + " does not parse");
      trace.nodes.push_back(node_of(node, offset, source));
    }
    stream.PopLimit(limit);
  }
  if (!metadata_read)
    throw sim::InputError(source, "", "empty: a Chakra trace starts with its global metadata");
  return trace;
}

ChakraTrace read_chakra_trace(const std::filesystem::path& path) {
  // CodedInputStream counts in int: at most 2 GiB - 1, compressed or not.
  constexpr std::uintmax_t kMaxBytes = (std::uintmax_t{2} << 30) - 1;
  return parse_chakra_trace(read_maybe_gzip_file(path, kMaxBytes), path.string());
}

}  // namespace strata::traces
