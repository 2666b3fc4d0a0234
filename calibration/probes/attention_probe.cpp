// Fused scaled-dot-product attention through cuDNN's backend graph API: the SDPA forward operation (with the
// softmax statistics a training step keeps) and the SDPA backward operation, each the whole graph, on 16-bit
// Q, K, V of shape [batch, heads, seq, head_dim] in the BSHD memory layout Megatron-Core and Transformer
// Engine hand to cuDNN. Self-attention without a mask: cuDNN 9.19's SDPA operations take no causal attribute,
// so the rows are non-causal (the model halves causal FLOPs at the same efficiency;
// calibration/measurements/README.md). FLOPs counted as the model counts them
// (models/strategy/layer_lowering.cpp): forward 4 b h s^2 d (two GEMMs), backward 2.5 times that (five GEMMs,
// FlashAttention-2's count). The engine is the first of cuDNN's heuristic (mode A) configurations whose
// execution plan finalizes.
#include "probe.hpp"

#ifdef STRATA_PROBE_HAS_CUDNN
#include <cudnn.h>
#endif

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::probes {

#if defined(STRATA_PROBE_HAS_CUDNN) && CUDNN_VERSION >= 91900

namespace {

constexpr double kBackwardFlopsFactor = 2.5;  // as kAttentionBackwardFactor in layer_lowering.cpp

// A graph the backend cannot build or run for this case (no engine, unsupported shape): the row is marked
// unsupported with this message, and the other cases go on.
class Unsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void check(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw Unsupported(std::string(what) + ": " + cudnnGetErrorString(status));
}

// One backend descriptor, destroyed with its owner.
class Descriptor {
 public:
  explicit Descriptor(cudnnBackendDescriptorType_t type) {
    check(cudnnBackendCreateDescriptor(type, &raw_), "create descriptor");
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (raw_ != nullptr) cudnnBackendDestroyDescriptor(raw_);
  }
  cudnnBackendDescriptor_t get() const { return raw_; }
  template <typename T>
  void set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, const T* values,
           std::int64_t count = 1) {
    check(cudnnBackendSetAttribute(raw_, name, type, count, values), "set attribute");
  }
  void link(cudnnBackendAttributeName_t name, const Descriptor& other) {
    const cudnnBackendDescriptor_t value = other.get();
    set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, &value);
  }
  void finalize(const char* what) { check(cudnnBackendFinalize(raw_), what); }

 private:
  cudnnBackendDescriptor_t raw_ = nullptr;
};
using DescriptorPtr = std::unique_ptr<Descriptor>;

struct Shape {
  std::int64_t batch, heads, seq, head_dim;
};

// A [b, h, s, d] tensor in BSHD memory order, or [b, h, s, 1] fp32 statistics, or a by-value fp32 scalar.
DescriptorPtr tensor(std::int64_t uid, const Shape& x, cudnnDataType_t type, bool stats = false,
                     bool scalar = false) {
  auto t = std::make_unique<Descriptor>(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  std::int64_t dims[4] = {x.batch, x.heads, x.seq, stats ? 1 : x.head_dim};
  std::int64_t strides[4] = {x.seq * x.heads * x.head_dim, x.head_dim, x.heads * x.head_dim, 1};
  if (stats) {
    strides[0] = x.heads * x.seq, strides[1] = x.seq, strides[2] = 1, strides[3] = 1;
  }
  if (scalar) {
    for (int i = 0; i < 4; ++i) dims[i] = 1, strides[i] = 1;
  }
  const std::int64_t alignment = 16;
  t->set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, &type);
  t->set(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, dims, 4);
  t->set(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, strides, 4);
  t->set(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, &uid);
  t->set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, &alignment);
  if (scalar) {
    const bool by_value = true;
    t->set(CUDNN_ATTR_TENSOR_IS_BY_VALUE, CUDNN_TYPE_BOOLEAN, &by_value);
  }
  t->finalize("tensor");
  return t;
}

// The graph of one operation, and an execution plan from the first heuristic configuration that builds.
struct Plan {
  DescriptorPtr graph;
  DescriptorPtr plan;
  std::vector<DescriptorPtr> configs;
  std::int64_t workspace_bytes = 0;
};

Plan build_plan(cudnnHandle_t handle, const Descriptor& operation) {
  Plan result;
  result.graph = std::make_unique<Descriptor>(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  result.graph->set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, &handle);
  result.graph->link(CUDNN_ATTR_OPERATIONGRAPH_OPS, operation);
  result.graph->finalize("operation graph");
  Descriptor heuristics(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  heuristics.link(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, *result.graph);
  const cudnnBackendHeurMode_t mode = CUDNN_HEUR_MODE_A;
  heuristics.set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, &mode);
  heuristics.finalize("engine heuristics");
  std::int64_t count = 0;
  check(cudnnBackendGetAttribute(heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                 CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count, nullptr),
        "heuristic count");
  if (count <= 0) throw Unsupported("cuDNN has no engine for this graph");
  std::vector<cudnnBackendDescriptor_t> raw;
  for (std::int64_t i = 0; i < count; ++i) {
    result.configs.push_back(std::make_unique<Descriptor>(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR));
    raw.push_back(result.configs.back()->get());
  }
  std::int64_t returned = 0;
  check(cudnnBackendGetAttribute(heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                 CUDNN_TYPE_BACKEND_DESCRIPTOR, count, &returned, raw.data()),
        "heuristic results");
  std::string last_error = "no configuration returned";
  for (std::int64_t i = 0; i < returned; ++i) {
    auto plan = std::make_unique<Descriptor>(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
    plan->set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, &handle);
    plan->link(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, *result.configs[static_cast<std::size_t>(i)]);
    const cudnnStatus_t status = cudnnBackendFinalize(plan->get());
    if (status != CUDNN_STATUS_SUCCESS) {
      last_error = cudnnGetErrorString(status);
      continue;
    }
    std::int64_t got = 0;
    check(cudnnBackendGetAttribute(plan->get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1,
                                   &got, &result.workspace_bytes),
          "workspace size");
    result.plan = std::move(plan);
    return result;
  }
  throw Unsupported("no engine configuration builds: " + last_error);
}

// Device buffers freed on every path.
class DeviceBuffers {
 public:
  void* allocate(std::size_t bytes) {
    void* pointer = nullptr;
    if (cudaMalloc(&pointer, bytes == 0 ? 1 : bytes) != cudaSuccess) {
      cudaGetLastError();
      throw Unsupported("out of device memory");
    }
    cudaMemset(pointer, 0,
               bytes);  // zeros: finite inputs; the fused kernels' time does not depend on the values
    pointers_.push_back(pointer);
    return pointer;
  }
  ~DeviceBuffers() {
    for (void* pointer : pointers_) cudaFree(pointer);
  }

 private:
  std::vector<void*> pointers_;
};

enum Uid : std::int64_t { kQ = 1, kK, kV, kO, kStats, kScale, kDo, kDq, kDk, kDv };

// Times one pass; `backward` runs the SDPA backward operation on the forward's outputs.
Stats time_pass(cudnnHandle_t handle, cudaStream_t stream, const Shape& x, bool backward, int warmup,
                int repeats) {
  const cudnnDataType_t bf16 = CUDNN_DATA_BFLOAT16;
  const DescriptorPtr q = tensor(kQ, x, bf16), k = tensor(kK, x, bf16), v = tensor(kV, x, bf16),
                      o = tensor(kO, x, bf16);
  const DescriptorPtr stats = tensor(kStats, x, CUDNN_DATA_FLOAT, true);
  const DescriptorPtr scale = tensor(kScale, x, CUDNN_DATA_FLOAT, false, true);
  // The attributes both operations take, in the order q, k, v, o, stats, scale.
  const cudnnBackendAttributeName_t forward_inputs[] = {
      CUDNN_ATTR_OPERATION_SDPA_FWD_QDESC,     CUDNN_ATTR_OPERATION_SDPA_FWD_KDESC,
      CUDNN_ATTR_OPERATION_SDPA_FWD_VDESC,     CUDNN_ATTR_OPERATION_SDPA_FWD_ODESC,
      CUDNN_ATTR_OPERATION_SDPA_FWD_STATSDESC, CUDNN_ATTR_OPERATION_SDPA_FWD_SCALEDESC};
  const cudnnBackendAttributeName_t backward_inputs[] = {
      CUDNN_ATTR_OPERATION_SDPA_BWD_QDESC,     CUDNN_ATTR_OPERATION_SDPA_BWD_KDESC,
      CUDNN_ATTR_OPERATION_SDPA_BWD_VDESC,     CUDNN_ATTR_OPERATION_SDPA_BWD_ODESC,
      CUDNN_ATTR_OPERATION_SDPA_BWD_STATSDESC, CUDNN_ATTR_OPERATION_SDPA_BWD_SCALEDESC};
  const Descriptor* shared[] = {q.get(), k.get(), v.get(), o.get(), stats.get(), scale.get()};
  Descriptor operation(backward ? CUDNN_BACKEND_OPERATION_SDPA_BWD_DESCRIPTOR
                                : CUDNN_BACKEND_OPERATION_SDPA_FWD_DESCRIPTOR);
  for (int i = 0; i < 6; ++i) operation.link(backward ? backward_inputs[i] : forward_inputs[i], *shared[i]);
  DescriptorPtr d_o, d_q, d_k, d_v;
  if (backward) {
    d_o = tensor(kDo, x, bf16), d_q = tensor(kDq, x, bf16), d_k = tensor(kDk, x, bf16),
    d_v = tensor(kDv, x, bf16);
    operation.link(CUDNN_ATTR_OPERATION_SDPA_BWD_DODDESC, *d_o);
    operation.link(CUDNN_ATTR_OPERATION_SDPA_BWD_DQDESC, *d_q);
    operation.link(CUDNN_ATTR_OPERATION_SDPA_BWD_DKDESC, *d_k);
    operation.link(CUDNN_ATTR_OPERATION_SDPA_BWD_DVDESC, *d_v);
  }
  operation.finalize(backward ? "SDPA backward operation" : "SDPA forward operation");
  const Plan plan = build_plan(handle, operation);

  DeviceBuffers buffers;
  const std::size_t activation = static_cast<std::size_t>(x.batch * x.heads * x.seq * x.head_dim) * 2;
  const std::size_t statistics = static_cast<std::size_t>(x.batch * x.heads * x.seq) * 4;
  float scale_value = 1.0f / std::sqrt(static_cast<float>(x.head_dim));
  std::vector<std::int64_t> uids = {kQ, kK, kV, kO, kStats, kScale};
  std::vector<void*> pointers = {buffers.allocate(activation), buffers.allocate(activation),
                                 buffers.allocate(activation), buffers.allocate(activation),
                                 buffers.allocate(statistics), &scale_value};
  if (backward) {
    for (std::int64_t uid : {kDo, kDq, kDk, kDv}) {
      uids.push_back(uid);
      pointers.push_back(buffers.allocate(activation));
    }
  }
  void* workspace =
      plan.workspace_bytes > 0 ? buffers.allocate(static_cast<std::size_t>(plan.workspace_bytes)) : nullptr;
  Descriptor pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, uids.data(),
           static_cast<std::int64_t>(uids.size()));
  pack.set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, pointers.data(),
           static_cast<std::int64_t>(pointers.size()));
  pack.set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, &workspace);
  pack.finalize("variant pack");
  return time_on_stream(stream, warmup, repeats,
                        [&] { check(cudnnBackendExecute(handle, plan.plan->get(), pack.get()), "execute"); });
}

std::string version_text(std::size_t version) {
  return std::to_string(version / 10000) + "." + std::to_string((version % 10000) / 100) + "." +
         std::to_string(version % 100);
}

}  // namespace

nlohmann::json attention_probe(const nlohmann::json& plan, int warmup, int repeats) {
  cudnnHandle_t handle = nullptr;
  if (cudnnCreate(&handle) != CUDNN_STATUS_SUCCESS) {
    return {{"status", "missing"}, {"reason", "cudnnCreate failed: cuDNN cannot run on this GPU or driver"}};
  }
  cudaStream_t stream = nullptr;
  check_cuda(cudaStreamCreate(&stream), "cudaStreamCreate");
  cudnnSetStream(handle, stream);
  const std::int64_t heads = plan.at("heads").get<std::int64_t>();
  const std::int64_t batch = plan.at("batch").get<std::int64_t>();
  nlohmann::json rows = nlohmann::json::array();
  int measured = 0;
  for (const auto& head_dim : plan.at("head_dims")) {
    for (const auto& seq : plan.at("seq_lens")) {
      const Shape shape{batch, heads, seq.get<std::int64_t>(), head_dim.get<std::int64_t>()};
      const double forward_flops = 4.0 * static_cast<double>(shape.batch * shape.heads) *
                                   static_cast<double>(shape.seq) * static_cast<double>(shape.seq) *
                                   static_cast<double>(shape.head_dim);
      for (const bool backward : {false, true}) {
        nlohmann::json row = {{"pass", backward ? "backward" : "forward"},
                              {"dtype", "bf16"},
                              {"batch", shape.batch},
                              {"heads", shape.heads},
                              {"seq_len", shape.seq},
                              {"head_dim", shape.head_dim},
                              {"causal", false}};
        const double flops = forward_flops * (backward ? kBackwardFlopsFactor : 1.0);
        try {
          const Stats stats = time_pass(handle, stream, shape, backward, warmup, repeats);
          row.update({{"flops", flops},
                      {"median_us", stats.median_us},
                      {"min_us", stats.min_us},
                      {"max_us", stats.max_us},
                      {"tflops", flops / (stats.median_us * 1e-6) / 1e12}});
          ++measured;
        } catch (const Unsupported& error) {
          row["status"] = "unsupported";
          row["reason"] = error.what();
        }
        rows.push_back(row);
      }
    }
  }
  cudaStreamDestroy(stream);
  cudnnDestroy(handle);
  nlohmann::json out = {{"status", measured > 0 ? "ok" : "missing"},
                        {"cudnn_version", version_text(cudnnGetVersion())},
                        {"rows", rows}};
  if (measured == 0) out["reason"] = "cuDNN built no SDPA plan for any case (see the rows' reasons)";
  return out;
}

#else

nlohmann::json attention_probe(const nlohmann::json&, int, int) {
#ifdef STRATA_PROBE_HAS_CUDNN
  return {{"status", "missing"},
          {"reason", "the probe was built against cuDNN " + std::to_string(CUDNN_VERSION) +
                         "; its SDPA operations need the backend API of cuDNN 9.19 or newer"}};
#else
  return {{"status", "missing"},
          {"reason", "the probe was built without cuDNN (cudnn.h or libcudnn not found)"}};
#endif
}

#endif

}  // namespace strata::probes
