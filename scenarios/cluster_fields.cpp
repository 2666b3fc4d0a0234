#include "scenarios/cluster_fields.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

using sim::JsonLocation;
using sim::JsonObjectReader;

int integer(JsonObjectReader& r, const char* key, int fallback, int min = 1) {
  const nlohmann::json* value = r.optional(key);
  return value == nullptr ? fallback
                          : static_cast<int>(sim::json_integer(*value, r.location_of(key), min, 1'000'000));
}

// `gpus_per_node` below the system's: the scenario uses only the first N GPUs of each node, and the rest of
// the node is idle. Each used GPU keeps its own share of the node's NICs (its rails; at least one NIC per
// node) unless the scenario names `nics_per_node`; an NVLink domain wider than a node keeps its node count.
// The host memory and NVMe of the node are shared by the used GPUs only.
void use_part_of_each_node(models::SystemProfile& system, JsonObjectReader& r) {
  const int full = system.gpus_per_node.value;
  const int used = integer(r, "gpus_per_node", full);
  if (used > full) {
    r.location_of("gpus_per_node")
        .fail("system " + system.name + " has " + std::to_string(full) +
              " GPUs per node; a scenario may use fewer, not more");
  }
  const int domain = system.nvlink_domain_gpus.value;
  int used_domain = domain;
  if (domain >= full) {
    used_domain = domain / full * used;
  } else if (used % domain != 0) {
    if (used > domain) {
      r.location_of("gpus_per_node")
          .fail("must be a multiple of the system's NVLink domain (" + std::to_string(domain) +
                " GPUs) or smaller than it");
    }
    used_domain = used;
  }
  const std::string source = "scenario " + r.location().source + ": " + std::to_string(used) + " of the " +
                             std::to_string(full) + " GPUs of each node";
  system.gpus_per_node = {used, source};
  system.nvlink_domain_gpus = {used_domain, source};
  system.nics_per_node = {std::max(1, system.nics_per_node.value * used / full), source};
}

// The flow network's shape: "topology" (fat-tree or rail-optimized), "oversubscription" (X:1 at the leaf or
// rail switch), "leaf_radix", "tiers" and "pod_leaves" (models/topology/cluster_topology.hpp).
void read_topology(JsonObjectReader& r, ClusterSpec& cluster) {
  static constexpr const char* kKeys[] = {"topology", "oversubscription", "leaf_radix", "tiers",
                                          "pod_leaves"};
  for (const char* key : kKeys) {
    if (r.has(key) && !cluster.topology_given) cluster.topology_given = r.location_of(key);
  }
  models::TopologyOptions& t = cluster.topology;
  if (const nlohmann::json* value = r.optional("topology"))
    t.kind = sim::json_word(*value, r.location_of("topology"), models::kTopologyKindNames);
  if (const nlohmann::json* value = r.optional("oversubscription")) {
    t.oversubscription = sim::json_number(*value, r.location_of("oversubscription"));
    if (!(t.oversubscription >= 1.0 && t.oversubscription <= 1000.0))
      r.location_of("oversubscription").fail("must be between 1 (non-blocking) and 1000 (X:1)");
  }
  t.leaf_radix = integer(r, "leaf_radix", t.leaf_radix);
  t.tiers = integer(r, "tiers", t.tiers, 2);
  if (t.tiers > 3) r.location_of("tiers").fail("a fat tree has 2 or 3 tiers");
  t.pod_leaves = integer(r, "pod_leaves", t.pod_leaves);
  if (r.has("pod_leaves") && t.tiers != 3)
    r.location_of("pod_leaves").fail("has no effect: pods exist in a 3-tier fat tree only (tiers: 3)");
  if (t.kind == models::TopologyKind::kRailOptimized && r.has("tiers"))
    r.location_of("tiers").fail("has no effect: tiers shape a fat tree, not a rail-optimized network");
}

// Indices listed under `key`: each in [0, count), none twice; ascending.
std::vector<int> indices(const nlohmann::json& value, const JsonLocation& at, int count, const char* what) {
  const auto& list = sim::json_array(value, at);
  if (list.empty()) at.fail("names no " + std::string(what) + "; list at least one");
  if (list.size() > static_cast<std::size_t>(count))
    at.fail("lists " + std::to_string(list.size()) + " " + what + "s; the cluster has " +
            std::to_string(count));
  std::vector<int> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto index = static_cast<int>(sim::json_integer(list[i], at.child(i), 0, count - 1));
    if (std::find(out.begin(), out.end(), index) != out.end())
      at.child(i).fail("repeats " + std::string(what) + " " + std::to_string(index));
    out.push_back(index);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ClusterOverride read_override(JsonObjectReader r, const ClusterSpec& cluster,
                              const models::ProfileCatalog& profiles) {
  ClusterOverride entry;
  const int per_node = cluster.system.gpus_per_node.value;
  if (r.has("gpus") == r.has("nodes")) r.location().fail("names \"gpus\" or \"nodes\" (exactly one)");
  if (r.has("gpus")) {
    entry.gpus = indices(r.required("gpus"), r.location_of("gpus"), cluster.gpus(), "GPU");
  } else {
    entry.nodes = indices(r.required("nodes"), r.location_of("nodes"), cluster.nodes, "node");
    for (int node : entry.nodes)
      for (int local = 0; local < per_node; ++local) entry.gpus.push_back(node * per_node + local);
  }
  if (const std::optional<std::string> name = r.optional_string("gpu")) {
    try {
      entry.gpu = profiles.gpu(*name);
    } catch (const sim::InputError& error) {
      if (error.source().empty()) r.location_of("gpu").fail(error.detail());
      throw;
    }
  }
  if (const nlohmann::json* value = r.optional("slowdown")) {
    entry.slowdown = sim::json_number(*value, r.location_of("slowdown"));
    if (!(*entry.slowdown >= 1.0 && *entry.slowdown <= 1000.0)) {
      r.location_of("slowdown")
          .fail(
              "must be between 1 (full speed) and 1000: kernels take this many times longer (a faster GPU "
              "is another \"gpu\" profile)");
    }
  }
  if (const nlohmann::json* value = r.optional("nic_bandwidth")) {
    if (entry.nodes.empty())
      r.location_of("nic_bandwidth").fail("NICs belong to nodes: name them with \"nodes\", not \"gpus\"");
    entry.nic_bandwidth = sim::json_bandwidth(*value, r.location_of("nic_bandwidth"));
    if (!(entry.nic_bandwidth->bytes_per_s() > 0)) {
      r.location_of("nic_bandwidth")
          .fail("must be above zero (a node without a network cannot take part in the job)");
    }
  }
  if (const nlohmann::json* value = r.optional("nics_down")) {
    const JsonLocation at = r.location_of("nics_down");
    if (entry.nodes.empty()) at.fail("NICs belong to nodes: name them with \"nodes\", not \"gpus\"");
    const int nics = cluster.system.nics_per_node.value;
    if (nics < 1) at.fail("system " + cluster.system.name + " has no NICs");
    entry.nics_down = indices(*value, at, nics, "NIC");
    if (static_cast<int>(entry.nics_down.size()) == nics) {
      at.fail("takes down all " + std::to_string(nics) +
              " NICs of a node, which then cannot take part in the job; leave the node out of the cluster");
    }
  }
  if (!entry.gpu && !entry.slowdown && !entry.nic_bandwidth && entry.nics_down.empty())
    r.location().fail("changes nothing: give \"gpu\", \"slowdown\", \"nic_bandwidth\" or \"nics_down\"");
  r.finish();
  return entry;
}

// The overrides, each GPU's and node's property set by one entry at most (two would leave which one holds
// to the reader).
std::vector<ClusterOverride> read_overrides(const nlohmann::json& value, const JsonLocation& at,
                                            const ClusterSpec& cluster,
                                            const models::ProfileCatalog& profiles) {
  std::vector<ClusterOverride> out;
  std::map<std::pair<std::string, int>, std::size_t> set_by;  // (property, GPU or node) -> entry
  const auto& list = sim::json_array(value, at);
  if (list.empty()) at.fail("is empty; leave it out for a uniform cluster");
  for (std::size_t i = 0; i < list.size(); ++i) {
    ClusterOverride entry = read_override(JsonObjectReader(list[i], at.child(i)), cluster, profiles);
    const auto claim = [&](const char* property, int index, const char* what) {
      const auto [found, added] = set_by.emplace(std::pair{std::string(property), index}, i);
      if (!added) {
        at.child(i).fail("sets \"" + std::string(property) + "\" of " + what + " " + std::to_string(index) +
                         ", which entry " + std::to_string(found->second) + " sets too");
      }
    };
    for (int gpu : entry.gpus) {
      if (entry.gpu) claim("gpu", gpu, "GPU");
      if (entry.slowdown) claim("slowdown", gpu, "GPU");
    }
    if (entry.nic_bandwidth)
      for (int node : entry.nodes) claim("nic_bandwidth", node, "node");
    if (!entry.nics_down.empty())
      for (int node : entry.nodes) claim("nics_down", node, "node");
    out.push_back(std::move(entry));
  }
  return out;
}

// "jitter": {"cv": coefficient of variation of every GPU kernel's time, in (0, 1], "seed": integer}.
models::KernelJitter read_jitter(JsonObjectReader r) {
  models::KernelJitter jitter;
  jitter.cv = r.required_number("cv");
  if (!(jitter.cv > 0.0 && jitter.cv <= 1.0))
    r.location_of("cv").fail("must be in (0, 1]: the standard deviation of a kernel's time over its mean");
  jitter.seed = static_cast<std::uint64_t>(r.required_integer("seed", 0, std::int64_t{1} << 53));
  r.finish();
  return jitter;
}

}  // namespace

models::ClusterHardware ClusterSpec::hardware() const {
  models::ClusterHardware hardware(system, gpu);
  for (const ClusterOverride& entry : overrides) {
    for (int g : entry.gpus) {
      if (entry.gpu) hardware.set_gpu(g, *entry.gpu);
      if (entry.slowdown) hardware.set_slowdown(g, *entry.slowdown);
    }
    if (entry.nic_bandwidth) {
      for (int node : entry.nodes) hardware.set_nic_bandwidth(node, *entry.nic_bandwidth);
    }
    if (!entry.nics_down.empty()) {
      for (int node : entry.nodes) hardware.set_nics_down(node, entry.nics_down);
    }
  }
  if (jitter) hardware.set_jitter(*jitter);
  return hardware;
}

ClusterSpec read_cluster(JsonObjectReader r, const models::ProfileCatalog& profiles) {
  ClusterSpec cluster;
  const std::string system = r.required_string("system");
  try {
    cluster.system = profiles.system(system);
    cluster.gpu = profiles.gpu(cluster.system.gpu);
  } catch (const sim::InputError& error) {
    if (error.source().empty()) r.location_of("system").fail(error.detail());
    throw;
  }
  cluster.nodes = integer(r, "nodes", 1);
  if (r.has("gpus_per_node")) use_part_of_each_node(cluster.system, r);
  if (const nlohmann::json* value = r.optional("nic_bandwidth")) {
    cluster.system.nic_bandwidth = {sim::json_bandwidth(*value, r.location_of("nic_bandwidth")),
                                    "scenario " + r.location().source};
    if (!(cluster.system.nic_bandwidth.value.bytes_per_s() > 0))
      r.location_of("nic_bandwidth").fail("must be above zero");
  }
  if (r.has("nics_per_node")) {
    cluster.system.nics_per_node = {integer(r, "nics_per_node", 1), "scenario " + r.location().source};
  }
  read_topology(r, cluster);
  if (const nlohmann::json* value = r.optional("overrides")) {
    cluster.overrides_given = r.location_of("overrides");
    cluster.overrides = read_overrides(*value, r.location_of("overrides"), cluster, profiles);
  }
  if (r.has("jitter")) {
    cluster.jitter_given = r.location_of("jitter");
    cluster.jitter = read_jitter(r.required_object("jitter"));
  }
  r.finish();
  return cluster;
}

}  // namespace strata::scenarios
