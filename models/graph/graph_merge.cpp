#include "models/graph/graph_merge.hpp"

#include <algorithm>
#include <string>

#include "sim/error.hpp"

namespace strata::models {

ExecutionGraph placed_on(ExecutionGraph graph, std::span<const int> cluster_gpu, int cluster_gpus) {
  const auto to_cluster = [&](int gpu) {
    if (gpu < 0 || static_cast<std::size_t>(gpu) >= cluster_gpu.size())
      throw sim::SimulationError("a job's GPU " + std::to_string(gpu) + " has no place on the cluster");
    return cluster_gpu[static_cast<std::size_t>(gpu)];
  };
  std::vector<int> gpu_of_rank;
  for (int rank = 0; rank < graph.ranks; ++rank) gpu_of_rank.push_back(to_cluster(graph.gpu_of(rank)));
  graph.gpu_of_rank = std::move(gpu_of_rank);
  for (CommGroup& group : graph.groups) {
    for (int& gpu : group.gpus) gpu = to_cluster(gpu);
  }
  graph.gpus = cluster_gpus;
  return graph;
}

ExecutionGraph merge_graphs(std::vector<ExecutionGraph> parts, std::vector<int>* first_rank) {
  ExecutionGraph merged;
  if (first_rank != nullptr) first_rank->clear();
  // Reserved at once: the jobs' graphs hold millions of tasks, and growing one doubling at a time moved
  // (and page-faulted) every task several times.
  std::size_t tasks = 0;
  std::size_t groups = 0;
  std::size_t ranks = 0;
  for (const ExecutionGraph& part : parts) {
    tasks += part.tasks.size();
    groups += part.groups.size();
    ranks += static_cast<std::size_t>(part.ranks);
  }
  merged.tasks.reserve(tasks);
  merged.groups.reserve(groups);
  merged.gpu_of_rank.reserve(ranks);
  std::uint64_t instances = 0;
  std::uint64_t tags = 0;
  for (ExecutionGraph& part : parts) {
    if (merged.gpus == 0) merged.gpus = part.gpu_count();
    if (part.gpu_count() != merged.gpus)
      throw sim::SimulationError("merged graphs must sit on one cluster's GPUs");
    const int rank_offset = merged.ranks;
    const auto task_offset = static_cast<TaskId>(merged.tasks.size());
    const auto group_offset = static_cast<int>(merged.groups.size());
    if (first_rank != nullptr) first_rank->push_back(rank_offset);
    std::vector<int> stream_of;  // part's stream -> merged stream, by name
    for (const std::string& name : part.streams) {
      auto found = std::find(merged.streams.begin(), merged.streams.end(), name);
      if (found == merged.streams.end()) found = merged.streams.insert(merged.streams.end(), name);
      stream_of.push_back(static_cast<int>(found - merged.streams.begin()));
    }
    for (int rank = 0; rank < part.ranks; ++rank) merged.gpu_of_rank.push_back(part.gpu_of(rank));
    merged.ranks += part.ranks;
    for (CommGroup& group : part.groups) {
      for (int& rank : group.ranks) rank += rank_offset;
      merged.groups.push_back(std::move(group));
    }
    std::uint64_t part_instances = 0;
    std::uint64_t part_tags = 0;
    for (Task& task : part.tasks) {
      task.id += task_offset;
      for (TaskId& dep : task.deps) dep += task_offset;
      task.rank += rank_offset;
      task.stream = stream_of[static_cast<std::size_t>(task.stream)];
      if (task.type == TaskType::kCollective) {
        task.collective.group += group_offset;
        part_instances = std::max(part_instances, task.collective.instance + 1);
        task.collective.instance += instances;
      }
      if (task.type == TaskType::kSend || task.type == TaskType::kRecv) {
        task.p2p.peer += rank_offset;
        part_tags = std::max(part_tags, task.p2p.tag + 1);
        task.p2p.tag += tags;
      }
      merged.tasks.push_back(std::move(task));
    }
    instances += part_instances;
    tags += part_tags;
  }
  return merged;
}

}  // namespace strata::models
