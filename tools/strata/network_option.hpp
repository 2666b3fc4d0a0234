// `--nic-bandwidth RATE` of the commands that replay a graph on a system (`replay`, `trace info`): a what-if
// on the network, every compute NIC of the system at another line rate ("100Gb/s", "25GB/s"). The
// collective and transfer models read it as they read the profile's (nic_bandwidth x nic_efficiency per
// NIC), so a job's inter-node collectives and pipeline sends slow down or speed up with it.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "models/hardware/system_profile.hpp"

namespace strata::tools {

// Adds the option; `value` stays empty unless given.
void add_nic_bandwidth_option(CLI::App& command, std::string& value);

// Sets the system's NIC line rate from `value` (nothing when empty) and returns the line that says so (empty
// when nothing changed). Bad input (exit 2):
// a rate that does not parse or is not above zero, and a job of `gpus` GPUs that fits one NVLink domain of
// the system, whose traffic never crosses a NIC (the option would have no effect).
std::string apply_nic_bandwidth(models::SystemProfile& system, const std::string& value, int gpus);

}  // namespace strata::tools
