#include "traces/data_parallel_scaling.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "models/graph/time_category.hpp"
#include "sim/error.hpp"

namespace strata::traces {
namespace {

[[noreturn]] void fail(const std::string& detail) { throw sim::InputError("command line", "--dp", detail); }

// The largest job the what-if builds: as many GPUs as a trace may have ranks (kineto_trace.cpp's kMaxRanks,
// the range of --world-size for Chakra traces), so that every GPU number fits an int.
constexpr std::int64_t kMaxJobGpus = 1'000'000;

std::string list(const std::vector<int>& gpus) {
  std::string text;
  for (std::size_t i = 0; i < gpus.size() && i < 8; ++i)
    text += (i == 0 ? "" : ", ") + std::to_string(gpus[i]);
  return "[" + text + (gpus.size() > 8 ? ", ...]" : "]");
}

// The data-parallel digit of the job's GPU numbers: k GPUs per group, spaced s apart.
struct Digit {
  int size = 0;    // k
  int stride = 0;  // s
  int low(int gpu) const { return gpu % stride; }
  int index(int gpu) const { return (gpu / stride) % size; }
  int high(int gpu) const { return gpu / (stride * size); }
};

Digit digit_of(const std::vector<std::vector<int>>& groups, int world) {
  Digit digit;
  for (const std::vector<int>& gpus : groups) {
    const int size = static_cast<int>(gpus.size());
    const int stride = size > 1 ? gpus[1] - gpus[0] : 1;
    for (int i = 1; i < size; ++i)
      if (gpus[static_cast<std::size_t>(i)] - gpus[static_cast<std::size_t>(i) - 1] != stride)
        fail("the data-parallel group " + list(gpus) +
             " is not evenly spaced: its GPUs are not one digit of the "
             "job's rank order");
    if (digit.size == 0) {
      digit = {size, stride};
    } else if (size != digit.size || stride != digit.stride) {
      fail("the data-parallel groups differ in size or spacing (" + std::to_string(digit.size) + " GPUs " +
           std::to_string(digit.stride) + " apart, then " + list(gpus) + ")");
    }
    if (stride < 1 || world % (stride * size) != 0 || digit.index(gpus.front()) != 0)
      fail("the data-parallel group " + list(gpus) + " does not divide the job's " + std::to_string(world) +
           " GPUs into whole groups");
  }
  return digit;
}

}  // namespace

DataParallelScaling scale_data_parallel(models::ExecutionGraph& graph, int replicas) {
  if (replicas < 1) fail("must be at least 1");
  const int world = graph.gpu_count();
  const std::string dp = std::string(models::category_name(models::TimeCategory::kDataParallel));
  std::set<int> dp_groups;
  DataParallelScaling scaling;
  for (const models::Task& task : graph.tasks) {
    if (task.type != models::TaskType::kCollective || task.category != dp) continue;
    dp_groups.insert(task.collective.group);
    ++scaling.collectives;
  }
  if (scaling.collectives == 0) {
    fail("the trace has no data-parallel collective (over the whole job of " + std::to_string(world) +
         " GPUs, or over a group the trace describes as data-parallel), so no data-parallel group to scale");
  }
  // Every group's GPUs and every rank's GPU, made explicit (an empty list means the members' own GPUs) and
  // renumbered before anything of the graph changes, so that an error leaves it as it was.
  std::vector<std::vector<int>> group_gpus;
  for (const models::CommGroup& group : graph.groups) group_gpus.push_back(graph.group_gpus(group));
  std::vector<int> rank_gpus;
  for (int rank = 0; rank < graph.ranks; ++rank) rank_gpus.push_back(graph.gpu_of(rank));
  std::vector<std::vector<int>> dp_gpus;
  for (int g : dp_groups) {
    std::vector<int> gpus = group_gpus[static_cast<std::size_t>(g)];
    std::sort(gpus.begin(), gpus.end());
    dp_gpus.push_back(std::move(gpus));
  }
  const Digit digit = digit_of(dp_gpus, world);
  const std::int64_t job_gpus = static_cast<std::int64_t>(world / digit.size) * replicas;
  if (job_gpus > kMaxJobGpus) {
    fail(std::to_string(replicas) + " replicas make a job of " + std::to_string(job_gpus) + " GPUs, beyond " +
         std::to_string(kMaxJobGpus));
  }
  // The simulated ranks and the other groups must sit on replicas that stay: the one with the highest
  // data-parallel index says how many are needed.
  int needed = -1;  // the GPU with the highest index
  const auto consider = [&](int gpu) {
    if (needed < 0 || digit.index(gpu) > digit.index(needed)) needed = gpu;
  };
  for (int gpu : rank_gpus) consider(gpu);
  for (std::size_t g = 0; g < group_gpus.size(); ++g)
    if (dp_groups.count(static_cast<int>(g)) == 0)
      for (int gpu : group_gpus[g]) consider(gpu);
  if (needed >= 0 && digit.index(needed) >= replicas) {
    fail(std::to_string(replicas) + " replicas cannot hold the traced work on GPU " + std::to_string(needed) +
         ": at least " + std::to_string(digit.index(needed) + 1));
  }
  const auto renumber = [&](int gpu) {
    return digit.low(gpu) + digit.stride * (digit.index(gpu) + replicas * digit.high(gpu));
  };
  for (int& gpu : rank_gpus) gpu = renumber(gpu);
  for (std::size_t g = 0; g < group_gpus.size(); ++g) {
    std::vector<int>& gpus = group_gpus[g];
    if (dp_groups.count(static_cast<int>(g)) == 0) {
      for (int& gpu : gpus) gpu = renumber(gpu);
      continue;
    }
    const int first = *std::min_element(gpus.begin(), gpus.end());
    gpus.clear();
    for (int i = 0; i < replicas; ++i)
      gpus.push_back(digit.low(first) + digit.stride * (i + replicas * digit.high(first)));
    ++scaling.groups;
  }
  graph.gpu_of_rank = std::move(rank_gpus);
  for (std::size_t g = 0; g < group_gpus.size(); ++g) graph.groups[g].gpus = std::move(group_gpus[g]);
  scaling.from_gpus = digit.size;
  scaling.to_gpus = replicas;
  scaling.job_from_gpus = world;
  scaling.job_to_gpus = static_cast<int>(job_gpus);
  graph.gpus = scaling.job_to_gpus;
  return scaling;
}

}  // namespace strata::traces
