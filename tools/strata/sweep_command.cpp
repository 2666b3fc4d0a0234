// `strata sweep GRID.json -o DIR [--resume] [-j N] [--top K]`: runs every point of a sweep grid
// (scenarios/sweep/) and writes DIR/sweep.jsonl (one line per finished point, as it finishes), DIR/sweep.csv
// and DIR/sweep.html; `--resume` continues a killed sweep without redoing or duplicating a finished point.
// Under `mpirun -n N` the points run on N processes (sweep_mpi.hpp).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "models/hardware/profile_catalog.hpp"
#include "models/workload/model_catalog.hpp"
#include "scenarios/sweep/sweep_grid.hpp"
#include "scenarios/sweep/sweep_mpi.hpp"
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
  std::string presets;
};

// A progress bar with the points done and the time left at this run's rate, redrawn in place on a terminal.
scenarios::SweepProgress progress_bar(std::chrono::steady_clock::time_point started) {
  if (isatty(STDERR_FILENO) == 0) return {};
  return [started](const scenarios::SweepSummary& s) {
    constexpr int kBarWidth = 30;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::int64_t done = s.resumed + s.run;
    const auto filled = static_cast<int>(kBarWidth * done / std::max<std::int64_t>(1, s.points));
    const double left =
        s.run > 0 ? seconds / static_cast<double>(s.run) * static_cast<double>(s.points - done) : 0;
    std::fprintf(stderr, "\r[%-*s] %lld / %lld points, %.0f s, about %.0f s left ", kBarWidth,
                 std::string(static_cast<std::size_t>(filled), '#').c_str(), static_cast<long long>(done),
                 static_cast<long long>(s.points), seconds, left);
    if (done == s.points) std::fprintf(stderr, "\n");
  };
}

void sweep(const SweepOptions& o, std::ostream& out) {
  const std::filesystem::path profile_dir = resolve_profile_dir(o.profiles);
  scenarios::SweepOptions options;
  options.jobs = o.jobs;
  options.resume = o.resume;
  options.top = o.top;
  const auto residuals = scenarios::ValidationResiduals::read(resolve_residuals_file());
  options.residuals = &residuals;
  const auto started = std::chrono::steady_clock::now();
  const int processes = scenarios::mpi_launch_size();
  scenarios::SweepSummary summary;
  if (processes > 1) {
    const scenarios::MpiSweepOutcome outcome = scenarios::run_sweep_mpi(
        o.grid, o.out_dir, profile_dir, resolve_preset_dir(o.presets), options, progress_bar(started));
    if (!outcome.root) return;  // rank 0 reports
    summary = outcome.summary;
  } else {
    const models::ProfileCatalog profiles(profile_dir);
    const models::ModelCatalog presets(resolve_preset_dir(o.presets));
    const scenarios::SweepGrid grid = scenarios::read_sweep_grid(o.grid);
    summary = scenarios::run_sweep(grid, o.out_dir, profiles, presets, options, progress_bar(started));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char line[360];
  std::snprintf(
      line, sizeof line,
      "%s: %lld points (%lld from an earlier run, %lld now in %.1f s on %d process%s, %.2f points/s), "
      "%lld with an error\n",
      o.grid.c_str(), static_cast<long long>(summary.points), static_cast<long long>(summary.resumed),
      static_cast<long long>(summary.run), seconds, processes, processes == 1 ? "" : "es",
      static_cast<double>(summary.run) / std::max(seconds, 1e-9), static_cast<long long>(summary.failed));
  out << line << "wrote " << o.out_dir << "/sweep.jsonl, sweep.csv and sweep.html\n";
}

}  // namespace

void add_sweep_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<SweepOptions>();
  CLI::App* command = app.add_subcommand("sweep", "Run every point of a sweep grid (resumable)");
  command->add_option("grid", options->grid, "Grid file (scenarios/README.md, Sweeps)")->required();
  command->add_option("-o,--out", options->out_dir, "Directory for sweep.jsonl, sweep.csv and sweep.html")
      ->required();
  command->add_flag("--resume", options->resume,
                    "Continue the sweep in the directory, skipping finished points");
  command
      ->add_option("-j,--jobs", options->jobs,
                   "Threads per process (default: one per hardware thread, at most 8)")
      ->check(CLI::Range(0, 256));
  command->add_option("--top", options->top, "Strategies a search point keeps")->check(CLI::Range(1, 1000));
  command->add_option("--profiles", options->profiles, kProfileDirHelp);
  command->add_option("--presets", options->presets, kPresetDirHelp);
  command->callback([&out, options] { sweep(*options, out); });
}

}  // namespace strata::tools
