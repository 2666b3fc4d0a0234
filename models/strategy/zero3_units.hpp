// The parameters ZeRO-3 moves with one collective (framework.zero3_collectives): a layer's, or each of its
// weight tensors (layer_weight_tensors), on one GPU (dense / tp, experts / (ep x expert_tp)).
//
// A tensor below framework.zero3_persistence_threshold elements stays gathered (`gathered` false: its
// gradient is reduce-scattered, its weights never gathered per use). With full recompute, a tensor whose
// reuse distance reaches framework.zero3_max_reuse_distance is released after the recompute forward and
// gathered again for its backward (`regathered`): the distance is the parameters of the tensors after it in
// the layer, used once in the recompute forward and once in the backward before it (DeepSpeed v0.3.14
// PrefetchCoordinator._distance_in_numel, counted here per tensor rather than per module).
#pragma once

#include <vector>

#include "models/strategy/data_parallel_lowering.hpp"
#include "models/strategy/parallel_strategy.hpp"
#include "models/workload/transformer_config.hpp"

namespace strata::models {

struct Zero3Unit {
  SplitBytes parameters;  // parameters (not bytes) on one GPU, dense and expert
  bool gathered = true;
  bool regathered = false;
};

// The units of `layer`, in forward order; `layer_parameters` are the layer's data-parallel parameters on
// one GPU (the one unit of per-layer collectives).
std::vector<Zero3Unit> zero3_units(const TransformerConfig& model, const ParallelStrategy& strategy,
                                   int layer, SplitBytes layer_parameters);

}  // namespace strata::models
