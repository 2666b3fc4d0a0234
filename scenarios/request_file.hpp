// Request files for serving scenarios ({"arrival": {"trace": "requests.jsonl"}}): JSON Lines, one request
// per line, {"arrival_s": 0.25, "input_len": 512, "output_len": 128}; blank lines are skipped. Arrival times
// are seconds from the start of the run (>= 0) and need not be sorted: requests are served in arrival order
// (file order on ties). A request whose prompt starts with a shared prefix names it: "prefix_id" (an integer
// >= 0) and "prefix_len" (its tokens, at most input_len; the same on every line of that id), both or neither.
// Bad lines are InputErrors naming the file and line; a file over 256 MiB or 1,000,000 requests is refused.
#pragma once

#include <filesystem>
#include <vector>

#include "models/serving/deployment.hpp"

namespace strata::scenarios {

std::vector<models::ServingRequest> read_request_file(const std::filesystem::path& path);

}  // namespace strata::scenarios
