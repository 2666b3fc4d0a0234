#include "models/hardware/profile_reader.hpp"

#include <charconv>
#include <limits>

#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace strata::models {
namespace {

using sim::JsonLocation;
using sim::JsonObjectReader;

// Reads {"value": <converted by convert>, "source": "<non-empty>"} at parent[key].
template <class Convert>
auto read_sourced(JsonObjectReader& parent, std::string_view key, Convert convert) {
  JsonObjectReader quantity = parent.required_object(key);
  using Value = decltype(convert(quantity.required("value"), quantity.location_of("value")));
  Sourced<Value> result{convert(quantity.required("value"), quantity.location_of("value")), ""};
  result.source = quantity.required_string("source");
  if (result.source.empty())
    quantity.location_of("source").fail(
        "a source is required: datasheet, record id or \"assumed: <reason>\"");
  quantity.finish();
  return result;
}

auto positive_int(int max) {
  return [max](const nlohmann::json& value, const JsonLocation& where) {
    return static_cast<int>(sim::json_integer(value, where, 1, max));
  };
}

double fraction(const nlohmann::json& value, const JsonLocation& where) {
  const double number = sim::json_number(value, where);
  if (!(number > 0.0 && number <= 1.0)) where.fail("expected a fraction in (0, 1], found " + value.dump());
  return number;
}

sim::Bandwidth positive_bandwidth(const nlohmann::json& value, const JsonLocation& where) {
  const sim::Bandwidth bandwidth = sim::json_bandwidth(value, where);
  if (bandwidth.bytes_per_s() <= 0.0) where.fail("bandwidth must be positive");
  return bandwidth;
}

sim::FlopRate positive_flop_rate(const nlohmann::json& value, const JsonLocation& where) {
  const sim::FlopRate rate = sim::json_flop_rate(value, where);
  if (rate.flops_per_s() <= 0.0) where.fail("FLOP rate must be positive");
  return rate;
}

GpuArchitecture architecture(const nlohmann::json& value, const JsonLocation& where) {
  return sim::json_word(value, where, kGpuArchitectureNames);
}

GemmTile tile(const nlohmann::json& value, const JsonLocation& where) {
  const auto& sides = sim::json_array(value, where);
  if (sides.size() != 2) where.fail("expected [m, n], the output tile of one thread block");
  return GemmTile{static_cast<int>(sim::json_integer(sides[0], where.child(std::size_t{0}), 1, 4096)),
                  static_cast<int>(sim::json_integer(sides[1], where.child(std::size_t{1}), 1, 4096))};
}

// {"5": "420GB/s", ...}: GPU count -> bus bandwidth.
std::map<int, sim::Bandwidth> busbw_by_gpus(const nlohmann::json& value, const JsonLocation& where) {
  JsonObjectReader table(value, where);
  std::map<int, sim::Bandwidth> entries;
  for (const std::string& key : table.keys()) {
    int gpus = 0;
    const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), gpus);
    if (error != std::errc() || end != key.data() + key.size() || gpus < 2 || gpus > 100'000) {
      table.location_of(key).fail("expected a GPU count of at least 2 as the key, found \"" + key + "\"");
    }
    entries.emplace(gpus, positive_bandwidth(table.required(key), table.location_of(key)));
  }
  if (entries.empty()) where.fail("at least one GPU count is required");
  return entries;
}

// [[bytes, fraction], ...] ascending in bytes, fractions in (0, 1].
std::vector<std::pair<sim::Bytes, double>> size_ramp(const nlohmann::json& value, const JsonLocation& where) {
  const auto& points = sim::json_array(value, where);
  if (points.size() < 2) where.fail("expected at least two [bytes, fraction] points");
  std::vector<std::pair<sim::Bytes, double>> ramp;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const JsonLocation at = where.child(i);
    const auto& pair = sim::json_array(points[i], at);
    if (pair.size() != 2) at.fail("expected [bytes, fraction]");
    const sim::Bytes bytes = sim::json_bytes(pair[0], at.child(std::size_t{0}));
    if (bytes.count() <= 0) at.child(std::size_t{0}).fail("size must be positive");
    if (!ramp.empty() && bytes <= ramp.back().first)
      at.child(std::size_t{0}).fail("sizes must be strictly ascending");
    ramp.emplace_back(bytes, fraction(pair[1], at.child(std::size_t{1})));
  }
  return ramp;
}

// [one node, two nodes, more]: three bandwidths.
std::array<sim::Bandwidth, 3> three_bandwidths(const nlohmann::json& value, const JsonLocation& where) {
  const auto& items = sim::json_array(value, where);
  if (items.size() != 3) where.fail("expected three bandwidths: [one node, two nodes, more nodes]");
  std::array<sim::Bandwidth, 3> result;
  for (std::size_t i = 0; i < 3; ++i) result[i] = positive_bandwidth(items[i], where.child(i));
  return result;
}

std::array<int, 3> three_channel_counts(const nlohmann::json& value, const JsonLocation& where) {
  const auto& items = sim::json_array(value, where);
  if (items.size() != 3)
    where.fail("expected three CTA counts: [collective inside a node, collective across nodes, send/recv]");
  std::array<int, 3> result{};
  for (std::size_t i = 0; i < 3; ++i)
    result[i] = static_cast<int>(sim::json_integer(items[i], where.child(i), 1, 1024));
  return result;
}

// A key of `object` that must be one of `names`' words: "unknown NCCL <what> ..." otherwise.
template <class Enum, std::size_t N>
Enum named_key(const JsonObjectReader& object, const std::string& key, const sim::NameTable<Enum, N>& names,
               const char* what) {
  const auto value = names.value(key);
  if (!value)
    object.location_of(key).fail("unknown NCCL " + std::string(what) + " \"" + key +
                                 "\" (known: " + names.choices() + ")");
  return *value;
}

// {"ring": {"ll": V, "ll128": V, "simple": V}, "tree": {...}, ...}: algorithms and protocols by their NCCL
// names; a pair left out is one NCCL does not run.
template <class Convert>
auto nccl_table(Convert convert) {
  return [convert](const nlohmann::json& value, const JsonLocation& where) {
    using Cell = decltype(convert(value, where));
    NcclTable<Cell> table;
    JsonObjectReader algorithms(value, where);
    for (const std::string& algorithm_name : algorithms.keys()) {
      const NcclAlgorithm algorithm = named_key(algorithms, algorithm_name, kNcclAlgorithmNames, "algorithm");
      JsonObjectReader protocols(algorithms.required(algorithm_name), algorithms.location_of(algorithm_name));
      for (const std::string& protocol_name : protocols.keys()) {
        const NcclProtocol protocol = named_key(protocols, protocol_name, kNcclProtocolNames, "protocol");
        table.at(algorithm, protocol) =
            convert(protocols.required(protocol_name), protocols.location_of(protocol_name));
      }
    }
    return table;
  };
}

// {"ll": [f0, ..., f22], "ll128": [...], "simple": [...]}: every protocol, one fraction per size class.
auto tree_correction(const nlohmann::json& value, const JsonLocation& where) {
  constexpr std::size_t kSizes = NcclTuning::kTreeCorrectionSizes;
  std::array<std::array<double, kSizes>, kNcclProtocolCount> table{};
  JsonObjectReader protocols(value, where);
  for (const auto& [protocol, name] : kNcclProtocolNames.entries) {
    const JsonLocation at = protocols.location_of(name);
    const auto& factors = sim::json_array(protocols.required(name), at);
    if (factors.size() != kSizes)
      at.fail("expected " + std::to_string(kSizes) + " factors, for 64 B x 2^0 .. 2^" +
              std::to_string(kSizes - 1));
    for (std::size_t i = 0; i < kSizes; ++i)
      table[static_cast<std::size_t>(protocol)][i] = fraction(factors[i], at.child(i));
  }
  protocols.finish();
  return table;
}

double positive_number(const nlohmann::json& value, const JsonLocation& where) {
  const double number = sim::json_number(value, where);
  if (!(number > 0.0 && number < 1e6)) where.fail("expected a positive number, found " + value.dump());
  return number;
}

// Reads a map keyed by dtype name ("bf16": {...}); unknown dtype names are errors.
template <class Convert>
auto read_dtype_map(JsonObjectReader& parent, std::string_view key, Convert convert) {
  JsonObjectReader table = parent.required_object(key);
  using Entry = decltype(read_sourced(table, "", convert));
  std::map<Dtype, Entry> entries;
  for (const std::string& name : table.keys()) {
    const auto dtype = dtype_from_name(name);
    if (!dtype)
      table.location_of(name).fail("unknown dtype \"" + name +
                                   "\" (known: fp32, tf32, bf16, fp16, fp8, fp4)");
    entries.emplace(*dtype, read_sourced(table, name, convert));
  }
  if (entries.empty()) table.location().fail("at least one dtype is required");
  return entries;
}

// Checks the common header and returns the reader positioned on the document.
JsonObjectReader open_profile(const nlohmann::json& document, const std::filesystem::path& path,
                              std::string_view kind, std::string& name, std::string& display_name) {
  JsonObjectReader root(document, JsonLocation{path.string(), ""});
  const auto version = root.required_integer("strata_profile", 0, std::numeric_limits<int>::max());
  if (version != kProfileFormatVersion) {
    root.location_of("strata_profile")
        .fail("unsupported profile format version " + std::to_string(version) +
              " (this Strata reads version " + std::to_string(kProfileFormatVersion) + ")");
  }
  if (root.required_string("kind") != kind)
    root.location_of("kind").fail("expected \"" + std::string(kind) + "\"");
  name = root.required_string("name");
  if (name != path.stem().string()) {
    root.location_of("name").fail("profile name \"" + name + "\" must match the file name \"" +
                                  path.stem().string() + "\"");
  }
  display_name = root.required_string("display_name");
  return root;
}

}  // namespace

GpuProfile read_gpu_profile(const std::filesystem::path& path) {
  const nlohmann::json document = sim::read_json_file(path);
  GpuProfile gpu;
  JsonObjectReader root = open_profile(document, path, "gpu", gpu.name, gpu.display_name);
  gpu.architecture = read_sourced(root, "architecture", architecture);
  gpu.sm_count = read_sourced(root, "sm_count", positive_int(100'000));
  JsonObjectReader memory = root.required_object("memory");
  gpu.memory_capacity = read_sourced(memory, "capacity", sim::json_bytes);
  gpu.memory_bandwidth = read_sourced(memory, "bandwidth", positive_bandwidth);
  memory.finish();
  gpu.peak_flops = read_dtype_map(root, "peak_flops", positive_flop_rate);
  JsonObjectReader efficiency = root.required_object("efficiency");
  gpu.gemm_max_efficiency = read_dtype_map(efficiency, "gemm_max", fraction);
  gpu.gemm_tile = read_sourced(efficiency, "gemm_tile", tile);
  gpu.gemm_tile_overhead = read_sourced(efficiency, "gemm_tile_overhead", sim::json_duration);
  gpu.attention_efficiency = read_sourced(efficiency, "attention", fraction);
  if (efficiency.has("attention_triton"))
    gpu.attention_triton_efficiency = read_sourced(efficiency, "attention_triton", fraction);
  gpu.memory_efficiency = read_sourced(efficiency, "memory", fraction);
  efficiency.finish();
  gpu.kernel_launch_overhead = read_sourced(root, "kernel_launch_overhead", sim::json_duration);
  root.finish();
  for (const auto& [dtype, unused] : gpu.gemm_max_efficiency) {
    if (!gpu.peak_flops.contains(dtype)) {
      root.location_of("efficiency")
          .child("gemm_max")
          .child(dtype_name(dtype))
          .fail("GEMM efficiency given for " + std::string(dtype_name(dtype)) +
                " but peak_flops has no such dtype");
    }
  }
  return gpu;
}

SystemProfile read_system_profile(const std::filesystem::path& path) {
  const nlohmann::json document = sim::read_json_file(path);
  SystemProfile system;
  JsonObjectReader root = open_profile(document, path, "system", system.name, system.display_name);
  system.gpu = root.required_string("gpu");
  system.gpus_per_node = read_sourced(root, "gpus_per_node", positive_int(1024));
  JsonObjectReader nvlink = root.required_object("nvlink");
  system.nvlink_domain_gpus = read_sourced(nvlink, "domain_gpus", positive_int(100'000));
  system.nvlink_bandwidth = read_sourced(nvlink, "bandwidth_per_gpu", positive_bandwidth);
  system.nvls = read_sourced(nvlink, "nvls", sim::json_bool);
  nvlink.finish();
  JsonObjectReader host_link = root.required_object("host_link");
  system.host_to_device = read_sourced(host_link, "host_to_device", positive_bandwidth);
  system.device_to_host = read_sourced(host_link, "device_to_host", positive_bandwidth);
  host_link.finish();
  JsonObjectReader host_memory = root.required_object("host_memory");
  system.host_memory_capacity = read_sourced(host_memory, "capacity", sim::json_bytes);
  system.host_memory_bandwidth = read_sourced(host_memory, "bandwidth", positive_bandwidth);
  host_memory.finish();
  JsonObjectReader nvme = root.required_object("nvme");
  system.nvme_capacity = read_sourced(nvme, "capacity", sim::json_bytes);
  system.nvme_bandwidth = read_sourced(nvme, "bandwidth", positive_bandwidth);
  nvme.finish();
  JsonObjectReader network = root.required_object("network");
  system.nics_per_node = read_sourced(network, "nics_per_node", positive_int(1024));
  system.nic_bandwidth = read_sourced(network, "nic_bandwidth", positive_bandwidth);
  network.finish();
  JsonObjectReader collectives = root.required_object("collectives");
  system.collectives.ring_busbw = read_sourced(collectives, "ring_busbw", positive_bandwidth);
  if (system.nvls.value) {
    system.collectives.nvls_busbw_by_gpus = read_sourced(collectives, "nvls_busbw_by_gpus", busbw_by_gpus);
  }
  system.collectives.size_ramp = read_sourced(collectives, "size_ramp", size_ramp);
  system.collectives.nic_efficiency = read_sourced(collectives, "nic_efficiency", fraction);
  system.collectives.nccl = read_sourced(collectives, "nccl", sim::json_string);
  system.collectives.ll_max_busbw = read_sourced(collectives, "ll_max_busbw", three_bandwidths);
  system.collectives.net_overhead = read_sourced(collectives, "net_overhead", sim::json_duration);
  system.collectives.nccl_channels = read_sourced(collectives, "nccl_channels", three_channel_counts);
  collectives.finish();
  root.finish();
  if (system.nvlink_domain_gpus.value % system.gpus_per_node.value != 0 &&
      system.gpus_per_node.value % system.nvlink_domain_gpus.value != 0) {
    root.location_of("nvlink").child("domain_gpus").fail("must be a multiple or a divisor of gpus_per_node");
  }
  return system;
}

NcclTuning read_nccl_tuning(const std::filesystem::path& path) {
  const nlohmann::json document = sim::read_json_file(path);
  NcclTuning tuning;
  std::string display_name;
  JsonObjectReader root = open_profile(document, path, "nccl", tuning.name, display_name);
  tuning.base_latency = read_sourced(root, "base_latency", nccl_table(sim::json_duration));
  tuning.nvlink_latency = read_sourced(root, "nvlink_latency", nccl_table(sim::json_duration));
  tuning.network_latency = read_sourced(root, "network_latency", nccl_table(sim::json_duration));
  tuning.bandwidth_factor = read_sourced(root, "bandwidth_factor", nccl_table(fraction));
  tuning.simple_net_overhead_factor = read_sourced(root, "simple_net_overhead_factor", positive_number);
  tuning.pat_rank_latency = read_sourced(root, "pat_rank_latency", sim::json_duration);
  tuning.pat_level_latency_divisor = read_sourced(root, "pat_level_latency_divisor", positive_number);
  tuning.tree_correction_factor = read_sourced(root, "tree_correction_factor", tree_correction);
  tuning.ring_plateau_latency_factor = read_sourced(root, "ring_plateau_latency_factor", positive_number);
  tuning.ring_plateau_min_bytes_per_rank =
      read_sourced(root, "ring_plateau_min_bytes_per_rank", sim::json_bytes);
  root.finish();
  // Every pair that has a bandwidth needs its three latencies: the cost model reads them together.
  for (std::size_t a = 0; a < kNcclAlgorithmCount; ++a) {
    for (std::size_t p = 0; p < kNcclProtocolCount; ++p) {
      const auto algorithm = static_cast<NcclAlgorithm>(a);
      const auto protocol = static_cast<NcclProtocol>(p);
      if (!tuning.bandwidth_factor.value.at(algorithm, protocol)) continue;
      const std::pair<const char*, const NcclTable<sim::SimTime>*> latencies[] = {
          {"base_latency", &tuning.base_latency.value},
          {"nvlink_latency", &tuning.nvlink_latency.value},
          {"network_latency", &tuning.network_latency.value}};
      for (const auto& [key, table] : latencies) {
        if (!table->at(algorithm, protocol)) {
          root.location_of(key).fail(
              std::string("no latency for ") + std::string(kNcclAlgorithmNames.name(algorithm)) + "/" +
              std::string(kNcclProtocolNames.name(protocol)) + ", which bandwidth_factor lists");
        }
      }
    }
  }
  return tuning;
}

FrameworkProfile read_framework_profile(const std::filesystem::path& path) {
  const nlohmann::json document = sim::read_json_file(path);
  FrameworkProfile framework;
  JsonObjectReader root = open_profile(document, path, "framework", framework.name, framework.display_name);
  framework.zero3_collectives =
      read_sourced(root, "zero3_collectives", [](const nlohmann::json& value, const JsonLocation& where) {
        return sim::json_word(value, where, kZero3CollectivesNames);
      });
  framework.zero3_prefetch = read_sourced(root, "zero3_prefetch", sim::json_bool);
  framework.zero3_copies_per_rank = read_sourced(root, "zero3_copies_per_rank", sim::json_bool);
  framework.zero3_host_time_per_rank = read_sourced(root, "zero3_host_time_per_rank", sim::json_duration);
  if (framework.zero3_host_time_per_rank.value > kMaxHostPerKernel) {
    root.location_of("zero3_host_time_per_rank")
        .fail("at most 1s: the host's work per rank of one collective");
  }
  if (framework.zero3_host_time_per_rank.value > sim::SimTime::zero() &&
      !framework.zero3_copies_per_rank.value) {
    root.location_of("zero3_host_time_per_rank")
        .fail(
            "has no effect: only a framework that copies per rank (\"zero3_copies_per_rank\": true) loops "
            "over the ranks on the host");
  }
  // A count of parameters: a whole number, bounded far above any model's.
  const auto elements = [](const nlohmann::json& value, const JsonLocation& where) {
    return static_cast<double>(sim::json_integer(value, where, 0, std::int64_t{1} << 50));
  };
  framework.zero3_persistence_threshold = read_sourced(root, "zero3_persistence_threshold", elements);
  if (framework.zero3_persistence_threshold.value > 0 &&
      framework.zero3_collectives.value != Zero3Collectives::kPerTensor) {
    root.location_of("zero3_persistence_threshold")
        .fail(
            "has no effect: tensors stay gathered one by one only with \"zero3_collectives\": "
            "\"per_tensor\"");
  }
  framework.zero3_max_reuse_distance = read_sourced(
      root, "zero3_max_reuse_distance",
      [&elements](const nlohmann::json& value, const JsonLocation& where) -> std::optional<double> {
        if (value == "unlimited") return std::nullopt;
        if (value.is_string())
          where.fail("expected a number of elements or \"unlimited\", found " + value.dump());
        return elements(value, where);
      });
  if (framework.zero3_max_reuse_distance.value &&
      framework.zero3_collectives.value != Zero3Collectives::kPerTensor) {
    root.location_of("zero3_max_reuse_distance")
        .fail(
            "has no effect: a layer gathered as one unit is kept from its recompute forward to its backward; "
            "only \"zero3_collectives\": \"per_tensor\" releases tensors by reuse distance (use "
            "\"unlimited\")");
  }
  root.finish();
  return framework;
}

}  // namespace strata::models
