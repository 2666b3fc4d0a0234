// Serving simulation speed (issue 20's goal: a 30,000-request offline run, 128 + 128 tokens, of Llama 3.1 8B
// on one H100 in <= 2 s). Figures, best of --repeats runs:
//  - serving run: seconds for the whole run (batch limits, memory, every iteration on the executor);
//  - serving requests/s and iterations/s: simulated requests and iterations per second of wall time;
//  - and the same for Llama 3.1 70B on two GPUs (tp 2), 1,500 requests of 2048 + 2048 tokens.
// Usage: serving_bench PROFILE_DIR PRESET_DIR [--repeats N]
#include <chrono>
#include <cstdio>
#include <string>

#include "bench_args.hpp"
#include "models/hardware/cluster_hardware.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/serving/serving_simulation.hpp"
#include "models/workload/model_catalog.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace strata;

void measure(const char* label, const models::TransformerConfig& model, const models::Deployment& deployment,
             const models::ServingWorkload& workload, const models::ClusterHardware& hardware,
             std::int64_t repeats) {
  double best = 1e300;
  std::size_t iterations = 0;
  for (std::int64_t r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    const models::ServingRun run = models::simulate_serving(model, deployment, workload, hardware);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    iterations = run.iterations.size();
  }
  const std::string name(label);
  tools::print_figure((name + " run").c_str(), best, "s");
  tools::print_figure((name + " requests/s").c_str(), static_cast<double>(workload.requests) / best,
                      "requests/s");
  tools::print_figure((name + " iterations/s").c_str(), static_cast<double>(iterations) / best,
                      "iterations/s");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s PROFILE_DIR PRESET_DIR [--repeats N]\n", argv[0]);
    return 2;
  }
  const std::int64_t repeats = tools::integer_argument(argc, argv, "--repeats", 3);
  const models::ProfileCatalog profiles(argv[1]);
  const models::ModelCatalog presets(argv[2]);
  const models::SystemProfile system = profiles.system("dgx-h100");
  const models::GpuProfile gpu = profiles.gpu(system.gpu);
  const models::ClusterHardware hardware(system, gpu);
  models::Deployment deployment;
  deployment.weights_dtype = models::Dtype::kFp8;
  deployment.kv_dtype = models::Dtype::kFp8;
  models::ServingWorkload workload;
  workload.requests = 30000;
  workload.input_len = 128;
  workload.output_len = 128;
  measure("serving llama3.1-8b 30000 x 128/128", presets.preset("llama3.1-8b").config, deployment, workload,
          hardware, repeats);
  deployment.tp = 2;
  workload.requests = 1500;
  workload.input_len = 2048;
  workload.output_len = 2048;
  measure("serving llama3.1-70b tp2 1500 x 2048/2048", presets.preset("llama3.1-70b").config, deployment,
          workload, hardware, repeats);
  // A MoE model with attention dp: eight schedulers stepping together, the experts priced per iteration.
  deployment.tp = 8;
  deployment.ep = 8;
  deployment.attention_dp = true;
  workload.requests = 3000;
  workload.input_len = 1000;
  workload.output_len = 1000;
  measure("serving qwen3-235b-a22b tp8 ep8 attention-dp 3000 x 1000/1000",
          presets.preset("qwen3-235b-a22b").config, deployment, workload, hardware, repeats);
  // Pipeline parallelism with preemption and shared prefixes: two micro-batches through two stages.
  deployment = models::Deployment{};
  deployment.tp = 4;
  deployment.pp = 2;
  deployment.weights_dtype = models::Dtype::kFp8;
  deployment.kv_dtype = models::Dtype::kFp8;
  deployment.preemption = models::PreemptionKind::kRecompute;
  workload.shared_prefixes = 8;
  workload.shared_prefix_len = 512;
  measure("serving llama3.1-405b tp4 pp2 recompute 3000 x 1000/1000, 8 shared prefixes",
          presets.preset("llama3.1-405b").config, deployment, workload, hardware, repeats);
  // Disaggregated pools under Poisson load: every request's KV sent from a prefill to a decode replica.
  deployment = models::Deployment{};
  deployment.weights_dtype = models::Dtype::kFp8;
  deployment.kv_dtype = models::Dtype::kFp8;
  deployment.prefill_pool = models::serving_pool(2, 4);
  deployment.decode_pool = models::serving_pool(2, 4);
  workload = models::ServingWorkload{};
  workload.requests = 10000;
  workload.input_len = 4096;
  workload.output_len = 256;
  workload.arrival = models::ArrivalKind::kPoisson;
  workload.rate_per_s = 8;
  measure("serving llama3.1-70b prefill tp2x4 decode tp2x4 10000 x 4096/256 poisson",
          presets.preset("llama3.1-70b").config, deployment, workload, hardware, repeats);
  return 0;
}
