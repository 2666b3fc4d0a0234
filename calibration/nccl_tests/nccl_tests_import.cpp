#include "calibration/nccl_tests/nccl_tests_import.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "calibration/fit/curve_document.hpp"
#include "calibration/nccl_tests/nccl_tests_log.hpp"
#include "sim/error.hpp"

namespace strata::calibration {
namespace {

struct GroupKey {
  models::CollectiveOp op;
  int gpus;
  int nodes;
  auto operator<=>(const GroupKey&) const = default;
};

models::CollectiveOp resolve_op(const NcclTestsRun& run, const NcclTestsImportOptions& options) {
  if (run.op && options.op && *run.op != *options.op) {
    throw sim::InputError(run.source, "line " + std::to_string(run.first_line),
                          "the log is " + run.test_name + " but --op says " +
                              std::string(models::collective_op_name(*options.op)));
  }
  if (run.op) return *run.op;
  if (options.op) return *options.op;
  throw sim::InputError(
      run.source, "line " + std::to_string(run.first_line),
      "the log does not name its collective (no \"# Collective test starting\" line); pass --op");
}

int resolve_gpus(const NcclTestsRun& run, const NcclTestsImportOptions& options) {
  if (run.ranks > 0 && options.gpus && run.ranks != *options.gpus) {
    throw sim::InputError(run.source, "line " + std::to_string(run.first_line),
                          "the log lists " + std::to_string(run.ranks) + " ranks but --gpus says " +
                              std::to_string(*options.gpus));
  }
  if (run.ranks > 0) return run.ranks;
  if (options.gpus) return *options.gpus;
  throw sim::InputError(run.source, "line " + std::to_string(run.first_line),
                        "the log does not say how many GPUs ran; pass --gpus");
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

nlohmann::json import_nccl_tests(const std::vector<NcclTestsLog>& logs,
                                 const NcclTestsImportOptions& options) {
  const char* placement = options.in_place ? "in-place" : "out-of-place";
  std::map<GroupKey, CurveSamples> groups;
  std::map<GroupKey, std::vector<std::string>> sources;
  for (const NcclTestsLog& log : logs) {
    for (const NcclTestsRun& run : parse_nccl_tests_log(log.text, log.source)) {
      const GroupKey key{resolve_op(run, options), resolve_gpus(run, options), std::max(run.nodes, 1)};
      CurveSamples& group = groups[key];
      group.op = key.op;
      group.gpus = key.gpus;
      group.nodes = key.nodes;
      group.placement = placement;
      if (group.device.empty()) group.device = run.device_name;
      auto& files = sources[key];
      if (std::find(files.begin(), files.end(), log.source) == files.end()) files.push_back(log.source);
      for (const NcclTestsRow& row : run.rows) {
        const NcclTestsMeasurement& m = options.in_place ? row.in_place : row.out_of_place;
        group.busbw_by_size[row.size_bytes].push_back(m.busbw_gbps);
        group.raw.push_back({{"file", log.source},
                             {"line", row.line},
                             {"size_bytes", row.size_bytes},
                             {"time_us", m.time_us},
                             {"algbw_GBps", m.algbw_gbps},
                             {"busbw_GBps", m.busbw_gbps}});
      }
    }
  }
  nlohmann::json curves = nlohmann::json::array();
  for (auto& [key, group] : groups) {
    group.origin = "nccl-tests: " + join(sources[key]);
    curves.push_back(curve_json(group));
  }
  return curves_document(std::move(curves));
}

}  // namespace strata::calibration
