// `strata hw list` and `strata hw show NAME [--json]`: the shipped (or given) GPU, system and framework
// profiles, every value with its source.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "models/hardware/profile_catalog.hpp"
#include "sim/error.hpp"
#include "sim/json_text.hpp"
#include "sim/suggest.hpp"
#include "strata/commands.hpp"
#include "strata/profile_fields.hpp"
#include "strata/profile_location.hpp"

namespace strata::tools {
namespace {

void print_fields(std::ostream& out, const std::string& kind, const std::string& name,
                  const std::string& display, const std::vector<Field>& fields, bool as_json) {
  if (as_json) {
    nlohmann::json document = {
        {"kind", kind}, {"name", name}, {"display_name", display}, {"fields", nlohmann::json::array()}};
    for (const Field& f : fields)
      document["fields"].push_back({{"key", f.key}, {"value", f.value}, {"source", f.source}});
    out << sim::json_text(document, 2) << '\n';
    return;
  }
  out << display << " (" << kind << " profile " << name << ")\n";
  for (const Field& f : fields) {
    char row[128];
    std::snprintf(row, sizeof row, "  %-30s %-16s ", f.key.c_str(), f.value.c_str());
    out << row << f.source << '\n';
  }
}

void list_profiles(const models::ProfileCatalog& catalog, std::ostream& out) {
  char row[256];
  out << "GPU profiles (" << (catalog.root() / "gpus").string() << "):\n";
  for (const std::string& name : catalog.gpu_names()) {
    const models::GpuProfile gpu = catalog.gpu(name);
    const auto bf16 = gpu.peak_flops.find(models::Dtype::kBf16);
    std::snprintf(row, sizeof row, "  %-18s %-46s %4d SMs %12s %12s  bf16 %s\n", name.c_str(),
                  gpu.display_name.c_str(), gpu.sm_count.value, gpu.memory_capacity.value.to_string().c_str(),
                  gpu.memory_bandwidth.value.to_string().c_str(),
                  bf16 == gpu.peak_flops.end() ? "-" : bf16->second.value.to_string().c_str());
    out << row;
  }
  out << "System profiles (" << (catalog.root() / "systems").string() << "):\n";
  for (const std::string& name : catalog.system_names()) {
    const models::SystemProfile system = catalog.system(name);
    const std::string gpus = std::to_string(system.gpus_per_node.value) + "x " + system.gpu;
    const std::string nics =
        std::to_string(system.nics_per_node.value) + "x " + system.nic_bandwidth.value.to_string();
    std::snprintf(row, sizeof row, "  %-14s %-46s %-20s NVLink %s/GPU%s, NICs %s\n", name.c_str(),
                  system.display_name.c_str(), gpus.c_str(),
                  system.nvlink_bandwidth.value.to_string().c_str(), system.nvls.value ? " (NVLS)" : "",
                  nics.c_str());
    out << row;
  }
  out << "Framework profiles (" << (catalog.root() / "frameworks").string() << "):\n";
  for (const std::string& name : catalog.framework_names()) {
    std::snprintf(row, sizeof row, "  %-14s %s\n", name.c_str(),
                  catalog.framework(name).display_name.c_str());
    out << row;
  }
}

struct HwOptions {
  std::string profiles;
  std::string name;
  bool json = false;
};

}  // namespace

void add_hw_command(CLI::App& app, std::ostream& out) {
  CLI::App* hw =
      app.add_subcommand("hw", "Hardware profiles: list them, or show one with the source of every number");
  hw->require_subcommand(1);
  auto options = std::make_shared<HwOptions>();
  hw->add_option("--profiles", options->profiles,
                 "Profile directory (default: $STRATA_PROFILES or the shipped profiles)");

  CLI::App* list = hw->add_subcommand("list", "List GPU, system and framework profiles");
  list->callback([&out, options] {
    list_profiles(models::ProfileCatalog(resolve_profile_dir(options->profiles)), out);
  });

  CLI::App* show = hw->add_subcommand("show", "Show one GPU, system or framework profile with its sources");
  show->add_option("name", options->name, "Profile name (see 'strata hw list')")->required();
  show->add_flag("--json", options->json, "Print JSON instead of a table");
  show->callback([&out, options] {
    const models::ProfileCatalog catalog(resolve_profile_dir(options->profiles));
    const auto gpus = catalog.gpu_names();
    if (std::find(gpus.begin(), gpus.end(), options->name) != gpus.end()) {
      const models::GpuProfile gpu = catalog.gpu(options->name);
      print_fields(out, "gpu", gpu.name, gpu.display_name, describe(gpu), options->json);
      return;
    }
    const auto systems = catalog.system_names();
    if (std::find(systems.begin(), systems.end(), options->name) != systems.end()) {
      const models::SystemProfile system = catalog.system(options->name);
      print_fields(out, "system", system.name, system.display_name, describe(system), options->json);
      return;
    }
    const auto frameworks = catalog.framework_names();
    if (std::find(frameworks.begin(), frameworks.end(), options->name) != frameworks.end()) {
      const models::FrameworkProfile framework = catalog.framework(options->name);
      print_fields(out, "framework", framework.name, framework.display_name, describe(framework),
                   options->json);
      return;
    }
    std::string known;
    for (const auto& name : gpus) known += (known.empty() ? "" : ", ") + name;
    for (const auto& name : systems) known += ", " + name;
    for (const auto& name : frameworks) known += ", " + name;
    std::vector<std::string> names(gpus.begin(), gpus.end());
    names.insert(names.end(), systems.begin(), systems.end());
    names.insert(names.end(), frameworks.begin(), frameworks.end());
    throw sim::InputError("command line", "",
                          "no GPU, system or framework profile named \"" + options->name + "\"" +
                              sim::did_you_mean(options->name, names) + " (known: " + known + ")");
  });
}

}  // namespace strata::tools
