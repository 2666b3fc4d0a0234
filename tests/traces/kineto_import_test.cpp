// PyTorch profiler (Kineto) traces: reading (gzip or plain, strict where replay depends on a value), import
// into an execution graph whose dependencies re-create the trace's overlap, and replay of real traces.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "../support/input_error.hpp"
#include "kineto_events.hpp"
#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "traces/critical_path.hpp"
#include "traces/gpu_retarget.hpp"
#include "traces/graph_file.hpp"
#include "traces/kineto/gemm_operators.hpp"
#include "traces/kineto/kernel_classes.hpp"
#include "traces/kineto/kineto_import.hpp"
#include "traces/kineto/kineto_trace.hpp"
#include "traces/maybe_gzip_file.hpp"

using namespace strata;
using nlohmann::json;
using testing::kernel;
using testing::runtime_call;

namespace {

const std::string kData = STRATA_TRACE_FIXTURES;

// One step of 170 us: kernels A and B on stream 7, C on stream 9 after a cudaStreamWaitEvent (it ran once
// B was done), a cudaStreamSynchronize that returned once C was done, then D.
json small_trace() {
  return {{"distributedInfo", {{"rank", 0}, {"world_size", 2}}},
          {"deviceProperties", {{{"id", 0}, {"name", "NVIDIA A100-SXM4-80GB"}}}},
          {"traceEvents",
           {{{"ph", "X"},
             {"cat", "user_annotation"},
             {"name", "ProfilerStep#3"},
             {"tid", 1},
             {"ts", 1000},
             {"dur", 170}},
            runtime_call("cudaLaunchKernel", 1000, 5, 1),
            kernel("ampere_sgemm_128x64_tn", 7, 1002, 50, 1),
            runtime_call("cudaLaunchKernel", 1010, 5, 2),
            kernel("void at::native::vectorized_elementwise_kernel", 7, 1052, 50, 2),
            runtime_call("cudaStreamWaitEvent", 1020, 2, 0),
            runtime_call("cudaLaunchKernel", 1030, 5, 3),
            kernel("flash_fwd_kernel", 9, 1102, 30, 3),
            runtime_call("cudaStreamSynchronize", 1040, 95, 4),
            runtime_call("cudaLaunchKernel", 1150, 5, 5),
            kernel("some_custom_kernel", 7, 1150, 10, 5)}}};
}

traces::KinetoImport import_text(const json& document, traces::KinetoImportOptions options = {}) {
  return traces::import_kineto(traces::parse_kineto_trace(document.dump(), "t.json"), options);
}

double replayed_step_us(const traces::KinetoImport& imported, const std::string& system_name = "dgx-a100") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::SystemProfile system = profiles.system(system_name);
  const models::ExecutionResult result = models::execute(imported.graph, profiles.gpu(system.gpu), system);
  return result.makespan.seconds() * 1e6 / static_cast<double>(imported.steps);
}

std::string error_reading(const json& document) {
  return error_of([&] { traces::parse_kineto_trace(document.dump(), "t.json"); });
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a Kineto trace's steps, GPU work, runtime calls and job are read", "[kineto]") {
  const traces::KinetoTrace trace = traces::parse_kineto_trace(small_trace().dump(), "t.json");
  CHECK(trace.rank == 0);
  CHECK(trace.world_size == 2);
  CHECK(trace.device == "NVIDIA A100-SXM4-80GB");
  REQUIRE(trace.steps.size() == 1);
  CHECK(trace.steps[0].number == 3);
  CHECK(trace.gpu_ops.size() == 4);
  CHECK(trace.runtime_calls.size() == 6);
  CHECK(traces::kernel_class(trace.gpu_ops[0]) == traces::KernelClass::kGemm);
  CHECK(traces::kernel_class(trace.gpu_ops[1]) == traces::KernelClass::kMemoryBound);
  CHECK(traces::kernel_class(trace.gpu_ops[2]) == traces::KernelClass::kAttention);
  CHECK(traces::kernel_class(trace.gpu_ops[3]) == traces::KernelClass::kOther);
  CHECK(traces::kernel_class("ncclKernel_AllReduce_RING_LL_Sum_float") ==
        traces::KernelClass::kCommunication);
}

TEST_CASE("replay re-creates launches, a cross-stream wait and a host synchronize", "[kineto]") {
  const traces::KinetoImport imported = import_text(small_trace());
  CHECK(imported.steps == 1);
  CHECK(imported.measured_step_s == Approx(170e-6));
  CHECK(imported.gpu_ops == 4);
  CHECK(imported.graph.streams == std::vector<std::string>{"stream 7", "stream 9", "thread 1"});
  // A [0, 50] and B [50, 100] once launched (at 0 and 10 us); C waits for B (the stream wait), not only for
  // its launch at 30: [100, 130]; the synchronize returns when C is done, D's launch follows 15 us of host
  // work after it (the trace's gap between the synchronize's return and the launch): D [145, 155].
  CHECK(replayed_step_us(imported) == Approx(155.0).margin(1e-6));
  // Without the stream wait C would run from its launch: the host then reaches D sooner.
  json no_wait = small_trace();
  auto& events = no_wait["traceEvents"];
  events.erase(events.begin() + 5);  // the cudaStreamWaitEvent, after B's launch and kernel
  CHECK(replayed_step_us(import_text(no_wait)) < 155.0 - 20);
}

TEST_CASE("the critical path of a replay says what the step waited on, and sums to the step", "[kineto]") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::SystemProfile system = profiles.system("dgx-a100");
  const traces::ReplayWithCriticalPath replay =
      traces::replay_with_critical_path(import_text(small_trace()).graph, profiles.gpu(system.gpu), system);
  // A (gemm) [0, 50], B (elementwise) [50, 100], C (flash) [100, 130] after the stream wait, the host's 15 us
  // after the synchronize returned, D (a custom kernel) [145, 155].
  std::map<std::string, double> us;
  double total = 0;
  for (const traces::CriticalPathPart& part : replay.critical_path) {
    us[part.what] = part.seconds * 1e6;
    total += part.seconds;
  }
  CHECK(total == Approx(replay.result.makespan.seconds()));
  CHECK(us["gemm"] == Approx(50));
  CHECK(us["memory_bound"] == Approx(50));
  CHECK(us["attention"] == Approx(30));
  CHECK(us["host"] == Approx(15));
  CHECK(us["other"] == Approx(10));
  CHECK(replay.critical_path.front().seconds >= replay.critical_path.back().seconds);
}

TEST_CASE("a call that launched work is a launch whatever its name (fuzzer find)", "[kineto]") {
  json document = small_trace();
  document["traceEvents"][5]["args"]["correlation"] = 3;  // the cudaStreamWaitEvent now "launched" C
  document["traceEvents"][6]["args"]["correlation"] = 30;
  const traces::KinetoImport imported = import_text(document);
  CHECK(imported.gpu_ops == 4);
  CHECK(replayed_step_us(imported) > 0);
}

TEST_CASE("NCCL kernels with metadata become collectives of their process group, or keep their time",
          "[kineto]") {
  json document = small_trace();
  json nccl = kernel("ncclKernel_AllReduce_RING_LL_Sum_float(ncclDevComm*, unsigned long, ncclWork*)", 9,
                     1100, 400, 6);
  nccl["args"].update({{"Collective name", "allreduce"},
                       {"In msg nelems", 1048576},
                       {"Out msg nelems", 1048576},
                       {"dtype", "Float"},
                       {"Group size", 2},
                       {"Process Group Ranks", "[0, 1]"},
                       {"Process Group Name", "0"}});
  document["traceEvents"].push_back(runtime_call("cudaLaunchKernel", 1035, 3, 6));
  document["traceEvents"].push_back(nccl);
  const traces::KinetoImport modelled = import_text(document);
  CHECK(modelled.modelled_collectives == 1);
  const auto collective =
      std::find_if(modelled.graph.tasks.begin(), modelled.graph.tasks.end(),
                   [](const models::Task& t) { return t.type == models::TaskType::kCollective; });
  REQUIRE(collective != modelled.graph.tasks.end());
  CHECK(collective->collective.op == models::CollectiveOp::kAllReduce);
  CHECK(collective->collective.bytes == 4 * 1048576);
  CHECK(collective->category == "dp");  // its group is the whole job
  const models::CommGroup& group =
      modelled.graph.groups[static_cast<std::size_t>(collective->collective.group)];
  CHECK(group.gpus == std::vector<int>{0, 1});
  CHECK(group.ranks == std::vector<int>{0});

  const traces::KinetoImport measured = import_text(document, {true});
  CHECK(measured.modelled_collectives == 0);
  CHECK(measured.measured_communication.at("--measured-comm") == 1);

  document["traceEvents"].back()["args"]["dtype"] = "Quaternion";
  CHECK(import_text(document).measured_communication.at("unknown dtype \"Quaternion\"") == 1);
}

TEST_CASE("a Kineto trace with a missing or malformed value is an error naming the event", "[kineto]") {
  const auto with = [](const std::function<void(json&)>& edit) {
    json document = small_trace();
    edit(document);
    return document;
  };
  CHECK_THAT(error_reading(with([](json& d) { d["traceEvents"][2]["args"].erase("stream"); })),
             Catch::Contains("t.json: /traceEvents/2/args") && Catch::Contains("stream"));
  CHECK_THAT(error_reading(with([](json& d) { d["traceEvents"][2]["dur"] = -3; })),
             Catch::StartsWith("t.json: /traceEvents/2/dur"));
  CHECK_THAT(error_reading(with([](json& d) { d["traceEvents"][0]["name"] = "ProfilerStep#x"; })),
             Catch::StartsWith("t.json: /traceEvents/0/name: expected ProfilerStep#<number>"));
  CHECK_THAT(error_reading(with([](json& d) { d["distributedInfo"]["rank"] = 2; })),
             Catch::StartsWith("t.json: /distributedInfo/rank: rank 2 is not below world_size 2"));
  CHECK_THAT(error_reading(with([](json& d) {
               d["traceEvents"][2]["args"]["Collective name"] = "allreduce";
               d["traceEvents"][2]["args"]["Process Group Ranks"] = "[0, one]";
             })),
             Catch::StartsWith("t.json: /traceEvents/2/args/Process Group Ranks: expected ranks"));
  CHECK_THAT(error_reading(with([](json& d) { d.erase("traceEvents"); })), Catch::Contains("traceEvents"));
  CHECK_THAT(error_of([] { traces::parse_kineto_trace("{\"traceEvents\": [", "t.json"); }),
             Catch::StartsWith("t.json"));
  // A window of more than a day (timestamps far apart) is not a trace of steps.
  CHECK_THAT(error_of([&] {
               json document = small_trace();
               json late = document["traceEvents"][0];
               late["ts"] = 1e14;
               late["name"] = "ProfilerStep#4";
               document["traceEvents"].push_back(late);
               import_text(document);
             }),
             Catch::Contains("more than a day"));
  // Nothing launched in the step: nothing to replay.
  CHECK_THAT(error_of([&] {
               json document = small_trace();
               document["traceEvents"] = json::array({document["traceEvents"][0]});
               import_text(document);
             }),
             Catch::Contains("no GPU kernel, copy or memset in the window"));
}

TEST_CASE("gzip traces are read whole, and a damaged archive names where it broke", "[kineto]") {
  const std::string path = kData + "/kineto-a100x2-ddp-step5.json.gz";
  const std::string compressed = file_bytes(path);
  const std::string text = traces::read_maybe_gzip_file(path);
  CHECK(text.size() > 10 * compressed.size());
  CHECK(text.front() == '{');
  CHECK(traces::maybe_gunzip("{\"plain\": 1}", "p.json") == "{\"plain\": 1}");
  CHECK_THAT(error_of([&] { traces::maybe_gunzip(compressed.substr(0, compressed.size() / 2), "cut.gz"); }),
             Catch::StartsWith("cut.gz: truncated gzip: the archive ends at compressed byte"));
  std::string flipped = compressed;
  for (std::size_t i = 100; i < 400; ++i) flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  CHECK_THAT(error_of([&] { traces::maybe_gunzip(flipped, "bad.gz"); }),
             Catch::StartsWith("bad.gz: damaged gzip at compressed byte"));
  CHECK_THAT(error_of([&] { traces::maybe_gunzip(compressed, "big.gz", 4096); }),
             Catch::StartsWith("big.gz: decompresses to more than 4096 bytes"));
}

TEST_CASE("real traces replay on the hardware they were recorded on within 5% of their own step time",
          "[kineto]") {
  for (const auto& [file, collectives] : {std::pair{"kineto-a100x2-ddp-step5.json.gz", 7},
                                          std::pair{"kineto-a100x16-pipeline-step551-553.json.gz", 0}}) {
    INFO(file);
    const traces::KinetoImport imported =
        traces::import_kineto(traces::read_kineto_trace(kData + "/" + file));
    CHECK(imported.modelled_collectives == collectives);
    const double replayed = replayed_step_us(imported) * 1e-6;
    CHECK(std::abs(replayed - imported.measured_step_s) / imported.measured_step_s < 0.05);
    // Same trace, same graph, byte for byte.
    const traces::KinetoImport again = traces::import_kineto(traces::read_kineto_trace(kData + "/" + file));
    CHECK(traces::graph_to_text(again.graph) == traces::graph_to_text(imported.graph));
  }
}

TEST_CASE("a trace's kernels re-timed for another GPU take its calibrated rate ratios, host work none",
          "[kineto][retarget]") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  CHECK(traces::gpu_profile_for_device("NVIDIA A100-SXM4-80GB", profiles.gpu_names()) == "a100-sxm4-80gb");
  CHECK_FALSE(traces::gpu_profile_for_device("NVIDIA A100-PG509-200", profiles.gpu_names()));
  const models::GpuProfile a100 = profiles.gpu("a100-sxm4-80gb");
  const models::GpuProfile h100 = profiles.gpu("h100-sxm5-80gb");
  traces::KinetoImport imported = import_text(small_trace());
  const models::ExecutionGraph before = imported.graph;
  const traces::GpuRetarget report = traces::retarget_measured_kernels(imported.graph, a100, h100);
  const auto rate = [](const models::GpuProfile& gpu) {
    return gpu.peak(models::Dtype::kBf16).flops_per_s() *
           gpu.gemm_max_efficiency.at(models::Dtype::kBf16).value;
  };
  REQUIRE(report.by_class.count(traces::KernelClass::kGemm) == 1);
  CHECK(report.by_class.at(traces::KernelClass::kGemm).time_ratio == Approx(rate(a100) / rate(h100)));
  CHECK(report.by_class.at(traces::KernelClass::kMemoryBound).time_ratio ==
        Approx(a100.memory_bandwidth.value.bytes_per_s() * a100.memory_efficiency.value /
               (h100.memory_bandwidth.value.bytes_per_s() * h100.memory_efficiency.value)));
  for (std::size_t i = 0; i < before.tasks.size(); ++i) {
    const models::Task& was = before.tasks[i];
    const models::Task& now = imported.graph.tasks[i];
    if (was.compute.kind == models::ComputeKind::kMeasuredHost)
      CHECK(now.compute.duration == was.compute.duration);
    if (was.compute.kind == models::ComputeKind::kMeasured)
      CHECK(now.compute.duration < was.compute.duration);
  }
}

TEST_CASE("GEMM operators' recorded inputs give their product's shape and precision", "[kineto][gemm]") {
  using Dims = std::vector<std::vector<std::int64_t>>;
  const auto shape = [](std::string_view op, const Dims& dims) {
    const auto s = traces::gemm_shape(op, dims);
    return s ? std::vector<std::int64_t>{s->m, s->n, s->k, s->batch} : std::vector<std::int64_t>{};
  };
  CHECK(shape("aten::mm", {{4096, 64}, {64, 2798}}) == std::vector<std::int64_t>{4096, 2798, 64, 1});
  CHECK(shape("aten::addmm", {{64}, {4096, 100}, {100, 64}, {}, {}}) ==
        std::vector<std::int64_t>{4096, 64, 100, 1});
  CHECK(shape("aten::bmm", {{8, 128, 64}, {8, 64, 256}}) == std::vector<std::int64_t>{128, 256, 64, 8});
  CHECK(shape("aten::baddbmm", {{8, 128, 256}, {8, 128, 64}, {8, 64, 256}, {}, {}}) ==
        std::vector<std::int64_t>{128, 256, 64, 8});
  CHECK(shape("aten::mm", {{4096, 64}, {32, 2798}}).empty());  // inner dimensions differ
  CHECK(shape("aten::bmm", {{8, 128, 64}, {4, 64, 256}}).empty());
  CHECK(shape("aten::mm", {{4096, 64}}).empty());
  CHECK(shape("aten::linear", {{4096, 64}, {64, 64}}).empty());  // not a leaf: its mm or addmm carries it
  CHECK(traces::gemm_dtype("c10::BFloat16", "sm90_xmma_gemm_bf16bf16") == models::Dtype::kBf16);
  CHECK(traces::gemm_dtype("c10::Half", "ampere_h16816gemm") == models::Dtype::kFp16);
  CHECK(traces::gemm_dtype("float", "cutlass_80_tensorop_s1688gemm_256x128") == models::Dtype::kTf32);
  CHECK(traces::gemm_dtype("float", "ampere_sgemm_128x64_nn") == models::Dtype::kFp32);
  CHECK_FALSE(traces::gemm_dtype("long int", "gemm"));
  // FBGEMM-GPU's kernels are not matrix products, whatever their library's name says.
  CHECK(traces::kernel_class("void fbgemm_gpu::permute_2D_lengths_kernel<int>") ==
        traces::KernelClass::kMemoryBound);
}

namespace {

// small_trace() with kernel A a bf16 GEMM launched by an aten::addmm recorded with its shapes.
json trace_with_gemm_shapes(std::int64_t m, std::int64_t n, std::int64_t k) {
  json document = small_trace();
  document["traceEvents"][2]["name"] = "sm80_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x32";
  document["traceEvents"].push_back(
      {{"ph", "X"},
       {"cat", "cpu_op"},
       {"name", "aten::addmm"},
       {"tid", 1},
       {"ts", 999},
       {"dur", 7},
       {"args",
        {{"Input Dims", {{n}, {m, k}, {k, n}, json::array(), json::array()}},
         {"Input type", {"c10::BFloat16", "c10::BFloat16", "c10::BFloat16", "Scalar", "Scalar"}}}}});
  return document;
}

}  // namespace

TEST_CASE("a GEMM kernel carries its operator's product, and another GPU re-costs it by the GEMM model",
          "[kineto][gemm]") {
  const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  const models::GpuProfile a100 = profiles.gpu("a100-sxm4-80gb");
  const models::GpuProfile h100 = profiles.gpu("h100-sxm5-80gb");
  for (const std::int64_t size : {8192, 64}) {
    INFO(size);
    traces::KinetoImport imported = import_text(trace_with_gemm_shapes(size, size, size));
    CHECK(imported.gemm_kernels == 1);
    REQUIRE(imported.gemm_kernels_with_shape == 1);
    const auto gemm = std::find_if(imported.graph.tasks.begin(), imported.graph.tasks.end(),
                                   [](const models::Task& t) { return t.name.rfind("sm80_xmma", 0) == 0; });
    REQUIRE(gemm != imported.graph.tasks.end());
    CHECK(gemm->compute.gemm.m == size);
    CHECK(gemm->compute.dtype == models::Dtype::kBf16);
    const double measured = gemm->compute.duration.seconds();
    const traces::GpuRetarget report = traces::retarget_measured_kernels(imported.graph, a100, h100);
    const traces::RetargetedClass& entry = report.by_class.at(traces::KernelClass::kGemm);
    CHECK(entry.from_shapes == 1);
    const double model_ratio =
        models::gemm_time(h100, gemm->compute.gemm, models::Dtype::kBf16).total.seconds() /
        models::gemm_time(a100, gemm->compute.gemm, models::Dtype::kBf16).total.seconds();
    CHECK(gemm->compute.duration.seconds() / measured == Approx(model_ratio).epsilon(1e-6));
    // A large product gains about the peak ratio; a small one, launch- and quantization-bound, far less.
    if (size == 8192) CHECK(model_ratio == Approx(entry.time_ratio).epsilon(0.15));
    if (size == 64) CHECK(model_ratio > 2 * entry.time_ratio);
  }
  // Without shapes, or in a precision a profile does not calibrate, the flat ratio; both counted.
  // (float inputs on a tensor-core kernel: tf32, which the GPU profiles do not calibrate for GEMMs)
  json tf32 = trace_with_gemm_shapes(512, 512, 512);
  tf32["traceEvents"].back()["args"]["Input type"][1] = "float";
  traces::KinetoImport imported = import_text(tf32);
  const traces::GpuRetarget report = traces::retarget_measured_kernels(imported.graph, a100, h100);
  CHECK(report.by_class.at(traces::KernelClass::kGemm).from_shapes == 0);
  CHECK(report.shapes_without_calibration.at("tf32") == 1);
}

TEST_CASE("a GEMM operator's malformed inputs are an error naming the value", "[kineto][gemm]") {
  json document = trace_with_gemm_shapes(64, 64, 64);
  document["traceEvents"].back()["args"]["Input Dims"][1][0] = "wide";
  CHECK_THAT(error_reading(document),
             Catch::StartsWith("t.json: /traceEvents/11/args/Input Dims/1/0: expected an integer"));
  document["traceEvents"].back()["args"]["Input Dims"] = "[[64]]";
  CHECK_THAT(error_reading(document),
             Catch::StartsWith("t.json: /traceEvents/11/args/Input Dims: expected an array"));
  // An operator recorded without shapes is no error: its kernels keep the flat ratio.
  document["traceEvents"].back()["args"].erase("Input Dims");
  CHECK(import_text(document).gemm_kernels_with_shape == 0);
}
