#include "models/strategy/zero3_units.hpp"

#include <optional>

namespace strata::models {

std::vector<Zero3Unit> zero3_units(const TransformerConfig& model, const ParallelStrategy& s, int layer,
                                   SplitBytes layer_parameters) {
  if (s.framework.zero3_collectives.value == Zero3Collectives::kPerLayer) return {{layer_parameters, true}};
  const std::vector<WeightTensor> tensors = layer_weight_tensors(model, layer);
  const auto on_gpu = [&s](const WeightTensor& t) {
    return t.expert ? SplitBytes{0, t.parameters / (s.ep * s.expert_tp)} : SplitBytes{t.parameters / s.tp, 0};
  };
  double after = 0;  // parameters on one GPU of the tensors after the one at hand, in forward order
  for (const WeightTensor& t : tensors) after += on_gpu(t).total();
  const std::optional<double>& reuse = s.framework.zero3_max_reuse_distance.value;
  std::vector<Zero3Unit> units;
  for (const WeightTensor& t : tensors) {
    after -= on_gpu(t).total();
    if (t.expert && s.fssdp) continue;
    const bool gathered = t.parameters >= s.framework.zero3_persistence_threshold.value;
    const bool released = reuse && s.recompute == Recompute::kFull && 2.0 * after >= *reuse;
    units.push_back({on_gpu(t), gathered, gathered && released});
  }
  return units;
}

}  // namespace strata::models
