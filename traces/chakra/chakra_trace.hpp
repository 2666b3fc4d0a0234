// A Chakra execution trace (MLCommons Chakra; one protobuf file per rank: a stream of varint-length-prefixed
// messages, one GlobalMetadata then Nodes; schema in chakra_et.proto with Chakra's field numbers) as plain
// values, so that nothing past this reader sees generated protobuf code. Schema versions read: 0.0.4
// (ASTRA-sim's microbenchmark workloads) and 1.0.x (Chakra's converter output).
//
// Kept per node: id, name, type, control and data dependencies, duration, whether it ran on the CPU, its
// thread or stream ("tid"), and the communication attributes ASTRA-sim reads (comm_type, comm_size, comm_src,
// comm_dst, comm_tag, pg_name). A damaged file (a length prefix past the end, a message that does not parse)
// is an error naming the file and the byte offset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace strata::traces {

// Chakra's NodeType and CollectiveCommType values (et_def.proto).
enum class ChakraNodeType : int {
  kInvalid = 0,
  kMetadata = 1,
  kMemLoad = 2,
  kMemStore = 3,
  kCompute = 4,
  kSend = 5,
  kRecv = 6,
  kCollective = 7,
};

struct ChakraNode {
  std::uint64_t id = 0;
  std::string name;
  int type = 0;  // a ChakraNodeType value; others (storage, batch, checkpoint) are kept as read
  std::vector<std::uint64_t> data_deps;
  std::vector<std::uint64_t> ctrl_deps;
  std::uint64_t duration_us = 0;
  bool is_cpu_op = false;
  std::int64_t tid = 0;
  std::optional<std::int64_t> comm_type;  // CollectiveCommType
  std::optional<std::int64_t> comm_size;  // bytes
  std::optional<std::int64_t> comm_src;
  std::optional<std::int64_t> comm_dst;
  std::optional<std::int64_t> comm_tag;
  std::string pg_name;
  std::uint64_t offset = 0;  // byte offset of the node's length prefix, for messages
};

struct ChakraTrace {
  std::string source;
  std::string version;  // GlobalMetadata.version, or its "schema" attribute
  std::vector<ChakraNode> nodes;
};

// `bytes` came from `source`. Throws sim::InputError naming the source and the byte offset.
ChakraTrace parse_chakra_trace(const std::string& bytes, const std::string& source);
// A file, plain or gzip (up to 2 GiB - 1 either way).
ChakraTrace read_chakra_trace(const std::filesystem::path& path);

}  // namespace strata::traces
