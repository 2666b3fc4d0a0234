// The hardware of every GPU of a cluster: its node type (system profile: GPUs per node, NVLink, NICs, host
// memory) and the GPU profile of each GPU, the same for all unless a GPU is given another (a cluster mixing
// GPU generations). Besides, per GPU a slowdown of its kernels (a straggler: thermal throttling, a noisy
// neighbour), per node the line rate of its NICs (a degraded link) and the NICs that are down (a rail down),
// and kernel-time jitter (run-to-run noise of every GPU kernel). The executor looks each rank's GPU up here
// (DESIGN.md, "Engine": hardware is per rank); the network back ends read the NIC rates.
//
// Holds references: the profiles must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"
#include "sim/units.hpp"

namespace strata::models {

// Per-kernel time noise: every GPU kernel's time is multiplied by an independent lognormal factor of mean 1
// and coefficient of variation `cv`, drawn from a source seeded with `seed` in the order kernels start (same
// seed, same step).
struct KernelJitter {
  double cv = 0;
  std::uint64_t seed = 0;
};

class ClusterHardware {
 public:
  ClusterHardware(const SystemProfile& system, const GpuProfile& gpu)
      : system_(&system), default_gpu_(&gpu) {}

  const SystemProfile& system() const { return *system_; }
  int gpus_per_node() const { return system_->gpus_per_node.value; }
  // The profile of GPU `gpu` (a global index, GPU g on node g / gpus_per_node).
  const GpuProfile& gpu(int gpu) const {
    if (gpus_.empty()) return *default_gpu_;
    const auto found = gpus_.find(gpu);
    return found == gpus_.end() ? *default_gpu_ : *found->second;
  }
  const GpuProfile& default_gpu() const { return *default_gpu_; }
  void set_gpu(int gpu, const GpuProfile& profile) { gpus_[gpu] = &profile; }

  // How many times longer GPU `gpu`'s kernels take than its profile says (1: none; at least 1).
  double slowdown(int gpu) const {
    if (slowdowns_.empty()) return 1.0;
    const auto found = slowdowns_.find(gpu);
    return found == slowdowns_.end() ? 1.0 : found->second;
  }
  void set_slowdown(int gpu, double factor) { slowdowns_[gpu] = factor; }

  // The line rate of each NIC of node `node` (the system's unless set).
  sim::Bandwidth nic_bandwidth(int node) const {
    if (nics_.empty()) return system_->nic_bandwidth.value;
    const auto found = nics_.find(node);
    return found == nics_.end() ? system_->nic_bandwidth.value : found->second;
  }
  void set_nic_bandwidth(int node, sim::Bandwidth rate) { nics_[node] = rate; }
  // NICs of `node` that are missing or down (a rail down), ascending; the node keeps at least one.
  const std::vector<int>& nics_down(int node) const {
    static const std::vector<int> kNone;
    const auto found = nics_down_.find(node);
    return found == nics_down_.end() ? kNone : found->second.nics;
  }
  void set_nics_down(int node, std::vector<int> nics);
  // The NIC traffic meant for NIC `nic` of `node` leaves through: itself, or when it is down the next
  // working one in index order (wrapping), reached over NVLink as NCCL's PXN reaches a NIC of another rail.
  int working_nic(int node, int nic) const;
  // How many of the node's NCCL channels the busiest working NIC carries against one when all work: the
  // channels keep one per NIC, each down NIC's going to its working_nic, so a ring collective through the
  // node moves at 1 / this of its pace (1 without NICs down).
  int channels_per_working_nic(int node) const {
    const auto found = nics_down_.find(node);
    return found == nics_down_.end() ? 1 : found->second.busiest_channels;
  }
  bool has_nic_overrides() const { return !nics_.empty() || !nics_down_.empty(); }
  const std::optional<KernelJitter>& jitter() const { return jitter_; }
  void set_jitter(KernelJitter jitter) { jitter_ = jitter; }
  // Nothing set: every GPU and node alike, so symmetric ranks may be simulated once.
  bool uniform() const {
    return gpus_.empty() && slowdowns_.empty() && nics_.empty() && nics_down_.empty() && !jitter_;
  }

 private:
  const SystemProfile* system_;
  const GpuProfile* default_gpu_;
  std::map<int, const GpuProfile*> gpus_;
  std::map<int, double> slowdowns_;
  std::map<int, sim::Bandwidth> nics_;
  struct DownNics {
    std::vector<int> nics;     // ascending
    int busiest_channels = 1;  // channels_per_working_nic, computed once when set
  };
  std::map<int, DownNics> nics_down_;
  std::optional<KernelJitter> jitter_;
};

}  // namespace strata::models
