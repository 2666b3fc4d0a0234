// A Kineto trace of one rank as an execution graph that replay re-creates (traces/README.md, "Kineto
// traces"). The graph simulates the traced rank; the job's other ranks are taken as symmetric (its
// collectives keep their process group's GPUs, so the network model prices them at the job's scale).
//
// What becomes what, over the window from the first ProfilerStep's start to the last one's end (the whole
// trace when it has no step annotation):
//  - each GPU stream and each CPU thread that calls the CUDA runtime becomes a stream of the rank;
//  - kernels, copies and memsets keep their measured durations (ComputeKind::kMeasured), in program order
//    per stream, each after the runtime call that launched it (correlation id); a GEMM kernel launched by a
//    GEMM operator with recorded shapes also carries its product (compute.gemm and compute.dtype), which
//    what-ifs read and replay does not;
//  - a CPU thread is a sequence of measured segments between its launches, so that a job limited by its host
//    stays limited by it; a synchronize call (cudaStreamSynchronize, cudaDeviceSynchronize,
//    cudaEventSynchronize, ...) waits for the GPU work that had finished when it returned;
//  - a cudaStreamWaitEvent makes the next kernel its thread launches wait for the latest work of another
//    stream that had finished when that kernel started (the trace names neither the event nor its stream:
//    the dependency is read from what happened before);
//  - NCCL kernels with collective metadata become collectives over their process group, priced by the
//    network model; with `measured_comm`, and for those the model cannot take (send/recv, a group without its
//    ranks, an unknown dtype), they keep their measured time. Categories: send/recv pp; the role the process
//    group's description names (process_group_roles.hpp: Megatron-Core's DATA_PARALLEL_GROUP is dp); else
//    all-to-all ep, a group of the whole job dp, any other group tp.
// Same trace, same graph, byte for byte.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "models/graph/execution_graph.hpp"
#include "traces/kineto/kineto_trace.hpp"

namespace strata::traces {

struct KinetoImportOptions {
  bool measured_comm = false;  // keep NCCL kernels' measured times instead of the network model's
};

struct KinetoImport {
  models::ExecutionGraph graph;
  std::int64_t steps = 1;         // complete ProfilerSteps in the window (1 when the trace has none)
  double window_start_us = 0;     // the window's start, in the trace's clock
  double window_s = 0;            // the window's length
  double measured_step_s = 0;     // the steps' mean duration (the window when there are none)
  std::int64_t gpu_ops = 0;       // kernels, copies and memsets imported
  std::int64_t gemm_kernels = 0;  // imported kernels of the gemm class
  std::int64_t gemm_kernels_with_shape = 0;  // of those, with their operator's shape (gemm_launches.hpp)
  std::int64_t modelled_collectives = 0;
  std::map<std::string, std::int64_t> measured_communication;  // reason -> NCCL kernels kept as measured
};

KinetoImport import_kineto(const KinetoTrace& trace, const KinetoImportOptions& options = {});

}  // namespace strata::traces
