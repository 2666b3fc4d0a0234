// A PyTorch profiler (Kineto) trace as Strata reads it: the Chrome-trace JSON the profiler writes per rank,
// plain or gzip. Only what replay needs is kept (docs: traces/README.md, "Kineto traces"):
//  - GPU activity (ph "X", cat kernel, gpu_memcpy, gpu_memset): name, stream, start, duration, the
//    correlation id of the runtime call that launched it, bytes of a copy, and an NCCL kernel's collective
//    metadata (args "Collective name", "In msg nelems", "Out msg nelems", "dtype", "Group size",
//    "Process Group Ranks", "Process Group Name", "Process Group Description");
//  - CUDA runtime and driver calls (cat cuda_runtime, cuda_driver): thread, start, duration, correlation;
//  - steps: the "ProfilerStep#N" annotations;
//  - GEMM operators (cat cpu_op: aten::mm, addmm, bmm, baddbmm) with args "Input Dims" and "Input type";
//  - distributedInfo (rank, world_size) and the device's name (deviceProperties).
// Everything else is skipped, and the text is streamed (traces/kineto/kineto_event_stream.hpp). Reading is
// strict where replay depends on a value: a GPU event without a stream, a negative duration or a malformed
// group list is an error naming the file and the event's JSON path
// (/traceEvents/1234/args/stream).
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace strata::traces {

enum class GpuOpKind { kKernel, kMemcpy, kMemset };

// Kernel and runtime-call names repeat thousands of times in a trace: each is kept once, and events view it.
// Views stay valid as long as the pool lives (strings sit in a deque, which never moves its elements).
class KinetoNamePool {
 public:
  std::string_view intern(std::string_view name);

 private:
  std::deque<std::string> storage_;
  std::unordered_set<std::string_view> index_;
};

// An NCCL kernel's collective, as PyTorch's profiler records it (record_param_comms).
struct KinetoCollective {
  std::string name;  // "allreduce", "_allgather_base", "reduce_scatter_tensor_coalesced", ...
  std::int64_t in_elements = 0;
  std::int64_t out_elements = 0;
  std::string dtype;  // PyTorch's scalar type name: "Float", "BFloat16", ...
  int group_size = 0;
  std::vector<int> ranks;  // the process group's global ranks; empty when the trace does not list them
  std::string group_name;
  std::string group_description;  // the group_desc a framework gave it ("DATA_PARALLEL_GROUP"); may be empty
};

struct KinetoGpuOp {
  GpuOpKind kind = GpuOpKind::kKernel;
  std::string_view name;  // in the trace's name pool
  std::int64_t stream = 0;
  double start_us = 0;
  double duration_us = 0;
  std::optional<std::int64_t> correlation;
  std::int64_t bytes = 0;                              // memcpy and memset
  std::shared_ptr<const KinetoCollective> collective;  // NCCL kernels with metadata; null for the others
  std::size_t event = 0;                               // index in traceEvents, for messages
};

struct KinetoRuntimeCall {
  std::string_view
      name;  // in the trace's name pool  // cudaLaunchKernel, cudaStreamWaitEvent, cudaStreamSynchronize, ...
  std::int64_t thread = 0;
  double start_us = 0;
  double duration_us = 0;
  std::optional<std::int64_t> correlation;
  std::size_t event = 0;
};

// A GEMM operator on a CPU thread with its recorded inputs (record_shapes; traces/kineto/gemm_operators.hpp):
// the kernels launched within its span on its thread compute its product.
struct KinetoGemmOp {
  std::string_view name;  // aten::mm, ...; in the trace's name pool
  std::int64_t thread = 0;
  double start_us = 0;
  double duration_us = 0;
  std::vector<std::vector<std::int64_t>> input_dims;  // per input; [] for a scalar
  std::string_view first_matrix_type;                 // PyTorch's scalar type: "float", "c10::BFloat16", ...
  std::size_t event = 0;
};

struct KinetoStep {
  std::int64_t number = 0;  // N of ProfilerStep#N
  double start_us = 0;
  double duration_us = 0;
};

struct KinetoTrace {
  std::string source;
  std::string device;  // the traced GPU's name ("NVIDIA A100-SXM4-80GB"); empty when not recorded
  int rank = 0;
  int world_size = 1;
  std::vector<KinetoGpuOp> gpu_ops;              // in file order
  std::vector<KinetoRuntimeCall> runtime_calls;  // in file order
  std::vector<KinetoStep> steps;                 // by start time
  std::vector<KinetoGemmOp> gemm_ops;            // in file order; only where the trace recorded shapes
  // What the events' names view; shared, so that a copy of the trace views the same names.
  std::shared_ptr<KinetoNamePool> names = std::make_shared<KinetoNamePool>();
};

// The trace in `text` (`source` names it in messages).
KinetoTrace parse_kineto_trace(std::string_view text, const std::string& source);
// The trace streamed from `text` (traces/maybe_gzip_file.hpp), never held whole.
KinetoTrace read_kineto_trace(std::streambuf& text, const std::string& source);
// Reads a trace file, gzip or plain (up to 2 GiB either way), streaming.
KinetoTrace read_kineto_trace(const std::filesystem::path& path);

}  // namespace strata::traces
