// Chakra execution traces: the protobuf stream read with Chakra's field numbers (ASTRA-sim's microbenchmark
// workloads and a converter-made trace of 3,664 nodes, both real), their replay, and damaged files.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "../support/input_error.hpp"
#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/network/analytic_backend.hpp"
#include "traces/chakra/chakra_import.hpp"
#include "traces/chakra/chakra_trace.hpp"
#include "traces/data_parallel_scaling.hpp"
#include "traces/graph_file.hpp"

using namespace strata;

namespace {

const std::string kData = std::string(STRATA_TRACE_FIXTURES) + "/chakra";

// A minimal protobuf writer for synthetic traces (wire format: key = field << 3 | wire type).
std::string varint(std::uint64_t value) {
  std::string out;
  do {
    std::uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (value != 0);
  return out;
}
std::string integer_field(int field, std::uint64_t value) { return varint(field << 3) + varint(value); }
std::string bytes_field(int field, const std::string& bytes) {
  return varint((field << 3) | 2) + varint(bytes.size()) + bytes;
}
std::string int_attribute(const std::string& name, std::int64_t value) {
  return bytes_field(10, bytes_field(1, name) + integer_field(9, static_cast<std::uint64_t>(value)));
}
std::string bool_attribute(const std::string& name, bool value) {
  return bytes_field(10, bytes_field(1, name) + integer_field(27, value ? 1 : 0));
}
std::string delimited(const std::string& message) { return varint(message.size()) + message; }

struct SyntheticNode {
  std::uint64_t id;
  int type;  // ChakraNodeType
  std::uint64_t duration_us;
  std::vector<std::uint64_t> data_deps;
  std::string attributes;  // encoded AttributeProto fields
};

std::string node_bytes(const SyntheticNode& n) {
  std::string deps;
  for (std::uint64_t d : n.data_deps) deps += varint(d);
  std::string node = integer_field(1, n.id) + bytes_field(2, "node" + std::to_string(n.id)) +
                     integer_field(3, static_cast<std::uint64_t>(n.type));
  if (!deps.empty()) node += bytes_field(5, deps);
  return node + integer_field(7, n.duration_us) + n.attributes;
}

std::string trace_bytes(const std::vector<SyntheticNode>& nodes) {
  std::string out = delimited(bytes_field(1, "0.0.4"));
  for (const SyntheticNode& n : nodes) out += delimited(node_bytes(n));
  return out;
}

constexpr int kComp = 4, kSend = 5, kRecv = 6, kColl = 7;

models::ExecutionResult replay(const models::ExecutionGraph& graph, const std::string& system_name) {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::SystemProfile system = profiles.system(system_name);
  return models::execute(graph, profiles.gpu(system.gpu), system);
}

}  // namespace

TEST_CASE("ASTRA-sim's microbenchmark traces replay as one collective over the 8 ranks", "[chakra]") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::SystemProfile system = profiles.system("dgx-h100");
  for (const auto& [name, op] : {std::pair{"all_reduce", models::CollectiveOp::kAllReduce},
                                 std::pair{"all_to_all", models::CollectiveOp::kAllToAll},
                                 std::pair{"reduce_scatter", models::CollectiveOp::kReduceScatter}}) {
    INFO(name);
    std::vector<traces::ChakraTrace> ranks;
    for (int r = 0; r < 8; ++r)
      ranks.push_back(traces::read_chakra_trace(kData + "/" + name + "-8npus-1MB/" + name + "." +
                                                std::to_string(r) + ".et"));
    CHECK(ranks[0].version == "0.0.4");
    const traces::ChakraImport imported = traces::import_chakra(ranks);
    CHECK(imported.modelled_collectives == 8);
    REQUIRE(imported.graph.tasks.size() == 8);
    CHECK(imported.graph.tasks[0].collective.op == op);
    CHECK(imported.graph.tasks[0].collective.bytes == 1048576);
    // Its time is the collective's alone on the node's eight GPUs.
    const std::vector<int> gpus{0, 1, 2, 3, 4, 5, 6, 7};
    const sim::SimTime alone =
        models::analytic_collective_over(system, op, sim::Bytes::from_count(1048576), gpus).time;
    CHECK(replay(imported.graph, "dgx-h100").makespan == alone);
  }
}

TEST_CASE("a converter-made Chakra trace of 3,664 nodes replays end to end", "[chakra]") {
  const traces::ChakraTrace trace = traces::read_chakra_trace(kData + "/chakra-feeder-test.0.et.gz");
  CHECK(trace.version == "1.0.1");
  CHECK(trace.nodes.size() == 3664);
  const traces::ChakraImport imported = traces::import_chakra({trace}, {8});
  CHECK(imported.modelled_collectives == 7);
  CHECK(imported.measured_communication.at("no comm_type and comm_size (a CPU-side dispatch)") == 14);
  CHECK(imported.graph.gpu_count() == 8);
  // Its GPU stream 7 alone holds 292.8 ms of kernels: the replay can be no shorter.
  const double seconds = replay(imported.graph, "dgx-a100").makespan.seconds();
  CHECK(seconds > 0.2928);
  CHECK(seconds < 0.35);
  const traces::ChakraImport again = traces::import_chakra({trace}, {8});
  CHECK(traces::graph_to_text(again.graph) == traces::graph_to_text(imported.graph));
}

TEST_CASE("Chakra nodes run after their data dependencies, and sends meet their receives", "[chakra]") {
  // Rank 0: A (10 us) then B (20 us, after A) on GPU stream 7, then a send of 1 MiB to rank 1 after B.
  // Rank 1: C (5 us), and the matching receive; D (1 us) after the receive.
  const std::string stream7 = int_attribute("tid", 7) + bool_attribute("is_cpu_op", false);
  const std::string to_rank1 =
      int_attribute("comm_dst", 1) + int_attribute("comm_size", 1 << 20) + int_attribute("comm_tag", 42);
  const std::string from_rank0 =
      int_attribute("comm_src", 0) + int_attribute("comm_size", 1 << 20) + int_attribute("comm_tag", 42);
  const traces::ChakraTrace rank0 = traces::parse_chakra_trace(
      trace_bytes({{5, kComp, 10, {}, stream7}, {6, kComp, 20, {5}, stream7}, {7, kSend, 0, {6}, to_rank1}}),
      "r0.et");
  const traces::ChakraTrace rank1 = traces::parse_chakra_trace(
      trace_bytes({{1, kComp, 5, {}, stream7}, {2, kRecv, 0, {}, from_rank0}, {3, kComp, 1, {2}, stream7}}),
      "r1.et");
  const traces::ChakraImport imported = traces::import_chakra({rank0, rank1});
  CHECK(imported.modelled_transfers == 2);
  const models::ExecutionResult result = replay(imported.graph, "dgx-h100");
  const models::ExecutionResult alone = [&] {
    return replay(
        traces::import_chakra(
            {traces::parse_chakra_trace(
                trace_bytes({{5, kComp, 10, {}, stream7}, {6, kComp, 20, {5}, stream7}}), "alone.et")})
            .graph,
        "dgx-h100");
  }();
  CHECK(alone.makespan == sim::SimTime::from_us(30));
  CHECK(result.makespan > sim::SimTime::from_us(31));  // the transfer and D follow A and B
  // A collective that the model does not price keeps its duration; so does one without its attributes.
  const traces::ChakraTrace gather = traces::parse_chakra_trace(
      trace_bytes({{1, kColl, 7, {}, int_attribute("comm_type", 3) + int_attribute("comm_size", 1024)},
                   {2, kColl, 9, {1}, bool_attribute("is_cpu_op", true)}}),
      "g.et");
  const traces::ChakraImport kept = traces::import_chakra({gather});
  CHECK(kept.measured_communication.at("comm_type GATHER is not priced by the network model") == 1);
  CHECK(replay(kept.graph, "dgx-h100").makespan == sim::SimTime::from_us(16));
}

TEST_CASE("a damaged or inconsistent Chakra trace names the file and the byte or node", "[chakra]") {
  const std::string good = trace_bytes({{1, kComp, 10, {}, ""}, {2, kComp, 10, {1}, ""}});
  CHECK_THAT(error_of([&] { traces::parse_chakra_trace(good.substr(0, good.size() - 3), "cut.et"); }),
             Catch::StartsWith("cut.et: the message at byte") && Catch::Contains("claims"));
  CHECK_THAT(
      error_of([&] { traces::parse_chakra_trace(std::string("\xff\xff\xff\xff\xff\xff", 6), "v.et"); }),
      Catch::StartsWith("v.et: a damaged length prefix at byte 0"));
  CHECK_THAT(error_of([&] { traces::parse_chakra_trace("", "empty.et"); }),
             Catch::StartsWith("empty.et: empty"));
  const std::string garbage = delimited(bytes_field(1, "0.0.4")) + delimited(std::string("\x0a\xff\x01", 3));
  CHECK_THAT(error_of([&] { traces::parse_chakra_trace(garbage, "g.et"); }),
             Catch::StartsWith("g.et: the node at byte 8 does not parse"));
  const std::string text_size =
      trace_bytes({{1, kColl, 1, {}, bytes_field(10, bytes_field(1, "comm_size") + bytes_field(29, "big"))}});
  CHECK_THAT(error_of([&] {
               traces::parse_chakra_trace(trace_bytes({{1, kComp, 1ull << 50, {}, ""}}), "d.et");
             }),
             Catch::Contains("duration_micros 1125899906842624 is more than a day"));  // fuzzer find
  CHECK_THAT(error_of([&] { traces::parse_chakra_trace(text_size, "a.et"); }),
             Catch::Contains("attribute comm_size is not an integer"));
  const auto import_error = [](const std::vector<SyntheticNode>& nodes) {
    return error_of([&] { traces::import_chakra({traces::parse_chakra_trace(trace_bytes(nodes), "t.et")}); });
  };
  CHECK_THAT(
      import_error({{1, kComp, 1, {2}, ""}, {2, kComp, 1, {1}, ""}}),
      Catch::StartsWith("t.et: node 1 (\"node1\", at byte") && Catch::EndsWith("is on a dependency cycle"));
  CHECK_THAT(import_error({{1, kComp, 1, {}, ""}, {1, kComp, 1, {}, ""}}),
             Catch::Contains("the id is used twice"));
  CHECK_THAT(import_error({}), Catch::StartsWith("t.et: no nodes"));  // fuzzer find: nothing to run
  // A dependency on a node the trace does not have is dropped and counted.
  const traces::ChakraImport dropped =
      traces::import_chakra({traces::parse_chakra_trace(trace_bytes({{1, kComp, 1, {99}, ""}}), "t.et")});
  CHECK(dropped.absent_dependencies == 1);
  CHECK_THAT(error_of([&] {
               traces::import_chakra(
                   {traces::parse_chakra_trace(good, "a.et"), traces::parse_chakra_trace(good, "b.et")}, {1});
             }),
             Catch::Contains("--world-size: 1 is fewer than the 2 traces given"));
}

TEST_CASE(
    "more replicas (--dp) grow the job's data-parallel groups, priced by the network model at that scale",
    "[chakra][dp]") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::SystemProfile system = profiles.system("dgx-h100");
  std::vector<traces::ChakraTrace> ranks;
  for (int r = 0; r < 8; ++r)
    ranks.push_back(
        traces::read_chakra_trace(kData + "/all_reduce-8npus-1MB/all_reduce." + std::to_string(r) + ".et"));
  sim::SimTime previous = sim::SimTime::zero();
  for (int replicas : {8, 16, 64, 512}) {
    INFO(replicas << " replicas");
    traces::ChakraImport imported = traces::import_chakra(ranks);
    const traces::DataParallelScaling scaling = traces::scale_data_parallel(imported.graph, replicas);
    CHECK(scaling.from_gpus == 8);
    CHECK(scaling.to_gpus == replicas);
    CHECK(scaling.collectives == 8);
    std::vector<int> gpus(static_cast<std::size_t>(replicas));
    for (int g = 0; g < replicas; ++g) gpus[static_cast<std::size_t>(g)] = g;
    const sim::SimTime alone = models::analytic_collective_over(system, models::CollectiveOp::kAllReduce,
                                                                sim::Bytes::from_count(1048576), gpus)
                                   .time;
    const sim::SimTime replayed = replay(imported.graph, "dgx-h100").makespan;
    CHECK(replayed == alone);
    CHECK(replayed > previous);  // more ring steps, then nodes: an all-reduce only gets slower
    previous = replayed;
  }
  traces::ChakraImport imported = traces::import_chakra(ranks);
  CHECK_THAT(error_of([&] { traces::scale_data_parallel(imported.graph, 4); }),
             Catch::Contains("4 replicas cannot hold the traced work on GPU 7"));
}
