// A scenario's "cluster" (scenarios/README.md, "Cluster"): the node type, how many nodes and GPUs of each
// are used, NIC overrides, the inter-node topology (flow fidelity) and per-GPU or per-node overrides: another
// GPU profile (mixed generations), a slowdown (a straggler), a slower NIC (a degraded link) or NICs down (a
// rail down); and per-kernel time jitter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/hardware/cluster_hardware.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/topology/cluster_topology.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {

// One entry of "overrides": the GPUs it names (a `nodes` entry names every GPU of its nodes) and what it
// changes there.
struct ClusterOverride {
  std::vector<int> gpus;   // global GPU indices, ascending
  std::vector<int> nodes;  // the nodes named (entries with "nodes" only), ascending
  std::optional<models::GpuProfile> gpu;
  std::optional<double> slowdown;               // >= 1: kernel time x slowdown
  std::optional<sim::Bandwidth> nic_bandwidth;  // per NIC of each named node
  std::vector<int> nics_down;                   // NICs of each named node that are down (a rail down)
};

struct ClusterSpec {
  models::SystemProfile system;
  models::GpuProfile gpu;
  int nodes = 1;
  models::TopologyOptions topology;
  // Where the topology keys were given (flow fidelity only; analytic refuses them): empty when none was.
  std::optional<sim::JsonLocation> topology_given;
  std::vector<ClusterOverride> overrides;
  std::optional<sim::JsonLocation> overrides_given;
  std::optional<models::KernelJitter> jitter;  // "jitter": {"cv": ..., "seed": ...}
  std::optional<sim::JsonLocation> jitter_given;

  int gpus() const { return nodes * system.gpus_per_node.value; }
  // Every GPU and node alike (no overrides, no jitter): symmetric ranks may be simulated once.
  bool uniform() const { return overrides.empty() && !jitter; }
  // The hardware of every GPU with the overrides applied. It refers to this spec's profiles: the spec must
  // outlive it and stay unchanged.
  models::ClusterHardware hardware() const;
};

ClusterSpec read_cluster(sim::JsonObjectReader r, const models::ProfileCatalog& profiles);

}  // namespace strata::scenarios
