#include "calibration/nccl_tests/nccl_tests_log.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

#include "sim/error.hpp"

namespace strata::calibration {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

[[noreturn]] void fail(const std::string& source, int line, const std::string& detail) {
  throw sim::InputError(source, "line " + std::to_string(line), detail);
}

bool to_integer(std::string_view word, std::int64_t& value) {
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  return error == std::errc() && end == word.data() + word.size();
}

bool to_number(std::string_view word, double& value) {
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  return error == std::errc() && end == word.data() + word.size() && std::isfinite(value) && value >= 0;
}

// Where the columns are, from the header line ("#  size  count  type  redop  [root]  time ...").
struct Layout {
  bool has_root = false;
  double time_scale_to_us = 1.0;  // 1000 when the units line says (ms)
};

struct RunBuilder {
  NcclTestsRun run;
  std::set<std::string> hosts;
  int threads = 0;
  int gpus_per_thread = 0;
  bool have_layout = false;
  Layout layout;
};

void finish_run(RunBuilder& builder, std::vector<NcclTestsRun>& runs) {
  if (builder.run.ranks == 0 && builder.threads > 0 && builder.gpus_per_thread > 0) {
    builder.run.ranks = builder.threads * builder.gpus_per_thread;
  }
  builder.run.nodes = static_cast<int>(builder.hosts.size());
  if (!builder.run.rows.empty()) runs.push_back(std::move(builder.run));
}

NcclTestsMeasurement measurement(const std::vector<std::string_view>& words, std::size_t at, bool with_wrong,
                                 double scale, const std::string& source, int line) {
  NcclTestsMeasurement m;
  if (!to_number(words[at], m.time_us) || !to_number(words[at + 1], m.algbw_gbps) ||
      !to_number(words[at + 2], m.busbw_gbps) || m.time_us > kMaxLogTimeUs ||
      m.algbw_gbps > kMaxLogBandwidthGbps || m.busbw_gbps > kMaxLogBandwidthGbps) {
    fail(source, line,
         "expected time, algbw and busbw as non-negative numbers (time at most 1e12 us, bandwidths at most "
         "1e5 GB/s), found \"" +
             std::string(words[at]) + " " + std::string(words[at + 1]) + " " + std::string(words[at + 2]) +
             "\"");
  }
  m.time_us *= scale;
  if (with_wrong) {
    std::int64_t wrong = 0;
    double error_value = 0;
    if (to_integer(words[at + 3], wrong)) {
      m.wrong = wrong;
    } else if (words[at + 3] != "N/A" && !to_number(words[at + 3], error_value)) {
      fail(source, line,
           "expected an error count, N/A or an error value, found \"" + std::string(words[at + 3]) + "\"");
    }
  }
  return m;
}

void parse_row(RunBuilder& builder, std::string_view text, const std::string& source, int line) {
  const std::vector<std::string_view> words = split_words(text);
  const std::size_t fixed = builder.layout.has_root ? 5 : 4;
  // Each of out-of-place and in-place has time, algbw, busbw and (nearly always) an error column.
  std::size_t per_side = 0;
  if (words.size() == fixed + 8)
    per_side = 4;
  else if (words.size() == fixed + 6)
    per_side = 3;
  else {
    fail(source, line,
         "expected " + std::to_string(fixed + 8) + " columns (size count type redop" +
             (builder.layout.has_root ? " root" : "") + " then time algbw busbw #wrong twice), found " +
             std::to_string(words.size()));
  }
  NcclTestsRow row;
  row.line = line;
  if (!to_integer(words[0], row.size_bytes) || row.size_bytes < 0)
    fail(source, line, "bad size \"" + std::string(words[0]) + "\"");
  if (!to_integer(words[1], row.count) || row.count < 0)
    fail(source, line, "bad count \"" + std::string(words[1]) + "\"");
  row.type = words[2];
  row.redop = words[3];
  if (builder.layout.has_root) {
    std::int64_t root = 0;
    if (!to_integer(words[4], root)) fail(source, line, "bad root \"" + std::string(words[4]) + "\"");
    if (root >= 0) row.root = static_cast<int>(root);
  }
  const double scale = builder.layout.time_scale_to_us;
  row.out_of_place = measurement(words, fixed, per_side == 4, scale, source, line);
  row.in_place = measurement(words, fixed + per_side, per_side == 4, scale, source, line);
  builder.run.rows.push_back(std::move(row));
}

// "# nThread 1 nGpus 8 minBytes 8 ...": thread and GPU counts, each and their product at most kMaxLogRanks.
void parse_parameters(RunBuilder& builder, const std::vector<std::string_view>& words,
                      const std::string& source, int line) {
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] != "nThread" && words[i] != "nGpus") continue;
    std::int64_t value = 0;
    if (!to_integer(words[i + 1], value) || value < 1 || value > kMaxLogRanks) {
      fail(source, line,
           std::string(words[i]) + " must be an integer in [1, " + std::to_string(kMaxLogRanks) +
               "], found \"" + std::string(words[i + 1]) + "\"");
    }
    (words[i] == "nThread" ? builder.threads : builder.gpus_per_thread) = static_cast<int>(value);
  }
  if (static_cast<std::int64_t>(builder.threads) * builder.gpus_per_thread > kMaxLogRanks) {
    fail(source, line,
         "nThread x nGpus is " +
             std::to_string(static_cast<std::int64_t>(builder.threads) * builder.gpus_per_thread) +
             " GPUs in one process, more than " + std::to_string(kMaxLogRanks));
  }
}

// "#  Rank  3 Group  0 Pid  1234 on host device  3 [0x1b] NVIDIA H100 80GB HBM3"
void parse_rank(RunBuilder& builder, const std::vector<std::string_view>& words, std::string_view text) {
  ++builder.run.ranks;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == "on") builder.hosts.insert(std::string(words[i + 1]));
  }
  const std::size_t bracket = text.find(']');
  if (bracket != std::string_view::npos && builder.run.device_name.empty()) {
    std::string_view name = text.substr(bracket + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\r')) name.remove_suffix(1);
    builder.run.device_name = name;
  }
}

}  // namespace

std::optional<models::CollectiveOp> collective_from_test_name(std::string_view name) {
  if (const auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (name.ends_with("_mpi")) name.remove_suffix(4);
  using models::CollectiveOp;
  if (name == "all_reduce_perf") return CollectiveOp::kAllReduce;
  if (name == "all_gather_perf") return CollectiveOp::kAllGather;
  if (name == "reduce_scatter_perf") return CollectiveOp::kReduceScatter;
  if (name == "alltoall_perf") return CollectiveOp::kAllToAll;
  if (name == "broadcast_perf") return CollectiveOp::kBroadcast;
  if (name == "sendrecv_perf") return CollectiveOp::kSendRecv;
  return std::nullopt;
}

std::vector<NcclTestsRun> parse_nccl_tests_log(std::string_view text, const std::string& source) {
  std::vector<NcclTestsRun> runs;
  RunBuilder builder;
  builder.run.source = source;
  std::optional<std::string> pending_test_name;  // a name line may precede the "# nThread" line
  int line_number = 0;
  std::size_t position = 0;
  while (position <= text.size()) {
    const std::size_t end = std::min(text.find('\n', position), text.size());
    const std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++line_number;
    const std::vector<std::string_view> words = split_words(line);
    if (words.empty()) {
      if (end == text.size()) break;
      continue;
    }
    if (words[0].starts_with("#")) {
      if (line.find("Collective test starting:") != std::string_view::npos) {
        pending_test_name = std::string(words.back());
        if (!builder.run.rows.empty()) {  // a new run begins
          finish_run(builder, runs);
          builder = RunBuilder{};
          builder.run.source = source;
        }
        builder.run.test_name = *pending_test_name;
        builder.run.op = collective_from_test_name(*pending_test_name);
        if (!builder.run.op)
          fail(source, line_number, "unsupported nccl-tests binary \"" + *pending_test_name + "\"");
        if (builder.run.first_line == 0) builder.run.first_line = line_number;
      } else if (words.size() > 1 && words[1] == "nThread") {
        if (!builder.run.rows.empty()) {
          finish_run(builder, runs);
          builder = RunBuilder{};
          builder.run.source = source;
          if (pending_test_name) {
            builder.run.test_name = *pending_test_name;
            builder.run.op = collective_from_test_name(*pending_test_name);
          }
        }
        if (builder.run.first_line == 0) builder.run.first_line = line_number;
        parse_parameters(builder, words, source, line_number);
      } else if (words.size() > 1 && words[1] == "Rank") {
        parse_rank(builder, words, line);
      } else if (words.size() > 2 && words[1] == "size" && words[2] == "count") {
        builder.have_layout = true;
        builder.layout.has_root = std::find(words.begin(), words.end(), "root") != words.end();
      } else if (line.find("(ms)") != std::string_view::npos && line.find("(B)") != std::string_view::npos) {
        builder.layout.time_scale_to_us = 1000.0;
      }
      continue;
    }
    // A data row: only after a column header.
    if (!builder.have_layout) {
      std::int64_t ignored = 0;
      if (to_integer(words[0], ignored))
        fail(source, line_number, "data row before any nccl-tests column header");
      continue;  // other program output (NCCL INFO lines, warnings) is skipped
    }
    std::int64_t size = 0;
    if (!to_integer(words[0], size)) continue;  // e.g. "NCCL INFO ..." or MPI noise between rows
    parse_row(builder, line, source, line_number);
  }
  finish_run(builder, runs);
  if (runs.empty())
    throw sim::InputError(source, "",
                          "no nccl-tests measurements found (expected a column header and data rows)");
  return runs;
}

}  // namespace strata::calibration
