#include "scenarios/sweep/sweep_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "scenarios/report/sweep_html.hpp"
#include "scenarios/runner/parallel_for.hpp"
#include "scenarios/runner/result_bands.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "scenarios/runner/strategy_search.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/atomic_file.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"
#include "sim/json_text.hpp"
#include "sim/text_file.hpp"

namespace strata::scenarios {
namespace {

// sweep.jsonl may hold up to kMaxSweepPoints lines of a few hundred bytes per strategy.
constexpr std::uintmax_t kMaxJournalBytes = std::uintmax_t{1} << 30;

nlohmann::json result_json(const StrategyResult& r) {
  nlohmann::json result = {{"strategy", r.strategy.name},
                           {"rank", r.rank},
                           {"gpus", r.gpus},
                           {"step_time_s", r.step_time_s},
                           {"tokens_per_s_per_gpu", r.tokens_per_s_per_gpu},
                           {"mfu", r.mfu},
                           {"peak_memory_gib", r.memory.peak_bytes / double(1 << 30)},
                           {"oom", r.memory.oom}};
  if (r.error_band) {
    result["error_band_low_pct"] = 100 * r.error_band->low;
    result["error_band_high_pct"] = 100 * r.error_band->high;
  }
  return result;
}

// The finished points of an earlier journal, checked against the grid; a torn last line is cut off.
std::map<std::int64_t, std::string> read_journal(const SweepGrid& grid, const std::filesystem::path& path) {
  std::map<std::int64_t, std::string> done;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return done;
  const std::string text = sim::read_text_file(path, kMaxJournalBytes);
  const std::size_t complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (complete < text.size()) std::filesystem::resize_file(path, complete);
  std::size_t start = 0;
  for (int number = 1; start < complete; ++number) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const std::string where = "line " + std::to_string(number);
    nlohmann::json entry;
    try {
      entry = sim::parse_json_text(line, path.string());
    } catch (const sim::InputError& bad) {
      throw sim::InputError(path.string(), where, bad.detail());
    }
    if (!entry.is_object() || !entry.contains("index") || !entry["index"].is_number_integer() ||
        !entry.contains("point"))
      throw sim::InputError(path.string(), where, "not a sweep point (index and point expected)");
    const auto index = entry["index"].get<std::int64_t>();
    if (index < 0 || index >= grid.points() || entry["point"] != point_values(grid, index))
      throw sim::InputError(path.string(), where,
                            "point " + std::to_string(index) +
                                " is not this grid's: the journal belongs to "
                                "another grid (use another -o)");
    done.emplace(index, line);
  }
  return done;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csv_value(const nlohmann::json& value) {
  return csv_field(value.is_string() ? value.get<std::string>() : sim::json_text(value));
}

// The table, in point order, one row per point and strategy.
std::string csv_text(const SweepGrid& grid, const std::map<std::int64_t, nlohmann::json>& entries) {
  static const char* kColumns[] = {"strategy",
                                   "rank",
                                   "gpus",
                                   "step_time_s",
                                   "error_band_low_pct",
                                   "error_band_high_pct",
                                   "tokens_per_s_per_gpu",
                                   "mfu",
                                   "peak_memory_gib",
                                   "oom"};
  std::string text = "index";
  for (const SweepAxis& axis : grid.axes) text += "," + csv_field(axis.path);
  for (const char* column : kColumns) text += std::string(",") + column;
  text += ",error\n";
  for (const auto& [index, entry] : entries) {
    std::string head = std::to_string(index);
    for (const SweepAxis& axis : grid.axes) head += "," + csv_value(entry["point"][axis.path]);
    if (entry.contains("error")) {
      text += head + std::string(std::size(kColumns), ',') + "," + csv_value(entry["error"]) + "\n";
      continue;
    }
    for (const nlohmann::json& result : entry["results"]) {
      text += head;
      for (const char* column : kColumns)
        text += "," + (result.contains(column) ? csv_value(result[column]) : std::string());
      text += ",\n";
    }
  }
  return text;
}

}  // namespace

// Appends whole lines with one write each (O_APPEND), so a kill leaves only whole lines behind.
class SweepJournal {
 public:
  explicit SweepJournal(const std::filesystem::path& path)
      : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0)
      throw sim::InputError(path.string(), "", std::string("cannot open: ") + std::strerror(errno));
  }
  ~SweepJournal() { ::close(fd_); }
  SweepJournal(const SweepJournal&) = delete;
  SweepJournal& operator=(const SweepJournal&) = delete;
  void append(const std::string& line) {
    const std::string text = line + "\n";
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw sim::InputError(path_.string(), "", std::string("write failed: ") + std::strerror(errno));
      written += static_cast<std::size_t>(n);
    }
    ::fdatasync(fd_);
  }

 private:
  std::filesystem::path path_;
  int fd_;
};

std::string sweep_point_line(const SweepGrid& grid, std::int64_t index,
                             const models::ProfileCatalog& profiles, const models::ModelCatalog& models,
                             const SweepOptions& options) {
  const std::int64_t top = options.top;
  nlohmann::json line = {{"index", index}, {"point", point_values(grid, index)}};
  try {
    const Scenario scenario =
        read_scenario_document(point_scenario(grid, index), grid.base_file, profiles, models);
    scenario.require_training("strata sweep");
    std::vector<StrategyResult> ranked;
    if (!scenario.strategies.empty()) {
      ranked = run_scenario(scenario).ranked;
    } else {
      ranked = search_strategies(scenario, {}, 1, top).ranked;
      if (static_cast<std::int64_t>(ranked.size()) > top) ranked.resize(static_cast<std::size_t>(top));
    }
    if (options.residuals != nullptr) attach_error_bands(*options.residuals, scenario, ranked);
    nlohmann::json results = nlohmann::json::array();
    for (const StrategyResult& r : ranked) results.push_back(result_json(r));
    line["results"] = results;
  } catch (const sim::InputError& error) {
    line["error"] = error.what();
  } catch (const sim::SimulationError& error) {
    line["error"] = std::string("simulation error: ") + error.what();
  }
  return sim::json_text(line);
}

SweepOutput::SweepOutput(const SweepGrid& grid, const std::filesystem::path& dir, bool resume)
    : grid_(grid), dir_(dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    throw sim::InputError(dir.string(), "", "cannot create the output directory: " + error.message());
  const std::filesystem::path journal_path = dir / "sweep.jsonl";
  if (!resume && std::filesystem::file_size(journal_path, error) > 0 && !error)
    throw sim::InputError(journal_path.string(), "",
                          "exists: --resume to continue that sweep, or choose another -o directory");
  if (resume) lines_ = read_journal(grid, journal_path);
  summary_.points = grid.points();
  summary_.resumed = static_cast<std::int64_t>(lines_.size());
  for (std::int64_t i = 0; i < summary_.points; ++i)
    if (!lines_.contains(i)) pending_.push_back(i);
  journal_ = std::make_unique<SweepJournal>(journal_path);
}

SweepOutput::~SweepOutput() = default;

void SweepOutput::record(std::int64_t index, const std::string& line) {
  STRATA_ASSERT(index >= 0 && index < summary_.points && !lines_.contains(index),
                "a sweep point is recorded once");
  journal_->append(line);
  lines_.emplace(index, line);
  ++summary_.run;
}

SweepSummary SweepOutput::finish() {
  STRATA_ASSERT(static_cast<std::int64_t>(lines_.size()) == summary_.points, "every sweep point is recorded");
  std::map<std::int64_t, nlohmann::json> entries;
  summary_.failed = 0;
  for (const auto& [index, line] : lines_) {
    const nlohmann::json& entry = entries.emplace(index, nlohmann::json::parse(line)).first->second;
    if (entry.contains("error")) ++summary_.failed;
  }
  sim::write_file_atomically(dir_ / "sweep.csv", csv_text(grid_, entries));
  sim::write_file_atomically(dir_ / "sweep.html", sweep_html(grid_, entries));
  return summary_;
}

SweepSummary run_sweep(const SweepGrid& grid, const std::filesystem::path& dir,
                       const models::ProfileCatalog& profiles, const models::ModelCatalog& models,
                       const SweepOptions& options, const SweepProgress& progress) {
  SweepOutput output(grid, dir, options.resume);
  const std::vector<std::int64_t> pending = output.pending();
  std::mutex mutex;  // the output
  parallel_for(pending.size(), options.jobs, kMaxSweepJobs, [&](std::size_t k) {
    const std::string line = sweep_point_line(grid, pending[k], profiles, models, options);
    const std::lock_guard<std::mutex> lock(mutex);
    output.record(pending[k], line);
    if (progress) progress(output.summary());
  });
  return output.finish();
}

}  // namespace strata::scenarios
