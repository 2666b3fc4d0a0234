// A jobs file: several training scenarios sharing one cluster (scenarios/README.md, "Jobs sharing a
// cluster"). The file's cluster decides the hardware and network for every job (nodes, topology,
// oversubscription, overrides, jitter); each job is a training scenario of its own, one of its strategies,
// and the nodes it runs on. The jobs meet only in the network, so the file runs at flow fidelity.
//
//   {"name": "two jobs on a 2:1 spine",
//    "cluster": {"system": "dgx-h100", "nodes": 16, "oversubscription": 2, "leaf_radix": 64},
//    "jobs": [{"name": "a", "scenario": "a.json", "strategy": "tp8-dp8", "nodes": {"first": 0, "count": 8}},
//             {"name": "b", "scenario": "b.json", "nodes": [8, 9, 10, 11, 12, 13, 14, 15]}]}
//
// Checked when read (InputError naming the file and JSON path): at least two jobs with unique names, each
// scenario a training scenario on the same system with as many nodes as the job is given, its own cluster
// setting nothing the shared one decides, nodes inside the cluster and no node in two jobs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/scenario_file.hpp"

namespace strata::scenarios {

struct Job {
  std::string name;
  Scenario scenario;         // the job's own scenario (its cluster: the nodes it needs, of the same system)
  std::size_t strategy = 0;  // index into scenario.strategies
  std::vector<int> nodes;    // cluster nodes, in the job's node order
  // The cluster GPU of each of the job's GPUs (job GPU g is on its node g / GPUs per node).
  std::vector<int> cluster_gpus(int gpus_per_node) const;
};

struct JobsFile {
  std::string name;
  std::string description;  // free text
  std::filesystem::path file;
  ClusterSpec cluster;
  std::vector<Job> jobs;
};

JobsFile read_jobs_file(const std::filesystem::path& path, const models::ProfileCatalog& profiles,
                        const models::ModelCatalog& models);

}  // namespace strata::scenarios
