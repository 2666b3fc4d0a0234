#include "scenarios/jobs/jobs_file.hpp"

#include <map>

#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

using sim::JsonLocation;
using sim::JsonObjectReader;

// "nodes": a list of node indices, or {"first": N, "count": M}.
std::vector<int> read_nodes(const nlohmann::json& value, const JsonLocation& at, int cluster_nodes) {
  std::vector<int> nodes;
  if (value.is_object()) {
    JsonObjectReader r(value, at);
    const auto first = static_cast<int>(r.required_integer("first", 0, cluster_nodes - 1));
    const auto count = static_cast<int>(r.required_integer("count", 1, cluster_nodes));
    r.finish();
    if (first + count > cluster_nodes)
      at.fail("nodes " + std::to_string(first) + " to " + std::to_string(first + count - 1) +
              " do not fit the cluster's " + std::to_string(cluster_nodes) + " nodes");
    for (int node = first; node < first + count; ++node) nodes.push_back(node);
    return nodes;
  }
  const auto& list = sim::json_array(value, at);
  if (list.empty()) at.fail("a job needs at least one node");
  std::vector<bool> listed(static_cast<std::size_t>(cluster_nodes), false);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto node = static_cast<int>(sim::json_integer(list[i], at.child(i), 0, cluster_nodes - 1));
    if (listed[static_cast<std::size_t>(node)])
      at.child(i).fail("node " + std::to_string(node) + " is listed twice");
    listed[static_cast<std::size_t>(node)] = true;
    nodes.push_back(node);
  }
  return nodes;
}

// The job's scenario must leave to the shared cluster what it decides for every job.
void check_fits_cluster(const Scenario& scenario, const ClusterSpec& cluster, std::size_t node_count,
                        const JsonLocation& scenario_at, const JsonLocation& nodes_at) {
  scenario.require_training("a job");
  const std::string file = scenario.file.filename().string();
  if (scenario.cluster.system.name != cluster.system.name)
    scenario_at.fail(file + " runs on " + scenario.cluster.system.name + ", the cluster is " +
                     cluster.system.name);
  if (scenario.cluster.system.gpus_per_node.value != cluster.system.gpus_per_node.value)
    scenario_at.fail(file + " uses " + std::to_string(scenario.cluster.system.gpus_per_node.value) +
                     " GPUs per node, the cluster " + std::to_string(cluster.system.gpus_per_node.value));
  if (static_cast<std::size_t>(scenario.cluster.nodes) != node_count)
    nodes_at.fail("gives " + std::to_string(node_count) + " nodes, but " + file + "'s strategies are for " +
                  std::to_string(scenario.cluster.nodes));
  const auto decided = [&](const std::optional<JsonLocation>& given, const std::string& what) {
    if (given)
      scenario_at.fail(file + " sets " + given->path + " (" + what +
                       "), which the jobs file's cluster decides for every job");
  };
  decided(scenario.cluster.topology_given, "the network");
  decided(scenario.cluster.overrides_given, "per-GPU or per-node overrides");
  decided(scenario.cluster.jitter_given, "kernel jitter");
}

}  // namespace

std::vector<int> Job::cluster_gpus(int gpus_per_node) const {
  std::vector<int> gpus;
  for (int node : nodes) {
    for (int local = 0; local < gpus_per_node; ++local) gpus.push_back(node * gpus_per_node + local);
  }
  return gpus;
}

JobsFile read_jobs_file(const std::filesystem::path& path, const models::ProfileCatalog& profiles,
                        const models::ModelCatalog& models) {
  const nlohmann::json document = sim::read_json_file(path);
  JsonObjectReader root(document, JsonLocation{path.string(), ""});
  JobsFile out;
  out.file = path;
  out.name = root.required_string("name");
  out.description = root.optional_string("description").value_or("");
  out.cluster = read_cluster(root.required_object("cluster"), profiles);
  if (const std::optional<std::string> fidelity = root.optional_string("fidelity")) {
    if (checked_fidelity(*fidelity, root.location_of("fidelity")) != "flow")
      root.location_of("fidelity")
          .fail(
              "jobs share the cluster through its network, which only flow fidelity models: at analytic "
              "fidelity every job would run as if alone");
  }
  const JsonLocation jobs_at = root.location_of("jobs");
  const auto& jobs = sim::json_array(root.required("jobs"), jobs_at);
  if (jobs.size() < 2)
    jobs_at.fail("one job shares the cluster with nobody: run its scenario with strata run --fidelity flow");
  std::map<int, std::string> owner;  // node -> job
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    JsonObjectReader r(jobs[i], jobs_at.child(i));
    Job job;
    job.name = r.required_string("name");
    for (const Job& earlier : out.jobs) {
      if (earlier.name == job.name) r.location_of("name").fail("duplicate job name \"" + job.name + "\"");
    }
    const JsonLocation scenario_at = r.location_of("scenario");
    const std::filesystem::path scenario_file = path.parent_path() / r.required_string("scenario");
    job.scenario = read_scenario(scenario_file, profiles, models);
    job.nodes = read_nodes(r.required("nodes"), r.location_of("nodes"), out.cluster.nodes);
    check_fits_cluster(job.scenario, out.cluster, job.nodes.size(), scenario_at, r.location_of("nodes"));
    if (const std::optional<std::string> strategy = r.optional_string("strategy")) {
      const std::optional<std::size_t> index = job.scenario.strategy_index(*strategy);
      if (!index)
        r.location_of("strategy")
            .fail(scenario_file.filename().string() + " has no strategy named \"" + *strategy +
                  "\" (have: " + job.scenario.strategy_names() + ")");
      job.strategy = *index;
    } else if (job.scenario.strategies.size() != 1) {
      r.location().fail("\"strategy\" is required: " + scenario_file.filename().string() + " has " +
                        std::to_string(job.scenario.strategies.size()) + " strategies");
    }
    for (int node : job.nodes) {
      const auto [where, added] = owner.emplace(node, job.name);
      if (!added)
        r.location_of("nodes").fail("node " + std::to_string(node) + " already runs job \"" + where->second +
                                    "\"");
    }
    r.finish();
    out.jobs.push_back(std::move(job));
  }
  root.finish();
  return out;
}

}  // namespace strata::scenarios
