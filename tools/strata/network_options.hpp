// What-ifs on the network of the commands that replay a graph on a system (`replay`, `trace info`):
//  - `--nic-bandwidth RATE`: every compute NIC of the system at another line rate ("100Gb/s", "25GB/s"). The
//    collective and transfer models read it as they read the profile's (nic_bandwidth x nic_efficiency per
//    NIC), so a job's inter-node collectives and pipeline sends slow down or speed up with it.
//  - `--nccl-algo LIST`: the algorithms NCCL's tuner may choose, as NCCL's NCCL_ALGO environment variable
//    takes them ("ring,tree", or "^nvls,nvls_tree" for all but those; words of kNcclAlgorithmNames). The
//    others leave the tuner's table (models/collectives/nccl_cost_model.hpp); without nvls and nvls_tree the
//    system's NVLS bandwidth is not used either. The ring must stay: it is the one algorithm that runs every
//    collective, and NCCL fails a collective that no allowed algorithm runs.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "models/graph/execution_graph.hpp"
#include "models/hardware/system_profile.hpp"

namespace strata::tools {

struct NetworkOptions {
  std::string nic_bandwidth;  // empty: the system's
  std::string nccl_algo;      // empty: every algorithm the system has
  bool empty() const { return nic_bandwidth.empty() && nccl_algo.empty(); }
};

// Adds the options; each value stays empty unless given.
void add_network_options(CLI::App& command, NetworkOptions& options);

// Applies the options to `system` for replaying `graph` and returns the lines that say what changed (empty
// when nothing did). Bad input (exit 2): a rate that does not parse or is not above zero, an unknown
// algorithm or a list without the ring, and an option that would have no effect: NICs for a job that fits
// one NVLink domain (no traffic crosses a NIC), algorithms for a graph with no collective the network model
// prices.
std::string apply_network_options(models::SystemProfile& system, const NetworkOptions& options,
                                  const models::ExecutionGraph& graph);

}  // namespace strata::tools
