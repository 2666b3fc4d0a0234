#include "models/topology/cluster_topology.hpp"

#include <algorithm>

#include "sim/error.hpp"

namespace strata::models {
namespace {

sim::Bandwidth scaled(sim::Bandwidth rate, double factor) {
  return sim::Bandwidth::from_bytes_per_s(rate.bytes_per_s() * factor);
}

}  // namespace

ClusterTopology::ClusterTopology(sim::FluidNetwork& network, const SystemProfile& system, int nodes,
                                 const TopologyOptions& options,
                                 const std::function<sim::Bandwidth(int node)>& nic_bandwidth,
                                 const std::function<int(int node, int nic)>& working_nic)
    : options_(options),
      nodes_(nodes),
      gpus_per_node_(system.gpus_per_node.value),
      nics_per_node_(system.nics_per_node.value),
      domain_nodes_(std::max(1, system.nvlink_domain_gpus.value / system.gpus_per_node.value)) {
  if (nodes < 1) throw sim::InputError("a cluster needs at least one node, got " + std::to_string(nodes));
  if (!(options.oversubscription >= 1.0)) throw sim::InputError("oversubscription must be at least 1 (X:1)");
  if (options.leaf_radix < 1) throw sim::InputError("leaf radix must be at least 1");
  if (options.tiers != 2 && options.tiers != 3) throw sim::InputError("a fat tree has 2 or 3 tiers");
  if (options.pod_leaves < 1) throw sim::InputError("pod size must be at least one leaf");
  if (nodes > domain_nodes_ && nics_per_node_ < 1) {
    throw sim::InputError("system " + system.name + " has no NICs to connect " + std::to_string(nodes) +
                          " nodes");
  }

  const sim::Bandwidth nvlink = system.collectives.ring_busbw.value;
  for (int gpu = 0; gpu < gpu_count(); ++gpu) {
    nvlink_up_.push_back(network.add_resource("gpu" + std::to_string(gpu) + "/nvlink-up", nvlink));
    nvlink_down_.push_back(network.add_resource("gpu" + std::to_string(gpu) + "/nvlink-down", nvlink));
  }
  const sim::Bandwidth nic = scaled(system.nic_bandwidth.value, system.collectives.nic_efficiency.value);
  for (int node = 0; node < nodes; ++node) {
    const sim::Bandwidth rate =
        nic_bandwidth ? scaled(nic_bandwidth(node), system.collectives.nic_efficiency.value) : nic;
    for (int k = 0; k < nics_per_node_; ++k) {
      const std::string name = "node" + std::to_string(node) + "/nic" + std::to_string(k);
      nic_up_.push_back(network.add_resource(name + "-up", rate));
      nic_down_.push_back(network.add_resource(name + "-down", rate));
    }
  }
  if (working_nic) {
    bool any_down = false;
    for (int node = 0; node < nodes; ++node) {
      for (int k = 0; k < nics_per_node_; ++k) {
        working_.push_back(working_nic(node, k));
        any_down = any_down || working_.back() != k;
      }
    }
    if (!any_down) working_.clear();
  }
  // Assign NIC ports to switches, then give each switch pooled uplinks sized by its ports.
  std::vector<int> ports_per_switch;
  for (int node = 0; node < nodes; ++node) {
    for (int k = 0; k < nics_per_node_; ++k) {
      int switch_index = 0;
      if (options.kind == TopologyKind::kFatTree) {
        switch_index = static_cast<int>(port(node, k)) / options.leaf_radix;
      } else {
        switch_index = (node / options.leaf_radix) * nics_per_node_ + k;
      }
      switch_of_port_.push_back(switch_index);
      if (static_cast<int>(ports_per_switch.size()) <= switch_index)
        ports_per_switch.resize(static_cast<std::size_t>(switch_index) + 1, 0);
      ++ports_per_switch[static_cast<std::size_t>(switch_index)];
    }
  }
  const char* kind = options.kind == TopologyKind::kFatTree ? "leaf" : "rail";
  for (std::size_t s = 0; s < ports_per_switch.size(); ++s) {
    const sim::Bandwidth uplink = scaled(nic, ports_per_switch[s] / options.oversubscription);
    const std::string name = std::string(kind) + std::to_string(s);
    switch_up_.push_back(network.add_resource(name + "/up", uplink));
    switch_down_.push_back(network.add_resource(name + "/down", uplink));
  }
  if (options.kind == TopologyKind::kFatTree && options.tiers == 3) {
    const std::size_t pods = (ports_per_switch.size() + static_cast<std::size_t>(options.pod_leaves) - 1) /
                             static_cast<std::size_t>(options.pod_leaves);
    for (std::size_t pod = 0; pod < pods; ++pod) {
      double capacity = 0;
      for (std::size_t s = pod * options.pod_leaves;
           s < std::min(ports_per_switch.size(), (pod + 1) * options.pod_leaves); ++s) {
        capacity += network.capacity(switch_up_[s]).bytes_per_s();
      }
      pod_up_.push_back(network.add_resource("pod" + std::to_string(pod) + "/up",
                                             sim::Bandwidth::from_bytes_per_s(capacity)));
      pod_down_.push_back(network.add_resource("pod" + std::to_string(pod) + "/down",
                                               sim::Bandwidth::from_bytes_per_s(capacity)));
    }
  }
}

bool ClusterTopology::same_nvlink_domain(int gpu_a, int gpu_b) const {
  return node_of(gpu_a) / domain_nodes_ == node_of(gpu_b) / domain_nodes_;
}

int ClusterTopology::rail_of(int gpu) const {
  return nics_per_node_ < 1 ? 0 : (gpu % gpus_per_node_) * nics_per_node_ / gpus_per_node_;
}

int ClusterTopology::nic_of(int gpu) const { return working(node_of(gpu), rail_of(gpu)); }

int ClusterTopology::gpu_on_rail(int node, int rail) const {
  // The first GPU of the node that uses NIC `rail`.
  for (int local = 0; local < gpus_per_node_; ++local) {
    if (local * nics_per_node_ / gpus_per_node_ == rail) return node * gpus_per_node_ + local;
  }
  return node * gpus_per_node_;
}

void ClusterTopology::append_fabric(std::vector<sim::ResourceId>& path, int from_node, int from_nic,
                                    int to_node, int to_nic) const {
  const std::size_t from_port = port(from_node, working(from_node, from_nic));
  const std::size_t to_port = port(to_node, working(to_node, to_nic));
  path.push_back(nic_up_[from_port]);
  const int from_switch = switch_of_port_[from_port];
  const int to_switch = switch_of_port_[to_port];
  if (from_switch != to_switch) {
    path.push_back(switch_up_[static_cast<std::size_t>(from_switch)]);
    if (!pod_up_.empty()) {
      const int from_pod = from_switch / options_.pod_leaves;
      const int to_pod = to_switch / options_.pod_leaves;
      if (from_pod != to_pod) {
        path.push_back(pod_up_[static_cast<std::size_t>(from_pod)]);
        path.push_back(pod_down_[static_cast<std::size_t>(to_pod)]);
      }
    }
    path.push_back(switch_down_[static_cast<std::size_t>(to_switch)]);
  }
  path.push_back(nic_down_[to_port]);
}

std::vector<sim::ResourceId> ClusterTopology::rail_path(int from_gpu, int to_gpu, int rail) const {
  std::vector<sim::ResourceId> path;
  if (nic_of(from_gpu) != rail) {
    path.push_back(nvlink_up(from_gpu));
    path.push_back(nvlink_down(gpu_on_rail(node_of(from_gpu), rail)));
  }
  append_fabric(path, node_of(from_gpu), rail, node_of(to_gpu), rail);
  if (nic_of(to_gpu) != rail) {
    path.push_back(nvlink_up(gpu_on_rail(node_of(to_gpu), rail)));
    path.push_back(nvlink_down(to_gpu));
  }
  return path;
}

std::vector<sim::ResourceId> ClusterTopology::nic_path(int from_node, int to_node, int rail) const {
  std::vector<sim::ResourceId> path;
  append_fabric(path, from_node, rail, to_node, rail);
  return path;
}

std::vector<sim::ResourceId> ClusterTopology::path(int from_gpu, int to_gpu) const {
  if (from_gpu < 0 || to_gpu < 0 || from_gpu >= gpu_count() || to_gpu >= gpu_count()) {
    throw sim::SimulationError("GPU index out of range in a path query");
  }
  if (from_gpu == to_gpu) return {};
  if (same_nvlink_domain(from_gpu, to_gpu)) return {nvlink_up(from_gpu), nvlink_down(to_gpu)};
  if (options_.kind == TopologyKind::kRailOptimized) return rail_path(from_gpu, to_gpu, nic_of(to_gpu));
  // A GPU whose own NIC is down reaches the working one over NVLink, through the GPU attached to it (PXN).
  std::vector<sim::ResourceId> result;
  if (nic_of(from_gpu) != rail_of(from_gpu)) {
    result.push_back(nvlink_up(from_gpu));
    result.push_back(nvlink_down(gpu_on_rail(node_of(from_gpu), nic_of(from_gpu))));
  }
  append_fabric(result, node_of(from_gpu), nic_of(from_gpu), node_of(to_gpu), nic_of(to_gpu));
  if (nic_of(to_gpu) != rail_of(to_gpu)) {
    result.push_back(nvlink_up(gpu_on_rail(node_of(to_gpu), nic_of(to_gpu))));
    result.push_back(nvlink_down(to_gpu));
  }
  return result;
}

}  // namespace strata::models
