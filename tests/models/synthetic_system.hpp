// A synthetic node type with round numbers, so collective and topology tests can be derived by hand:
// 8 GPUs per node and per NVLink domain, ring busbw 100 GB/s, NVLS all-reduce busbw 150 GB/s at 8 GPUs only,
// 4 NICs of 25 GB/s at efficiency 1, size ramp (1 KiB, 0.01), (1 MiB, 0.5), (1 GiB, 1.0).
#pragma once

#include "models/hardware/system_profile.hpp"

inline strata::models::SystemProfile synthetic_system(int gpus_per_node = 8, int nics_per_node = 4) {
  using strata::sim::Bandwidth;
  using strata::sim::Bytes;
  strata::models::SystemProfile system;
  system.name = "synthetic";
  system.gpu = "synthetic-gpu";
  system.gpus_per_node = {gpus_per_node, "test"};
  system.nvlink_domain_gpus = {gpus_per_node, "test"};
  system.nvlink_bandwidth = {Bandwidth::from_gb_per_s(125), "test"};
  system.nvls = {true, "test"};
  system.nics_per_node = {nics_per_node, "test"};
  system.nic_bandwidth = {Bandwidth::from_gb_per_s(25), "test"};
  system.collectives.ring_busbw = {Bandwidth::from_gb_per_s(100), "test"};
  system.collectives.nvls_busbw_by_gpus = {{{8, Bandwidth::from_gb_per_s(150)}}, "test"};
  system.collectives.size_ramp = {
      {{Bytes::from_kib(1), 0.01}, {Bytes::from_mib(1), 0.5}, {Bytes::from_gib(1), 1.0}}, "test"};
  system.collectives.nic_efficiency = {1.0, "test"};
  return system;
}
