#include "scenarios/request_file.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <string>

#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {
namespace {

constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{256} << 20;
constexpr std::size_t kMaxRequests = 1'000'000;
constexpr std::int64_t kMaxLength = 10'000'000;

models::ServingRequest read_line(const std::string& text, const std::string& source) {
  const nlohmann::json value = sim::parse_json_text(text, source);
  sim::JsonObjectReader r(value, sim::JsonLocation{source, ""});
  models::ServingRequest request;
  const double arrival = r.required_number("arrival_s");
  if (!(arrival >= 0) || arrival > 1e9) r.location_of("arrival_s").fail("expected seconds in [0, 1e9]");
  request.arrival = sim::SimTime::from_seconds(arrival);
  request.input_len = r.required_integer("input_len", 1, kMaxLength);
  request.output_len = r.required_integer("output_len", 1, kMaxLength);
  if (r.has("prefix_id") != r.has("prefix_len"))
    r.location().fail("prefix_id and prefix_len come together (a shared prompt prefix and its tokens)");
  if (r.has("prefix_id")) {
    request.prefix_id = r.required_integer("prefix_id", 0, 1'000'000'000);
    request.prefix_len = r.required_integer("prefix_len", 1, request.input_len);
  }
  r.finish();
  return request;
}

}  // namespace

std::vector<models::ServingRequest> read_request_file(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw sim::InputError(path.string(), "", "cannot read the request file: " + error.message());
  if (size > kMaxFileBytes) throw sim::InputError(path.string(), "", "a request file is at most 256 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sim::InputError(path.string(), "", "cannot open the request file");
  std::vector<models::ServingRequest> requests;
  std::map<std::int64_t, std::int64_t> prefix_lengths;  // one length per prefix id
  std::string line;
  for (std::int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(number);
    if (requests.size() == kMaxRequests)
      throw sim::InputError(path.string(), where, "more than 1,000,000 requests");
    try {
      requests.push_back(read_line(line, path.string() + ":" + std::to_string(number)));
    } catch (const sim::InputError& bad) {
      const std::string& path_in_line = bad.json_path();
      const std::string key = path_in_line.empty() || path_in_line == "/" ? "" : " " + path_in_line;
      throw sim::InputError(path.string(), where + key, bad.detail());
    }
    const models::ServingRequest& request = requests.back();
    if (request.prefix_id >= 0) {
      const auto [known, added] = prefix_lengths.emplace(request.prefix_id, request.prefix_len);
      if (!added && known->second != request.prefix_len) {
        throw sim::InputError(path.string(), where + " /prefix_len",
                              "prefix " + std::to_string(request.prefix_id) + " has " +
                                  std::to_string(known->second) + " tokens on an earlier line");
      }
    }
  }
  if (requests.empty()) throw sim::InputError(path.string(), "", "the request file has no requests");
  std::stable_sort(requests.begin(), requests.end(),
                   [](const auto& a, const auto& b) { return a.arrival < b.arrival; });
  return requests;
}

}  // namespace strata::scenarios
