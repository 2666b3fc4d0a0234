// `strata demo`: an engine self-demo. Until the scenario runner exists, `make demo` runs this to show the
// engine end to end: serial resources (streams), the fluid network with max-min sharing, batching of
// simultaneous flow changes, and the Chrome trace export.
//
// The workload is a toy two-stage pipeline with illustrative numbers (not a hardware model): stage 0 computes
// each micro-batch, sends its activation to stage 1 over one link, and stage 1 computes it. A background bulk
// transfer shares the link for a while, so the first sends run at half rate (max-min fair sharing).
#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <ostream>
#include <sstream>
#include <vector>

#include "sim/atomic_file.hpp"
#include "sim/event_queue.hpp"
#include "sim/fluid_network.hpp"
#include "sim/max_min_fair_solver.hpp"
#include "sim/serial_resource.hpp"
#include "sim/timeline_recorder.hpp"
#include "sim/unit_parse.hpp"
#include "strata/commands.hpp"

namespace strata::tools {
namespace {

// Illustrative toy inputs, written with units like any scenario value and parsed at the edge.
struct ToyPipeline {
  int micro_batches = 4;
  const char* compute_text = "1ms";
  const char* activation_text = "25MB";
  const char* background_text = "100MB";
  const char* link_text = "50GB/s";
  sim::SimTime compute = sim::parse_duration(compute_text);
  sim::Bytes activation = sim::parse_bytes(activation_text);
  sim::Bytes background = sim::parse_bytes(background_text);
  sim::Bandwidth link = sim::parse_bandwidth(link_text);
};

struct MicroBatchTimes {
  sim::SimTime stage0_done, send_done, stage1_done;
};

std::string ms(sim::SimTime time) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f ms", time.seconds() * 1e3);
  return text;
}

void run_demo(const std::filesystem::path& out_dir, std::ostream& out) {
  const ToyPipeline toy;
  sim::EventQueue queue;
  sim::TimelineRecorder timeline;
  sim::FluidNetwork network(queue, std::make_unique<sim::MaxMinFairSolver>());
  const std::array<sim::ResourceId, 1> link{network.add_resource("stage0->stage1", toy.link)};
  sim::SerialResource stage0(queue, "stage0/compute", &timeline);
  sim::SerialResource stage1(queue, "stage1/compute", &timeline);
  std::vector<MicroBatchTimes> times(static_cast<std::size_t>(toy.micro_batches));

  const auto record_flow = [&](std::string name, sim::SimTime start) {
    timeline.add_span("link/stage0->stage1", std::move(name), start, queue.now());
  };
  network.start_flow(link, toy.background,
                     [&, start = queue.now()](sim::FlowId) { record_flow("background", start); });

  for (int mb = 0; mb < toy.micro_batches; ++mb) {
    const std::string label = "fwd mb" + std::to_string(mb);
    MicroBatchTimes& slot = times[static_cast<std::size_t>(mb)];
    stage0.submit(label, toy.compute, [&, label] {
      slot.stage0_done = queue.now();
      network.start_flow(link, toy.activation, [&, label, start = queue.now()](sim::FlowId) {
        slot.send_done = queue.now();
        record_flow("send " + label, start);
        stage1.submit(label, toy.compute, [&] { slot.stage1_done = queue.now(); });
      });
    });
  }
  queue.run();

  out << "Strata engine self-demo: a toy two-stage pipeline (illustrative numbers, not a hardware model)\n"
      << "  " << toy.micro_batches << " micro-batches, " << toy.compute_text << " compute per stage, "
      << toy.activation_text << " activation per send over a " << toy.link_text << " link shared with a "
      << toy.background_text << " background transfer\n\n";
  char row[160];
  std::snprintf(row, sizeof row, "  %-12s %14s %14s %14s\n", "micro-batch", "stage0 done", "send done",
                "stage1 done");
  out << row;
  for (std::size_t mb = 0; mb < times.size(); ++mb) {
    std::snprintf(row, sizeof row, "  %-12zu %14s %14s %14s\n", mb, ms(times[mb].stage0_done).c_str(),
                  ms(times[mb].send_done).c_str(), ms(times[mb].stage1_done).c_str());
    out << row;
  }
  out << "\n  makespan " << ms(queue.now()) << "; stage0 busy " << ms(stage0.busy_time()) << ", stage1 busy "
      << ms(stage1.busy_time()) << "; " << queue.executed() << " events, " << network.solve_count()
      << " bandwidth solves (" << network.solver_name() << ")\n";

  std::ostringstream trace;
  timeline.write_chrome_trace(trace);
  const std::filesystem::path trace_path = out_dir / "engine-demo-trace.json";
  sim::write_file_atomically(trace_path, trace.str());
  out << "  timeline: " << trace_path.string() << " (open in ui.perfetto.dev or chrome://tracing)\n";
}

}  // namespace

void add_demo_command(CLI::App& app, std::ostream& out) {
  CLI::App* demo =
      app.add_subcommand("demo", "Engine self-demo: a toy pipeline on the fluid network, with a timeline");
  auto out_dir = std::make_shared<std::string>("out");
  demo->add_option("-o,--out", *out_dir, "Directory for the Chrome trace")->capture_default_str();
  demo->callback([&out, out_dir] { run_demo(*out_dir, out); });
}

}  // namespace strata::tools
