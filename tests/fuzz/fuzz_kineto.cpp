// PyTorch profiler (Kineto) traces, plain or gzip: decompressed (bounded), read, imported and (when small)
// replayed on a shipped system, the way `strata trace info --system` does.
#include "fuzz_input.hpp"
#include "fuzz_replay.hpp"
#include "traces/kineto/kineto_import.hpp"
#include "traces/kineto/kineto_trace.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace {
constexpr std::uintmax_t kMaxText = std::uintmax_t{64} << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const fuzz::SmallGraphReplay replay("dgx-a100");
  return fuzz::expect_input_errors_only([&] {
    const std::string text =
        traces::maybe_gunzip(std::string(fuzz::as_text(data, size)), "trace.json", kMaxText);
    const traces::KinetoImport imported =
        traces::import_kineto(traces::parse_kineto_trace(text, "trace.json"));
    replay(imported.graph);
  });
}
