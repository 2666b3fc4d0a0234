#include "strata/network_option.hpp"

#include <algorithm>

#include "sim/error.hpp"
#include "sim/unit_parse.hpp"

namespace strata::tools {

constexpr const char* kOption = "--nic-bandwidth";

void add_nic_bandwidth_option(CLI::App& command, std::string& value) {
  command.add_option(
      kOption, value,
      "What-if: every compute NIC at this line rate, per direction (e.g. 100Gb/s; default: the "
      "system profile's)");
}

std::string apply_nic_bandwidth(models::SystemProfile& system, const std::string& value, int gpus) {
  if (value.empty()) return "";
  sim::Bandwidth rate;
  try {
    rate = sim::parse_bandwidth(value);
  } catch (const sim::InputError& error) {
    throw error.located("command line", kOption);
  }
  if (!(rate.bytes_per_s() > 0)) throw sim::InputError("command line", kOption, "must be above zero");
  const int domain = std::max(system.gpus_per_node.value, system.nvlink_domain_gpus.value);
  if (gpus <= domain) {
    throw sim::InputError("command line", kOption,
                          "has no effect: the job's " + std::to_string(gpus) +
                              " GPUs fit one NVLink domain of " + system.name + " (" +
                              std::to_string(domain) + " GPUs), so no traffic crosses a NIC");
  }
  const std::string note = "  NICs at " + rate.to_string() + " per direction (" + system.name +
                           "'s: " + system.nic_bandwidth.value.to_string() + ", " +
                           std::to_string(system.nics_per_node.value) + " per node)\n";
  system.nic_bandwidth = {rate, "command line " + std::string(kOption)};
  return note;
}

}  // namespace strata::tools
