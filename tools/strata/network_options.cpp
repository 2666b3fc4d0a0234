#include "strata/network_options.hpp"

#include <algorithm>
#include <set>

#include "sim/error.hpp"
#include "sim/unit_parse.hpp"

namespace strata::tools {
namespace {

constexpr const char* kNicOption = "--nic-bandwidth";
constexpr const char* kAlgoOption = "--nccl-algo";

std::string apply_nic_bandwidth(models::SystemProfile& system, const std::string& value, int gpus) {
  sim::Bandwidth rate;
  try {
    rate = sim::parse_bandwidth(value);
  } catch (const sim::InputError& error) {
    throw error.located("command line", kNicOption);
  }
  if (!(rate.bytes_per_s() > 0)) throw sim::InputError("command line", kNicOption, "must be above zero");
  const int domain = std::max(system.gpus_per_node.value, system.nvlink_domain_gpus.value);
  if (gpus <= domain) {
    throw sim::InputError("command line", kNicOption,
                          "has no effect: the job's " + std::to_string(gpus) +
                              " GPUs fit one NVLink domain of " + system.name + " (" +
                              std::to_string(domain) + " GPUs), so no traffic crosses a NIC");
  }
  const std::string note = "  NICs at " + rate.to_string() + " per direction (" + system.name +
                           "'s: " + system.nic_bandwidth.value.to_string() + ", " +
                           std::to_string(system.nics_per_node.value) + " per node)\n";
  system.nic_bandwidth = {rate, "command line " + std::string(kNicOption)};
  return note;
}

// The algorithms of an NCCL_ALGO-style list: "a,b" allows those, "^a,b" all but those.
std::set<models::NcclAlgorithm> allowed_algorithms(const std::string& value) {
  const bool exclude = !value.empty() && value.front() == '^';
  std::set<models::NcclAlgorithm> named;
  std::string_view rest = std::string_view(value).substr(exclude ? 1 : 0);
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view word = rest.substr(0, comma);
    const std::optional<models::NcclAlgorithm> algorithm = models::kNcclAlgorithmNames.value(word);
    if (!algorithm) {
      throw sim::InputError("command line", kAlgoOption,
                            "expected NCCL algorithms among " + models::kNcclAlgorithmNames.choices() +
                                ", comma-separated (\"^\" first: all but those), found \"" +
                                std::string(word) + "\"");
    }
    named.insert(*algorithm);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!exclude) return named;
  std::set<models::NcclAlgorithm> allowed;
  for (const auto& [algorithm, name] : models::kNcclAlgorithmNames.entries)
    if (named.count(algorithm) == 0) allowed.insert(algorithm);
  return allowed;
}

std::string apply_nccl_algo(models::SystemProfile& system, const std::string& value,
                            const models::ExecutionGraph& graph) {
  const std::set<models::NcclAlgorithm> allowed = allowed_algorithms(value);
  if (allowed.count(models::NcclAlgorithm::kRing) == 0) {
    throw sim::InputError(
        "command line", kAlgoOption,
        "the ring must stay allowed: it is the one algorithm that runs every collective (NCCL "
        "fails a collective that no allowed algorithm runs)");
  }
  const bool priced = std::any_of(graph.tasks.begin(), graph.tasks.end(), [](const models::Task& task) {
    return task.type == models::TaskType::kCollective;
  });
  if (!priced) {
    throw sim::InputError("command line", kAlgoOption,
                          "has no effect: the graph has no collective that the network model prices");
  }
  std::string kept;
  for (const auto& [algorithm, name] : models::kNcclAlgorithmNames.entries) {
    if (allowed.count(algorithm) > 0) {
      kept += (kept.empty() ? "" : ", ") + std::string(name);
      continue;
    }
    for (const auto& [protocol, protocol_name] : models::kNcclProtocolNames.entries)
      system.nccl_tuning.bandwidth_factor.value.at(algorithm, protocol).reset();
  }
  const bool nvls_left =
      allowed.count(models::NcclAlgorithm::kNvls) > 0 || allowed.count(models::NcclAlgorithm::kNvlsTree) > 0;
  std::string note = "  NCCL algorithms the tuner may choose: " + kept;
  if (system.nvls.value && !nvls_left) {
    system.nvls = {false, "command line " + std::string(kAlgoOption)};
    note += " (" + system.name + "'s NVLS bandwidth unused)";
  }
  return note + "\n";
}

}  // namespace

void add_network_options(CLI::App& command, NetworkOptions& options) {
  command.add_option(
      kNicOption, options.nic_bandwidth,
      "What-if: every compute NIC at this line rate, per direction (e.g. 100Gb/s; default: the "
      "system profile's)");
  command.add_option(kAlgoOption, options.nccl_algo,
                     "What-if: the NCCL algorithms the tuner may choose, as NCCL_ALGO (e.g. ring,tree or "
                     "^nvls,nvls_tree; the ring must stay)");
}

std::string apply_network_options(models::SystemProfile& system, const NetworkOptions& options,
                                  const models::ExecutionGraph& graph) {
  std::string notes;
  if (!options.nic_bandwidth.empty())
    notes += apply_nic_bandwidth(system, options.nic_bandwidth, graph.gpu_count());
  if (!options.nccl_algo.empty()) notes += apply_nccl_algo(system, options.nccl_algo, graph);
  return notes;
}

}  // namespace strata::tools
