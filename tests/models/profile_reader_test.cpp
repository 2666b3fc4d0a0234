#include <unistd.h>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "../support/input_error.hpp"
#include "models/hardware/profile_catalog.hpp"
#include "models/hardware/profile_reader.hpp"
#include "sim/error.hpp"

namespace fs = std::filesystem;
using namespace strata::models;

namespace {

const fs::path kShipped = STRATA_SOURCE_PROFILE_DIR;

// Writes a mutated copy of a shipped profile into a scratch tree and returns its path.
fs::path mutated(const std::string& kind, const std::string& name,
                 const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(kShipped / kind / (name + ".json"));
  nlohmann::json document = nlohmann::json::parse(in);
  edit(document);
  const fs::path dir =
      fs::temp_directory_path() / ("strata-profile-test-" + std::to_string(::getpid())) / kind;
  fs::create_directories(dir);
  const fs::path path = dir / (name + ".json");
  std::ofstream(path) << document.dump(1);
  return path;
}

}  // namespace

TEST_CASE("every shipped profile loads, and every system names a shipped GPU", "[profiles]") {
  const ProfileCatalog catalog(kShipped);
  const auto gpus = catalog.gpu_names();
  CHECK(gpus == std::vector<std::string>{"a100-sxm4-40gb", "a100-sxm4-80gb", "b200-180gb", "gb200",
                                         "h100-sxm5-80gb", "h200-sxm5-141gb", "h800-sxm5-80gb"});
  for (const auto& name : gpus) {
    INFO(name);
    const GpuProfile gpu = catalog.gpu(name);
    CHECK(gpu.peak(Dtype::kBf16).flops_per_s() > 0);
    CHECK(gpu.gemm_efficiency(Dtype::kBf16) > 0.5);
  }
  CHECK(catalog.system_names() == std::vector<std::string>{"dgx-a100", "dgx-a100-40gb", "dgx-b200",
                                                           "dgx-h100", "dgx-h200", "gb200-nvl72",
                                                           "hgx-h800"});
  for (const auto& name : catalog.system_names()) {
    INFO(name);
    const SystemProfile system = catalog.system(name);
    CHECK_NOTHROW(catalog.gpu(system.gpu));
  }
  // Spot checks against the datasheets cited in the files.
  const GpuProfile h100 = catalog.gpu("h100-sxm5-80gb");
  CHECK(h100.sm_count.value == 132);
  CHECK(h100.peak(Dtype::kFp8).tflops_per_s() == Approx(1979));
  CHECK(h100.memory_capacity.value.count() == 80LL << 30);
  CHECK(h100.gemm_max_efficiency.at(Dtype::kBf16).source.find("mamf_BF16_NVIDIA_H100_SXM") !=
        std::string::npos);
  const GpuProfile a100_40 = catalog.gpu("a100-sxm4-40gb");
  CHECK(a100_40.memory_capacity.value.count() == 40LL << 30);
  CHECK(a100_40.memory_bandwidth.value.gb_per_s() == Approx(1555));
  CHECK(catalog.system("dgx-a100-40gb").gpu == "a100-sxm4-40gb");
  const SystemProfile nvl72 = catalog.system("gb200-nvl72");
  CHECK(nvl72.nvlink_domain_gpus.value == 72);
  CHECK(nvl72.gpus_per_node.value == 4);
  CHECK(error_of([&] { h100.peak(Dtype::kFp4); }).find("no peak FLOP rate for fp4") != std::string::npos);
  CHECK(error_of([&] { catalog.gpu("h999"); }).find("available in") != std::string::npos);
}

TEST_CASE("bad profiles are refused with the file and JSON path", "[profiles]") {
  const auto gpu_error = [](const std::function<void(nlohmann::json&)>& edit) {
    const fs::path path = mutated("gpus", "h100-sxm5-80gb", edit);
    return error_of([&] { read_gpu_profile(path); });
  };
  CHECK(gpu_error([](auto& d) { d["memory"]["speed"] = 1; }).find("/memory/speed: unknown key \"speed\"") !=
        std::string::npos);
  CHECK(gpu_error([](auto& d) {
          d["sm_count"].erase("source");
        }).find("/sm_count: missing required key \"source\"") != std::string::npos);
  CHECK(gpu_error([](auto& d) {
          d["memory"]["bandwidth"]["value"] = 3.35;
        }).find("/memory/bandwidth/value: expected a string, found a number") != std::string::npos);
  CHECK(gpu_error([](auto& d) {
          d["memory"]["bandwidth"]["value"] = "3.35TB";
        }).find("/memory/bandwidth/value: invalid bandwidth \"3.35TB\"") != std::string::npos);
  CHECK(gpu_error([](auto& d) {
          d["efficiency"]["memory"]["value"] = 1.5;
        }).find("/efficiency/memory/value: expected a fraction in (0, 1]") != std::string::npos);
  CHECK(gpu_error([](auto& d) {
          d["peak_flops"]["int4"] = d["peak_flops"]["fp8"];
        }).find("/peak_flops/int4: unknown dtype \"int4\"") != std::string::npos);
  CHECK(gpu_error([](auto& d) {
          d["peak_flops"].erase("fp8");
        }).find("/efficiency/gemm_max/fp8: GEMM efficiency given for fp8 but peak_flops has no such dtype") !=
        std::string::npos);
  CHECK(gpu_error([](auto& d) { d["name"] = "other"; }).find("must match the file name") !=
        std::string::npos);
  CHECK(gpu_error([](auto& d) { d["kind"] = "system"; }).find("/kind: expected \"gpu\"") !=
        std::string::npos);
  CHECK(gpu_error([](auto& d) { d["strata_profile"] = 2; }).find("unsupported profile format version 2") !=
        std::string::npos);
  CHECK(gpu_error([](auto& d) { d["sm_count"]["source"] = ""; }).find("a source is required") !=
        std::string::npos);
  // Every message starts with the file name.
  CHECK(gpu_error([](auto& d) { d["extra"] = true; }).find("h100-sxm5-80gb.json: /extra: unknown key") !=
        std::string::npos);

  const fs::path system =
      mutated("systems", "dgx-h100", [](auto& d) { d["nvlink"]["domain_gpus"]["value"] = 3; });
  CHECK(error_of([&] {
          read_system_profile(system);
        }).find("/nvlink/domain_gpus: must be a multiple or a divisor") != std::string::npos);
  fs::remove_all(system.parent_path().parent_path());
}
