#include "traces/data_parallel_scaling.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "sim/error.hpp"

namespace strata::traces {

DataParallelScaling scale_data_parallel(models::ExecutionGraph& graph, int replicas) {
  if (replicas < 1) throw sim::InputError("command line", "--dp", "must be at least 1");
  const int world = graph.gpu_count();
  std::set<int> whole_job;  // groups over every GPU
  for (std::size_t g = 0; g < graph.groups.size(); ++g)
    if (static_cast<int>(graph.group_gpus(graph.groups[g]).size()) == world)
      whole_job.insert(static_cast<int>(g));
  DataParallelScaling scaling;
  for (const models::Task& task : graph.tasks)
    if (task.type == models::TaskType::kCollective && whole_job.count(task.collective.group) > 0)
      ++scaling.collectives;
  if (scaling.collectives == 0) {
    throw sim::InputError("command line", "--dp",
                          "the trace has no collective over the whole job (" + std::to_string(world) +
                              " GPUs), so no data-parallel group to scale");
  }
  const int new_world = replicas;  // the whole-job groups are the job: N replicas of one GPU's work
  int highest_gpu = 0;             // of the simulated ranks and of the groups that keep their GPUs
  for (int rank = 0; rank < graph.ranks; ++rank) highest_gpu = std::max(highest_gpu, graph.gpu_of(rank));
  for (std::size_t g = 0; g < graph.groups.size(); ++g)
    if (whole_job.count(static_cast<int>(g)) == 0)
      for (int gpu : graph.group_gpus(graph.groups[g])) highest_gpu = std::max(highest_gpu, gpu);
  if (highest_gpu >= new_world) {
    throw sim::InputError("command line", "--dp",
                          std::to_string(replicas) + " replicas cannot hold the traced work on GPU " +
                              std::to_string(highest_gpu) + ": at least " + std::to_string(highest_gpu + 1));
  }
  scaling.from_gpus = world;
  scaling.to_gpus = new_world;
  std::vector<int> gpus(static_cast<std::size_t>(new_world));
  for (int g = 0; g < new_world; ++g) gpus[static_cast<std::size_t>(g)] = g;
  for (int g : whole_job) {
    models::CommGroup& group = graph.groups[static_cast<std::size_t>(g)];
    group.gpus = gpus;
    ++scaling.groups;
  }
  if (graph.gpu_of_rank.empty())
    for (int rank = 0; rank < graph.ranks; ++rank) graph.gpu_of_rank.push_back(rank);
  graph.gpus = new_world;
  return scaling;
}

}  // namespace strata::traces
