// `strata collective`: an nccl-tests-style table of simulated collective times for a system and scope.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "models/collectives/analytic_collective.hpp"
#include "models/collectives/flow_collective.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/topology/cluster_topology.hpp"
#include "sim/error.hpp"
#include "sim/json_text.hpp"
#include "sim/unit_parse.hpp"
#include "strata/commands.hpp"
#include "strata/profile_location.hpp"

namespace strata::tools {
namespace {

struct CollectiveOptions {
  std::string profiles;
  std::string system = "dgx-h100";
  int nodes = 1;
  int gpus_per_node = 0;  // 0: all GPUs of a node
  std::string op = "all-reduce";
  std::string min_bytes = "8";
  std::string max_bytes = "16G";
  double step_factor = 2.0;
  std::string fidelity = "analytic";
  std::string topology = "fat-tree";
  double oversubscription = 1.0;
  bool json = false;
};

// Sizes as nccl-tests writes them (-b 8 -e 16G: K, M, G, T are powers of 1024), or any Strata byte string.
sim::Bytes parse_size(const std::string& text, const char* flag) {
  try {
    if (!text.empty() && std::string("KMGT").find(text.back()) != std::string::npos) {
      return sim::parse_bytes(text + "iB");
    }
    return sim::parse_bytes(text);
  } catch (const sim::InputError& error) {
    throw error.located("command line", flag);
  }
}

struct Row {
  sim::Bytes size;
  sim::SimTime time;
  double algbw_gbps;
  double busbw_gbps;
  std::string algorithm;
  std::string nccl;  // NCCL's algorithm/protocol for the size and scope, "-" where its tuner has none
  double nccl_latency_us;
  bool latency_bound;
};

std::vector<sim::Bytes> sizes(const CollectiveOptions& options) {
  const sim::Bytes min = parse_size(options.min_bytes, "--min-bytes");
  const sim::Bytes max = parse_size(options.max_bytes, "--max-bytes");
  if (min.count() < 1) throw sim::InputError("command line", "--min-bytes", "must be at least 1 byte");
  if (max < min) throw sim::InputError("command line", "--max-bytes", "must not be below --min-bytes");
  if (!(options.step_factor > 1.0))
    throw sim::InputError("command line", "--step-factor", "must be greater than 1");
  std::vector<sim::Bytes> result;
  for (double size = min.as_double(); size <= max.as_double() && result.size() < 4096;
       size *= options.step_factor) {
    result.push_back(sim::Bytes::from_count(static_cast<std::int64_t>(size)));
  }
  return result;
}

models::TopologyKind topology_kind(const std::string& name) {
  if (const auto kind = models::kTopologyKindNames.value(name)) return *kind;
  throw sim::InputError("command line", "--topology",
                        "expected " + models::kTopologyKindNames.choices() + ", got \"" + name + "\"");
}

void run_collective(const CollectiveOptions& options, std::ostream& out) {
  const models::ProfileCatalog catalog(resolve_profile_dir(options.profiles));
  const models::SystemProfile system = catalog.system(options.system);
  const auto op = models::collective_op_from_name(options.op);
  if (!op) {
    throw sim::InputError(
        "command line", "--op",
        "unknown collective \"" + options.op +
            "\" (known: all-reduce, all-gather, reduce-scatter, all-to-all, broadcast, send-recv)");
  }
  const models::CollectiveScope scope{
      options.nodes, options.gpus_per_node > 0 ? options.gpus_per_node : system.gpus_per_node.value};
  if (options.fidelity != "analytic" && options.fidelity != "flow") {
    throw sim::InputError("command line", "--fidelity",
                          "expected analytic or flow, got \"" + options.fidelity + "\"");
  }
  if (!(options.oversubscription >= 1.0))
    throw sim::InputError("command line", "--oversubscription", "must be at least 1");
  models::TopologyOptions topology;
  topology.kind = topology_kind(options.topology);
  topology.oversubscription = options.oversubscription;

  std::vector<Row> rows;
  for (const sim::Bytes size : sizes(options)) {
    const models::CollectiveEstimate estimate =
        options.fidelity == "analytic" ? models::analytic_collective(system, *op, size, scope)
                                       : models::flow_collective(system, topology, *op, size, scope);
    const std::string nccl = estimate.nccl ? models::nccl_choice_label(*estimate.nccl) : "-";
    rows.push_back({size, estimate.time, estimate.algbw.gb_per_s(), estimate.busbw.gb_per_s(),
                    std::string(models::collective_algorithm_name(estimate.algorithm)), nccl,
                    estimate.nccl ? estimate.nccl->latency.microseconds() : 0.0, estimate.latency_bound});
  }

  if (options.json) {
    nlohmann::json document = {{"settings",
                                {{"system", system.name},
                                 {"op", options.op},
                                 {"nodes", scope.nodes},
                                 {"gpus_per_node", scope.gpus_per_node},
                                 {"ranks", scope.ranks()},
                                 {"fidelity", options.fidelity},
                                 {"topology", options.topology},
                                 {"oversubscription", options.oversubscription}}},
                               {"rows", nlohmann::json::array()}};
    for (const Row& row : rows) {
      document["rows"].push_back({{"size_bytes", row.size.count()},
                                  {"time_us", row.time.microseconds()},
                                  {"algbw_GBps", row.algbw_gbps},
                                  {"busbw_GBps", row.busbw_gbps},
                                  {"algorithm", row.algorithm},
                                  {"nccl", row.nccl},
                                  {"nccl_latency_us", row.nccl_latency_us},
                                  {"latency_bound", row.latency_bound}});
    }
    out << sim::json_text(document, 2) << '\n';
    return;
  }
  out << "# strata collective: " << options.op << " on " << system.name << ", " << scope.nodes
      << " node(s) x " << scope.gpus_per_node << " GPUs = " << scope.ranks() << " ranks, " << options.fidelity
      << " fidelity";
  if (scope.nodes > 1 || options.fidelity == "flow")
    out << ", " << options.topology << " " << options.oversubscription << ":1";
  out << "\n#\n#        size(B)     time(us)  algbw(GB/s)  busbw(GB/s)  algorithm          nccl (latency "
         "us)\n";
  for (const Row& row : rows) {
    char line[200];
    std::snprintf(line, sizeof line, "  %13lld %12.2f %12.2f %12.2f  %-17s  %s",
                  static_cast<long long>(row.size.count()), row.time.microseconds(), row.algbw_gbps,
                  row.busbw_gbps, row.algorithm.c_str(), row.nccl.c_str());
    out << line;
    if (row.nccl != "-") {
      std::snprintf(line, sizeof line, " (%.1f)%s", row.nccl_latency_us, row.latency_bound ? " *" : "");
      out << line;
    }
    out << '\n';
  }
  out << "# nccl: the algorithm and protocol NCCL's cost model picks, and its latency; * where that model, "
         "not\n"
         "# the measured size ramp, sets the time (latency at scale)\n";
}

}  // namespace

void add_collective_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<CollectiveOptions>();
  CLI::App* command =
      app.add_subcommand("collective", "Simulated collective times as an nccl-tests-style table");
  command->add_option("--profiles", options->profiles,
                      "Profile directory (default: $STRATA_PROFILES or the shipped profiles)");
  command->add_option("--system", options->system, "System profile (see 'strata hw list')")
      ->capture_default_str();
  command->add_option("--nodes", options->nodes, "Nodes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  command->add_option("--gpus-per-node", options->gpus_per_node, "GPUs per node (default: all of the node's)")
      ->check(CLI::Range(1, 1024));
  command
      ->add_option("--op", options->op,
                   "all-reduce, all-gather, reduce-scatter, all-to-all, broadcast, send-recv")
      ->capture_default_str();
  command
      ->add_option("-b,--min-bytes", options->min_bytes, "Smallest size (nccl-tests style: 8, 1M, 16G = GiB)")
      ->capture_default_str();
  command->add_option("-e,--max-bytes", options->max_bytes, "Largest size")->capture_default_str();
  command->add_option("-f,--step-factor", options->step_factor, "Size multiplier between rows")
      ->capture_default_str();
  command
      ->add_option("--fidelity", options->fidelity,
                   "analytic (calibrated curves) or flow (flows on the topology)")
      ->capture_default_str();
  command->add_option("--topology", options->topology, "Inter-node network: fat-tree or rail-optimized")
      ->capture_default_str();
  command->add_option("--oversubscription", options->oversubscription, "Leaf-to-spine oversubscription, X:1")
      ->capture_default_str();
  command->add_flag("--json", options->json, "Print JSON ({\"rows\": [...], \"settings\": {...}})");
  command->callback([&out, options] { run_collective(*options, out); });
}

}  // namespace strata::tools
