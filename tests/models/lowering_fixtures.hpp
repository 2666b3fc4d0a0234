// Fixtures for lowering tests: a GPU whose kernel times are exact arithmetic, links made free, and small
// models whose stages are alike.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>

#include "models/executor/executor.hpp"
#include "models/hardware/gpu_profile.hpp"
#include "models/hardware/system_profile.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "models/strategy/training_lowering.hpp"
#include "models/workload/model_catalog.hpp"
#include "models/workload/transformer_config.hpp"
#include "synthetic_system.hpp"

namespace strata::models::testing {

// A GPU whose kernels take exactly FLOPs / 100 TFLOP/s or bytes / 1 TB/s: one SM, 1x1 tiles (no
// quantization), efficiencies 1 (the Triton attention kernel's 0.5), no launch overhead.
inline GpuProfile exact_gpu() {
  GpuProfile gpu;
  gpu.name = "exact";
  gpu.sm_count = {1, "test"};
  gpu.memory_capacity = {strata::sim::Bytes::from_gib(80), "test"};
  gpu.memory_bandwidth = {strata::sim::Bandwidth::from_gb_per_s(1000), "test"};
  gpu.peak_flops[Dtype::kBf16] = {strata::sim::FlopRate::from_tflops_per_s(100), "test"};
  gpu.gemm_max_efficiency[Dtype::kBf16] = {1.0, "test"};
  gpu.gemm_tile = {GemmTile{1, 1}, "test"};
  gpu.attention_efficiency = {1.0, "test"};
  gpu.attention_triton_efficiency = Sourced<double>{0.5, "test"};
  gpu.memory_efficiency = {1.0, "test"};
  gpu.kernel_launch_overhead = {strata::sim::SimTime::zero(), "test"};
  gpu.gemm_tile_overhead = {strata::sim::SimTime::zero(), "test"};
  return gpu;
}

// Communication made free: links of 1e18 B/s at every size.
inline SystemProfile free_links() {
  SystemProfile system = synthetic_system();
  system.collectives.ring_busbw.value = strata::sim::Bandwidth::from_bytes_per_s(1e18);
  system.collectives.nvls_busbw_by_gpus.value.clear();
  system.collectives.size_ramp.value = {{strata::sim::Bytes::from_count(1), 1.0},
                                        {strata::sim::Bytes::from_count(2), 1.0}};
  system.nic_bandwidth.value = strata::sim::Bandwidth::from_bytes_per_s(1e18);
  return system;
}

// synthetic_system with round host numbers: host links 50 GB/s each way, host DRAM 400 GB/s and NVMe
// 40 GB/s per node (8 GPUs), an exact GPU's HBM at 1 TB/s.
inline SystemProfile offload_system() {
  SystemProfile system = synthetic_system();
  system.host_to_device = {strata::sim::Bandwidth::from_gb_per_s(50), "test"};
  system.device_to_host = {strata::sim::Bandwidth::from_gb_per_s(50), "test"};
  system.host_memory_bandwidth = {strata::sim::Bandwidth::from_gb_per_s(400), "test"};
  system.nvme_bandwidth = {strata::sim::Bandwidth::from_gb_per_s(40), "test"};
  system.host_memory_capacity = {strata::sim::Bytes::from_gib(2048), "test"};
  system.nvme_capacity = {strata::sim::Bytes::from_gib(30000), "test"};
  return system;
}

inline TransformerConfig small_model(int layers) {
  TransformerConfig c = ModelCatalog(STRATA_SOURCE_PRESET_DIR).preset("llama3-8b").config;
  c.layers = layers;
  c.hidden = 256;
  c.heads = 4;
  c.kv_heads = 4;
  c.head_dim = 64;
  c.ffn_hidden = 1024;
  c.vocab = 8;  // keeps the embedding and LM head negligible, so stages are alike
  return c;
}

// 1 - (busiest rank's compute) / makespan, over the pipeline phase: the optimizer step that follows it takes
// the same time on every rank, so it is taken out of both.
inline double pipeline_bubble(const ExecutionResult& result) {
  double busiest = 0;
  for (double seconds : result.compute_seconds) busiest = std::max(busiest, seconds);
  const double optimizer = result.seconds_by_category.at("optimizer");
  return 1.0 - (busiest - optimizer) / (result.makespan.seconds() - optimizer);
}

// small_model with `experts` routed experts (top-2) in every layer.
inline TransformerConfig small_moe_model(int layers, int experts) {
  TransformerConfig c = small_model(layers);
  c.family = Family::kMoe;
  c.moe.experts = experts;
  c.moe.experts_per_token = 2;
  c.moe.expert_ffn_hidden = 512;
  return c;
}

// Lowers `s` with every rank and with one rank per pipeline stage and replays both on `system`: every task
// runs, the collapsed graph predicts exactly what the full one does (step, peak memory, time per category)
// and its time breakdown sums to the step. Returns the full run.
inline ExecutionResult check_collapsed_matches_full(const TransformerConfig& model,
                                                    const TrainingSpec& training, const ParallelStrategy& s,
                                                    const SystemProfile& system = synthetic_system()) {
  const GpuProfile gpu = exact_gpu();
  const LoweredTraining full = lower_training(model, training, s, s.world_size(), RankSet::kAll);
  const ExecutionResult result = execute(full.graph, gpu, system);
  CHECK(result.tasks_run == full.graph.tasks.size());
  const LoweredTraining once = lower_training(model, training, s, s.world_size(), RankSet::kSymmetricOnce);
  const ExecutionResult collapsed = execute(once.graph, gpu, system);
  CHECK(once.graph.ranks == s.pp);
  CHECK(collapsed.makespan == result.makespan);
  CHECK(collapsed.peak_memory_bytes.at(0) == result.peak_memory_bytes.at(0));
  REQUIRE(collapsed.seconds_by_category.size() == result.seconds_by_category.size());
  for (const auto& [category, seconds] : result.seconds_by_category) {
    CHECK(collapsed.seconds_by_category.at(category) == Approx(seconds).epsilon(1e-12));
  }
  double total = 0;
  for (const auto& [category, seconds] : collapsed.time_breakdown.at(0)) total += seconds;
  CHECK(total == Approx(collapsed.makespan.seconds()).epsilon(1e-9));
  return result;
}

// One step of a 16-layer model on 4 pipeline stages, 16 micro-batches, communication free: the setup the
// schedule comparisons share. One simulated rank per stage.
inline ExecutionResult free_pipeline_step(const PipelineScheduleKind* schedule) {
  ParallelStrategy s;
  s.pp = 4;
  s.schedule = schedule;
  const LoweredTraining lowered =
      lower_training(small_model(16), TrainingSpec{256, 16, Dtype::kBf16}, s, 4, RankSet::kSymmetricOnce);
  return execute(lowered.graph, exact_gpu(), free_links());
}

}  // namespace strata::models::testing
