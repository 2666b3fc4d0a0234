// Chakra execution traces, plain or gzip: decompressed (bounded), read, imported and (when small) replayed on
// a shipped system, the way `strata trace info --system` does.
#include "fuzz_input.hpp"
#include "fuzz_replay.hpp"
#include "traces/chakra/chakra_import.hpp"
#include "traces/chakra/chakra_trace.hpp"
#include "traces/maybe_gzip_file.hpp"

namespace {
constexpr std::uintmax_t kMaxBytes = std::uintmax_t{64} << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace strata;
  static const fuzz::SmallGraphReplay replay("dgx-h100");
  return fuzz::expect_input_errors_only([&] {
    const std::string bytes =
        traces::maybe_gunzip(std::string(fuzz::as_text(data, size)), "trace.et", kMaxBytes);
    const traces::ChakraImport imported =
        traces::import_chakra({traces::parse_chakra_trace(bytes, "trace.et")}, {8});
    replay(imported.graph);
  });
}
