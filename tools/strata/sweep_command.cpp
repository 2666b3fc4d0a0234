// `strata sweep GRID.json -o DIR [--resume] [-j N] [--top K]`: runs every point of a sweep grid
// (scenarios/sweep/) and writes DIR/sweep.jsonl (one line per finished point, as it finishes) and
// DIR/sweep.csv; `--resume` continues a killed sweep without redoing or duplicating a finished point.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/sweep/sweep_grid.hpp"
#include "scenarios/sweep/sweep_run.hpp"
#include "strata/commands.hpp"
#include "strata/profile_location.hpp"

namespace strata::tools {
namespace {

struct SweepOptions {
  std::string grid;
  std::string out_dir;
  bool resume = false;
  int jobs = 0;
  int top = 10;
  std::string profiles;
  std::string presets = STRATA_SOURCE_PRESET_DIR;
};

void sweep(const SweepOptions& o, std::ostream& out) {
  const models::ProfileCatalog profiles(resolve_profile_dir(o.profiles));
  const models::ModelCatalog presets(o.presets);
  const scenarios::SweepGrid grid = scenarios::read_sweep_grid(o.grid);
  const auto started = std::chrono::steady_clock::now();
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const auto progress = [&](std::int64_t done, std::int64_t total) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "\r%lld / %lld points, %.0f s", static_cast<long long>(done),
                 static_cast<long long>(total), seconds);
    if (done == total) std::fprintf(stderr, "\n");
  };
  scenarios::SweepOptions options;
  options.jobs = o.jobs;
  options.resume = o.resume;
  options.top = o.top;
  const scenarios::SweepSummary summary =
      scenarios::run_sweep(grid, o.out_dir, profiles, presets, options,
                           terminal ? std::function<void(std::int64_t, std::int64_t)>(progress) : nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char line[320];
  std::snprintf(line, sizeof line,
                "%s: %lld points (%lld from an earlier run, %lld now in %.1f s, %.2f points/s), %lld with an "
                "error\n",
                o.grid.c_str(), static_cast<long long>(summary.points),
                static_cast<long long>(summary.resumed), static_cast<long long>(summary.run), seconds,
                static_cast<double>(summary.run) / std::max(seconds, 1e-9),
                static_cast<long long>(summary.failed));
  out << line << "wrote " << o.out_dir << "/sweep.jsonl and " << o.out_dir << "/sweep.csv\n";
}

}  // namespace

void add_sweep_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<SweepOptions>();
  CLI::App* command = app.add_subcommand("sweep", "Run every point of a sweep grid (resumable)");
  command->add_option("grid", options->grid, "Grid file (scenarios/README.md, Sweeps)")->required();
  command->add_option("-o,--out", options->out_dir, "Directory for sweep.jsonl and sweep.csv")->required();
  command->add_flag("--resume", options->resume,
                    "Continue the sweep in the directory, skipping finished points");
  command->add_option("-j,--jobs", options->jobs, "Threads (default: one per hardware thread, at most 8)")
      ->check(CLI::Range(0, 256));
  command->add_option("--top", options->top, "Strategies a search point keeps")->check(CLI::Range(1, 1000));
  command->add_option("--profiles", options->profiles, "Profile directory");
  command->add_option("--presets", options->presets, "Model preset directory")->capture_default_str();
  command->callback([&out, options] { sweep(*options, out); });
}

}  // namespace strata::tools
