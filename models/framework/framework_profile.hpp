// What a training framework does differently with the same model, strategy and hardware, as data with
// sources: calibration/profiles/frameworks/<name>.json (format: calibration/profiles/README.md). A strategy
// names its framework (strategies[].framework, default megatron-core); the lowering reads these settings
// (training_lowering.cpp, ZeRO-3's weight gathers and gradient reductions).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "models/hardware/sourced.hpp"
#include "sim/name_table.hpp"
#include "sim/sim_time.hpp"

namespace strata::models {

// How ZeRO-3 / FSDP moves one layer's weights and gradients: one collective for the layer (PyTorch FSDP's
// flat parameter per wrapped block, Megatron FSDP's buckets, DeepSpeed's coalesced gathers), or one per
// weight tensor (DeepSpeed ZeRO-3 of 2021: an all-gather and a reduce-scatter per parameter).
enum class Zero3Collectives { kPerLayer, kPerTensor };
inline constexpr std::size_t kZero3CollectivesCount = 2;
inline constexpr sim::NameTable<Zero3Collectives, kZero3CollectivesCount> kZero3CollectivesNames{{{
    {Zero3Collectives::kPerLayer, "per_layer"},
    {Zero3Collectives::kPerTensor, "per_tensor"},
}}};

// The most host work before one kernel that a framework profile or a graph file may give
// (zero3_host_time_per_rank, ComputeSpec::host_per_kernel): far beyond any eager op, and a million such
// kernels stay within SimTime's range.
inline constexpr sim::SimTime kMaxHostPerKernel = sim::SimTime::from_ps(1'000'000'000'000);

struct FrameworkProfile {
  std::string name = "megatron-core";  // file stem; the defaults below are megatron-core's
  std::string display_name;
  Sourced<Zero3Collectives> zero3_collectives{Zero3Collectives::kPerLayer, "default"};
  // True: the next layer's weights are gathered while this layer computes (one layer of prefetch). False:
  // a gather waits until the GPU has finished the work queued before it on every stream (a device
  // synchronisation before each gather: the compute and the gradient reductions), so gathers and compute
  // alternate.
  Sourced<bool> zero3_prefetch{true, "default"};
  // True: ZeRO-3's collectives go through torch.distributed's list API, which stages through a flat buffer:
  // all_gather copies the gathered buffer into each rank's output tensor after the collective, and
  // reduce_scatter copies each rank's input into the buffer before it; one copy per rank of the group, on
  // the collective's stream. False: the collective reads and writes one flat tensor (all_gather_into_tensor,
  // reduce_scatter_tensor).
  Sourced<bool> zero3_copies_per_rank{false, "default"};
  // With copies per rank: the host's eager work per rank of each such collective (the framework's Python
  // loop over the ranks' partitions and PyTorch's dispatch of each copy). The copies then follow one another
  // at the slower of this and the GPU's time per copy. Zero without copies per rank.
  Sourced<sim::SimTime> zero3_host_time_per_rank{sim::SimTime::zero(), "default"};
  // With per-tensor collectives: a weight tensor of fewer elements stays gathered once it has been (it is
  // never released, so never gathered again per use); its gradient is still reduce-scattered. 0: none.
  Sourced<double> zero3_persistence_threshold{0, "default"};
  // With per-tensor collectives and full recompute: a tensor gathered for the recompute forward is released
  // again unless the parameters used before its backward (those after it in the layer, once in the
  // recompute forward and once in the backward) number fewer than this; a released tensor is gathered a
  // second time for the backward. Empty: kept until its backward (one gather serves both).
  Sourced<std::optional<double>> zero3_max_reuse_distance{std::nullopt, "default"};
};

}  // namespace strata::models
