#include "strata/profile_fields.hpp"

#include <cstdio>
#include <map>

namespace strata::tools {
namespace {

template <class T, class Format>
Field field(std::string key, const models::Sourced<T>& sourced, Format format) {
  auto [text, number] = format(sourced.value);
  return Field{std::move(key), std::move(text), sourced.source, number};
}

using Shown = std::pair<std::string, std::optional<double>>;

Shown show(const sim::Bytes& value) { return {value.to_string(), value.as_double()}; }
Shown show(const sim::Bandwidth& value) { return {value.to_string(), value.bytes_per_s()}; }
Shown show(const sim::FlopRate& value) { return {value.to_string(), value.flops_per_s()}; }
Shown show(const sim::SimTime& value) { return {value.to_string(), value.seconds()}; }
Shown show(int value) { return {std::to_string(value), static_cast<double>(value)}; }
Shown show(bool value) { return {value ? "yes" : "no", value ? 1.0 : 0.0}; }
Shown show(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return {buffer, value};
}
Shown show(const models::GemmTile& value) {
  return {std::to_string(value.m) + "x" + std::to_string(value.n), std::nullopt};
}
Shown show(const std::map<int, sim::Bandwidth>& table) {
  std::string text;
  for (const auto& [gpus, bandwidth] : table)
    text += (text.empty() ? "" : ", ") + std::to_string(gpus) + ": " + bandwidth.to_string();
  return {text.empty() ? "none" : text, std::nullopt};
}
Shown show(const std::string& value) { return {value, std::nullopt}; }
Shown show(const std::array<sim::Bandwidth, 3>& caps) {
  return {caps[0].to_string() + " / " + caps[1].to_string() + " / " + caps[2].to_string() +
              " (1 / 2 / more nodes)",
          std::nullopt};
}
Shown show(const std::vector<std::pair<sim::Bytes, double>>& ramp) {
  return {std::to_string(ramp.size()) + " points, " + ramp.front().first.to_string() + " .. " +
              ramp.back().first.to_string(),
          std::nullopt};
}

Shown show(models::GpuArchitecture value) {
  return {std::string(models::kGpuArchitectureNames.name(value)), std::nullopt};
}
Shown show(models::Zero3Collectives value) {
  return {std::string(models::kZero3CollectivesNames.name(value)), std::nullopt};
}

const auto any = [](const auto& value) { return show(value); };
// A count of parameters (elements), whole; empty: "unlimited".
Shown elements(double value) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.0f elements", value);
  return {buffer, value};
}
Shown elements_or_unlimited(const std::optional<double>& value) {
  return value ? elements(*value) : Shown{"unlimited", std::nullopt};
}

}  // namespace

std::vector<Field> describe(const models::GpuProfile& gpu) {
  std::vector<Field> fields{field("architecture", gpu.architecture, any),
                            field("sm_count", gpu.sm_count, any),
                            field("memory.capacity", gpu.memory_capacity, any),
                            field("memory.bandwidth", gpu.memory_bandwidth, any)};
  for (const auto& [dtype, peak] : gpu.peak_flops) {
    fields.push_back(field("peak_flops." + std::string(models::dtype_name(dtype)), peak, any));
  }
  for (const auto& [dtype, efficiency] : gpu.gemm_max_efficiency) {
    fields.push_back(field("efficiency.gemm_max." + std::string(models::dtype_name(dtype)), efficiency, any));
  }
  fields.push_back(field("efficiency.gemm_tile", gpu.gemm_tile, any));
  fields.push_back(field("efficiency.gemm_tile_overhead", gpu.gemm_tile_overhead, any));
  fields.push_back(field("efficiency.attention", gpu.attention_efficiency, any));
  if (gpu.attention_triton_efficiency) {
    fields.push_back(field("efficiency.attention_triton", *gpu.attention_triton_efficiency, any));
  }
  fields.push_back(field("efficiency.memory", gpu.memory_efficiency, any));
  fields.push_back(field("kernel_launch_overhead", gpu.kernel_launch_overhead, any));
  return fields;
}

std::vector<Field> describe(const models::SystemProfile& system) {
  const models::CollectiveProfile& c = system.collectives;
  return {Field{"gpu", system.gpu, "profile gpus/" + system.gpu + ".json", std::nullopt},
          field("gpus_per_node", system.gpus_per_node, any),
          field("nvlink.domain_gpus", system.nvlink_domain_gpus, any),
          field("nvlink.bandwidth_per_gpu", system.nvlink_bandwidth, any),
          field("nvlink.nvls", system.nvls, any),
          field("host_link.host_to_device", system.host_to_device, any),
          field("host_link.device_to_host", system.device_to_host, any),
          field("host_memory.capacity", system.host_memory_capacity, any),
          field("host_memory.bandwidth", system.host_memory_bandwidth, any),
          field("nvme.capacity", system.nvme_capacity, any),
          field("nvme.bandwidth", system.nvme_bandwidth, any),
          field("network.nics_per_node", system.nics_per_node, any),
          field("network.nic_bandwidth", system.nic_bandwidth, any),
          field("collectives.ring_busbw", c.ring_busbw, any),
          field("collectives.nvls_busbw_by_gpus", c.nvls_busbw_by_gpus, any),
          field("collectives.size_ramp", c.size_ramp, any),
          field("collectives.nic_efficiency", c.nic_efficiency, any),
          field("collectives.nccl", c.nccl, any),
          field("collectives.ll_max_busbw", c.ll_max_busbw, any),
          field("collectives.net_overhead", c.net_overhead, any)};
}

std::vector<Field> describe(const models::FrameworkProfile& f) {
  return {field("zero3_collectives", f.zero3_collectives, any),
          field("zero3_prefetch", f.zero3_prefetch, any),
          field("zero3_copies_per_rank", f.zero3_copies_per_rank, any),
          field("zero3_host_time_per_rank", f.zero3_host_time_per_rank, any),
          field("zero3_max_reuse_distance", f.zero3_max_reuse_distance, elements_or_unlimited),
          field("zero3_persistence_threshold", f.zero3_persistence_threshold, elements)};
}

}  // namespace strata::tools
