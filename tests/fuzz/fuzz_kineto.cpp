// PyTorch profiler (Kineto) traces, plain or gzip: decompressed (bounded), read, imported and (when small)
// replayed on a shipped system, the way `strata trace info --system` does.
#include "fuzz_input.hpp"
#include "models/executor/executor.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "traces/kineto/kineto_import.hpp"
#include "traces/kineto/kineto_trace.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace {
constexpr std::size_t kMaxExecutedTasks = 256;
constexpr std::uintmax_t kMaxText = std::uintmax_t{64} << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const models::ProfileCatalog profiles(STRATA_SOURCE_PROFILE_DIR);
  static const models::SystemProfile system = profiles.system("dgx-a100");
  static const models::GpuProfile gpu = profiles.gpu(system.gpu);
  return fuzz::expect_input_errors_only([&] {
    const std::string text =
        traces::maybe_gunzip(std::string(fuzz::as_text(data, size)), "trace.json", kMaxText);
    const traces::KinetoImport imported =
        traces::import_kineto(traces::parse_kineto_trace(text, "trace.json"));
    if (imported.graph.tasks.size() <= kMaxExecutedTasks && imported.graph.gpu_count() <= 4096) {
      try {
        models::execute(imported.graph, gpu, system);
      } catch (const sim::OverflowError&) {
        // trace info reports this as bad input
      }
    }
  });
}
