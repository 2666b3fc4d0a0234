#include "models/graph/execution_graph.hpp"

#include <algorithm>

#include "sim/error.hpp"

namespace strata::models {

TaskId ExecutionGraph::add(Task task) {
  task.id = static_cast<TaskId>(tasks.size());
  tasks.push_back(std::move(task));
  return tasks.back().id;
}

std::vector<int> ExecutionGraph::group_gpus(const CommGroup& group) const {
  if (!group.gpus.empty()) return group.gpus;
  std::vector<int> out;
  out.reserve(group.ranks.size());
  for (int rank : group.ranks) out.push_back(gpu_of(rank));
  return out;
}

void ExecutionGraph::validate(const std::string& source) const {
  const auto fail = [&](const Task& task, const std::string& detail) {
    throw sim::InputError(source, "/tasks/" + std::to_string(task.id), detail);
  };
  if (ranks < 1) throw sim::InputError(source, "/ranks", "must be at least 1");
  if (gpus != 0 && gpus < ranks) throw sim::InputError(source, "/gpus", "fewer GPUs than simulated ranks");
  if (!gpu_of_rank.empty()) {
    if (gpu_of_rank.size() != static_cast<std::size_t>(ranks)) {
      throw sim::InputError(source, "/gpu_of_rank", "needs one entry per rank");
    }
    for (std::size_t r = 0; r < gpu_of_rank.size(); ++r) {
      if (gpu_of_rank[r] < 0 || gpu_of_rank[r] >= gpu_count()) {
        throw sim::InputError(source, "/gpu_of_rank/" + std::to_string(r), "GPU out of range");
      }
    }
  }
  // A communicator holds each rank, and each GPU, once.
  const auto check_distinct = [&](const std::vector<int>& members, const std::string& path) {
    std::vector<int> sorted = members;
    std::sort(sorted.begin(), sorted.end());
    const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end())
      throw sim::InputError(source, path, "lists " + std::to_string(*twice) + " twice");
  };
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::string path = "/groups/" + std::to_string(g);
    if (groups[g].ranks.empty()) throw sim::InputError(source, path + "/ranks", "must not be empty");
    for (std::size_t i = 0; i < groups[g].gpus.size(); ++i) {
      if (groups[g].gpus[i] < 0 || groups[g].gpus[i] >= gpu_count()) {
        throw sim::InputError(source, path + "/gpus/" + std::to_string(i), "GPU out of range");
      }
    }
    check_distinct(groups[g].ranks, path + "/ranks");
    check_distinct(groups[g].gpus, path + "/gpus");
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const Task& task = tasks[i];
    if (task.id != i) fail(task, "task ids must be dense and in order");
    if (task.rank < 0 || task.rank >= ranks)
      fail(task, "rank " + std::to_string(task.rank) + " out of range");
    if (task.stream < 0 || task.stream >= static_cast<int>(streams.size())) fail(task, "unknown stream");
    for (TaskId dep : task.deps) {
      if (dep >= task.id) fail(task, "depends on a later task " + std::to_string(dep));
      if (tasks[dep].rank != task.rank)
        fail(task, "depends on task " + std::to_string(dep) + " of another rank");
    }
    if (task.type == TaskType::kCollective) {
      if (task.collective.group < 0 || task.collective.group >= static_cast<int>(groups.size()))
        fail(task, "unknown group");
      const auto& members = groups[static_cast<std::size_t>(task.collective.group)].ranks;
      if (std::find(members.begin(), members.end(), task.rank) == members.end())
        fail(task, "rank is not in its group");
    }
    if ((task.type == TaskType::kSend || task.type == TaskType::kRecv) &&
        (task.p2p.peer < 0 || task.p2p.peer >= ranks || task.p2p.peer == task.rank)) {
      fail(task, "bad peer " + std::to_string(task.p2p.peer));
    }
    if (task.type == TaskType::kHostTransfer && task.transfer.bytes < 0) fail(task, "negative transfer size");
  }
}

}  // namespace strata::models
