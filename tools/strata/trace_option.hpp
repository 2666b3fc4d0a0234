// `--trace none|best|all` of the commands that write a report bundle (run, search), and the line that says
// what a bundle holds.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/runner/scenario_run.hpp"

namespace strata::tools {

// Adds the option; `value` stays empty unless given.
void add_trace_option(CLI::App& command, std::string& value);

// The selection (best when not given). Given without an output directory it would have no effect: bad input.
scenarios::TraceSelection trace_selection(const std::string& value, const std::string& out_dir);

// "wrote 4 files to out (report.json, report.html, 1 trace of 0.4 MB; manifest.json marks the bundle
// complete; --trace all writes every strategy's)".
std::string bundle_note(const std::vector<std::filesystem::path>& written, const std::string& dir,
                        scenarios::TraceSelection traces);

}  // namespace strata::tools
