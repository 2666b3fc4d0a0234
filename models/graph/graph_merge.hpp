// Several jobs' graphs on one cluster (scenarios/jobs): each job's GPUs moved to where it runs, then the
// graphs joined into one that the executor runs, so that the jobs share the network (flow fidelity).
#pragma once

#include <span>
#include <vector>

#include "models/graph/execution_graph.hpp"

namespace strata::models {

// `graph` with its GPU g (the job's own numbering, 0 .. its GPU count - 1) on cluster GPU `cluster_gpu[g]`,
// in a cluster of `cluster_gpus` GPUs: every rank's GPU and every communicator's GPUs renumbered.
ExecutionGraph placed_on(ExecutionGraph graph, std::span<const int> cluster_gpu, int cluster_gpus);

// One graph holding every part, each part's ranks, tasks, groups, collective instances and send/recv tags
// after those of the parts before it; streams are joined by name. Parts must already sit on disjoint GPUs
// of one cluster (placed_on) and share its GPU count. `first_rank`, when given, receives each part's first
// rank in the merged graph (part p holds ranks first_rank[p] .. first_rank[p + 1] - 1).
ExecutionGraph merge_graphs(std::vector<ExecutionGraph> parts, std::vector<int>* first_rank = nullptr);

}  // namespace strata::models
