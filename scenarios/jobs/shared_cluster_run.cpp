#include "scenarios/jobs/shared_cluster_run.hpp"

#include <algorithm>
#include <cstdio>

#include "models/executor/executor.hpp"
#include "models/graph/graph_merge.hpp"
#include "models/strategy/training_lowering.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

struct LoweredJob {
  models::ExecutionGraph graph;  // on the cluster's GPUs
  double tokens_per_step = 0;
};

LoweredJob lower_job(const JobsFile& jobs, std::size_t index) {
  const Job& job = jobs.jobs[index];
  const Scenario& s = job.scenario;
  const models::ParallelStrategy& strategy = s.strategies[job.strategy].strategy;
  models::LoweringOutcome outcome =
      models::lower_training_within(s.model.config, s.training, strategy, s.cluster.gpus(),
                                    models::RankSet::kAll, models::kMaxLoweredTasks);
  if (!outcome.lowered)
    throw sim::InputError(
        jobs.file.string(), "/jobs/" + std::to_string(index),
        "job \"" + job.name + "\" is too large to simulate every rank: " + outcome.too_large);
  const int per_node = jobs.cluster.system.gpus_per_node.value;
  return {
      models::placed_on(std::move(outcome.lowered->graph), job.cluster_gpus(per_node), jobs.cluster.gpus()),
      outcome.lowered->tokens_per_step};
}

double last_end(const models::ExecutionResult& run, int first_rank, int ranks) {
  double end = 0;
  for (int rank = first_rank; rank < first_rank + ranks; ++rank)
    end = std::max(end, run.rank_end_seconds[static_cast<std::size_t>(rank)]);
  return end;
}

std::string node_list(const std::vector<int>& nodes) {
  std::string out;
  for (std::size_t i = 0; i < nodes.size();) {
    std::size_t j = i;
    while (j + 1 < nodes.size() && nodes[j + 1] == nodes[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(nodes[i]) +
           (j > i ? "-" + std::to_string(nodes[j]) : std::string());
    i = j + 1;
  }
  return out;
}

}  // namespace

std::vector<JobResult> run_jobs(const JobsFile& jobs) {
  const models::ClusterHardware hardware = jobs.cluster.hardware();
  std::vector<models::ExecutionGraph> graphs;
  std::vector<JobResult> results;
  for (std::size_t i = 0; i < jobs.jobs.size(); ++i) {
    LoweredJob lowered = lower_job(jobs, i);
    const Job& job = jobs.jobs[i];
    JobResult result;
    result.name = job.name;
    result.strategy = job.scenario.strategies[job.strategy].strategy.name;
    result.nodes = job.nodes;
    result.gpus = job.scenario.cluster.gpus();
    result.tokens_per_step = lowered.tokens_per_step;
    const models::ExecutionResult alone =
        models::execute(lowered.graph, hardware, models::NetworkFidelity::kFlow, jobs.cluster.topology);
    result.alone_step_s = last_end(alone, 0, lowered.graph.ranks);
    results.push_back(result);
    graphs.push_back(std::move(lowered.graph));
  }
  std::vector<int> ranks;
  for (const models::ExecutionGraph& graph : graphs) ranks.push_back(graph.ranks);
  std::vector<int> first_rank;
  const models::ExecutionResult shared =
      models::execute(models::merge_graphs(std::move(graphs), &first_rank), hardware,
                      models::NetworkFidelity::kFlow, jobs.cluster.topology);
  for (std::size_t i = 0; i < results.size(); ++i)
    results[i].shared_step_s = last_end(shared, first_rank[i], ranks[i]);
  return results;
}

nlohmann::json jobs_report_json(const JobsFile& jobs, const std::vector<JobResult>& results) {
  nlohmann::json list = nlohmann::json::array();
  for (const JobResult& r : results) {
    const auto per_gpu = [&](double step) { return r.tokens_per_step / step / r.gpus; };
    list.push_back({{"name", r.name},
                    {"strategy", r.strategy},
                    {"nodes", r.nodes},
                    {"gpus", r.gpus},
                    {"alone_step_time_s", r.alone_step_s},
                    {"shared_step_time_s", r.shared_step_s},
                    {"slowdown_pct", 100.0 * r.slowdown()},
                    {"alone_tokens_per_s_per_gpu", per_gpu(r.alone_step_s)},
                    {"shared_tokens_per_s_per_gpu", per_gpu(r.shared_step_s)}});
  }
  const models::TopologyOptions& t = jobs.cluster.topology;
  return {{"strata_jobs_report", 1},
          {"name", jobs.name},
          {"cluster",
           {{"system", jobs.cluster.system.name},
            {"nodes", jobs.cluster.nodes},
            {"gpus", jobs.cluster.gpus()},
            {"topology", models::kTopologyKindNames.name(t.kind)},
            {"oversubscription", t.oversubscription}}},
          {"fidelity", "flow"},
          {"jobs", list}};
}

std::string jobs_table(const JobsFile& jobs, const std::vector<JobResult>& results) {
  char line[512];
  std::snprintf(line, sizeof line, "%s: %d x %s (%d GPUs), %s %g:1, flow fidelity\n", jobs.name.c_str(),
                jobs.cluster.nodes, jobs.cluster.system.name.c_str(), jobs.cluster.gpus(),
                std::string(models::kTopologyKindNames.name(jobs.cluster.topology.kind)).c_str(),
                jobs.cluster.topology.oversubscription);
  std::string text = line;
  std::size_t name_width = 3, strategy_width = 8, nodes_width = 5;
  for (const JobResult& r : results) {
    name_width = std::max(name_width, r.name.size());
    strategy_width = std::max(strategy_width, r.strategy.size());
    nodes_width = std::max(nodes_width, node_list(r.nodes).size());
  }
  const int nw = static_cast<int>(name_width), sw = static_cast<int>(strategy_width),
            dw = static_cast<int>(nodes_width);
  std::snprintf(line, sizeof line, "%-*s  %-*s  %-*s  %10s  %11s  %8s\n", nw, "job", sw, "strategy", dw,
                "nodes", "alone (s)", "shared (s)", "slowdown");
  text += line;
  for (const JobResult& r : results) {
    std::snprintf(line, sizeof line, "%-*s  %-*s  %-*s  %10.4f  %11.4f  %+7.1f%%\n", nw, r.name.c_str(), sw,
                  r.strategy.c_str(), dw, node_list(r.nodes).c_str(), r.alone_step_s, r.shared_step_s,
                  100.0 * r.slowdown());
    text += line;
  }
  return text;
}

}  // namespace strata::scenarios
