// One function per subcommand, each adding itself to the application. Registered explicitly in cli.cpp
// (no static registries). A subcommand's callback throws on failure; cli.cpp turns that into an exit code.
#pragma once

#include <iosfwd>

namespace CLI {
class App;
}

namespace strata::tools {

// `strata demo`: the engine self-demo (toy pipeline over the fluid network, Chrome trace written).
void add_demo_command(CLI::App& app, std::ostream& out);

// `strata hw list|show`: hardware profiles with the source of every number.
void add_hw_command(CLI::App& app, std::ostream& out);

// `strata collective`: nccl-tests-style table of simulated collective times.
void add_collective_command(CLI::App& app, std::ostream& out);

// `strata calibrate [import-nccl-tests|diff]`: probes, nccl-tests import, profile diff.
void add_calibrate_command(CLI::App& app, std::ostream& out);

// `strata model list|show`: presets and HF configs, parameters, FLOPs, operators.
void add_model_command(CLI::App& app, std::ostream& out);

// `strata lower` and `strata replay`: execution-graph files.
void add_graph_commands(CLI::App& app, std::ostream& out);

// `strata run`: every strategy of a scenario, ranked; report.json, report.html, traces.
void add_run_command(CLI::App& app, std::ostream& out);
// `strata jobs`: several training scenarios sharing one cluster's network, each alone vs together.
void add_jobs_command(CLI::App& app, std::ostream& out);
// trace info, trace import (trace_commands.cpp).
void add_trace_commands(CLI::App& app, std::ostream& out);

// `strata search`: enumerate, prune and rank strategies within a scenario's bounds.
void add_search_command(CLI::App& app, std::ostream& out);
void add_sweep_command(CLI::App& app, std::ostream& out);

// `strata validate`: predicted vs published step time of validation cases, MAPE; exit 4 on a failed case.
void add_validate_command(CLI::App& app, std::ostream& out);

}  // namespace strata::tools
