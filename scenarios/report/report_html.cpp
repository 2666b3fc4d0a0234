#include "scenarios/report/report_html.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "models/graph/time_category.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "scenarios/report/report_json.hpp"
#include "scenarios/report/verdict.hpp"

namespace strata::scenarios {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr int kPlotWidth = 480;  // bars; the strategy labels' column comes before, the values' after
constexpr int kValueWidth = 220;
constexpr int kBarHeight = 22;
constexpr int kRowHeight = kBarHeight + 6;

// One colour per time category, the same in every chart (the timeline's streams too).
const char* time_colour(const std::string& key) {
  using models::TimeCategory;
  const std::optional<TimeCategory> category = models::kTimeCategoryNames.value(key);
  if (!category) return "#888888";
  switch (*category) {
    case TimeCategory::kCompute: return "#4c78a8";
    case TimeCategory::kOptimizer: return "#4c78a8";
    case TimeCategory::kTensorParallel: return "#f58518";
    case TimeCategory::kDataParallel: return "#54a24b";
    case TimeCategory::kPipeline: return "#e45756";
    case TimeCategory::kContextParallel: return "#72b7b2";
    case TimeCategory::kExpertParallel: return "#b279a2";
    case TimeCategory::kBubble: return "#bab0ac";
    case TimeCategory::kOffload: return "#9d755d";
    case TimeCategory::kOther: return "#eeca3b";
    default: return "#888888";
  }
}

// Memory categories get colours of their own (ColorBrewer Dark2), never a time category's, in sorted order
// of every category the report has, so a category has one colour in every row.
std::map<std::string, const char*> memory_colours(const std::vector<StrategyResult>& ranked) {
  static const char* palette[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                                  "#66a61e", "#e6ab02", "#a6761d"};
  std::set<std::string> categories;
  for (const StrategyResult& r : ranked)
    for (const auto& [category, bytes] : r.memory.breakdown) categories.insert(category);
  std::map<std::string, const char*> colours;
  for (const std::string& category : categories)
    colours[category] = palette[colours.size() % std::size(palette)];
  return colours;
}

// Wide enough for the longest strategy name (a clipped label was a bug).
int label_width(const std::vector<StrategyResult>& ranked) {
  std::size_t longest = 8;
  for (const StrategyResult& r : ranked) longest = std::max(longest, r.strategy.name.size() + 4);
  return static_cast<int>(static_cast<double>(longest) * kCharWidth) + 12;
}

// Step time relative to the best strategy that fits, so that close strategies look different: the best is
// the axis, each bar is how much slower (a faster one that does not fit points left, in red).
std::string ranking_chart(const std::vector<StrategyResult>& ranked) {
  const int labels = label_width(ranked);
  const int width = labels + kPlotWidth + kValueWidth;
  const auto best = std::find_if(ranked.begin(), ranked.end(), [](const auto& r) { return !r.memory.oom; });
  const double reference = best != ranked.end() ? best->step_time_s : ranked.front().step_time_s;
  double widest = 0.01;
  for (const StrategyResult& r : ranked) widest = std::max(widest, std::abs(r.step_time_s / reference - 1));
  const double zero = labels + kPlotWidth * 0.25;  // room on the left for faster strategies that do not fit
  const double scale = kPlotWidth * 0.75 / widest;
  std::string svg = svg_open(width, static_cast<int>(ranked.size()) * kRowHeight + 40);
  double y = 5;
  for (const StrategyResult& r : ranked) {
    const double relative = r.step_time_s / reference - 1;
    svg += svg_text(labels - 8, y + 15, std::to_string(r.rank) + ". " + r.strategy.name, "end");
    const double x = relative >= 0 ? zero : zero + relative * scale;
    svg += svg_rect(x, y, std::max(std::abs(relative) * scale, 1.0), kBarHeight,
                    r.memory.oom ? "#d62728" : "#555555",
                    r.strategy.name + ": " + number("%.3f s", r.step_time_s));
    const std::string value = number("%.3f s", r.step_time_s) +
                              (&r == &*best ? std::string(" (best)") : number(", %+.1f%%", 100 * relative)) +
                              number(", MFU %.1f%%", 100 * r.mfu) + (r.memory.oom ? ", OOM" : "");
    svg += svg_text(zero + std::max(relative, 0.0) * scale + 6, y + 15, value);
    y += kRowHeight;
  }
  svg += svg_line(zero, 0, zero, y, "#222222");
  svg += svg_text(zero, y + 14, "the best that fits", "middle");
  svg += svg_legend({{"fits in memory", "#555555"}, {"out of memory", "#d62728"}}, labels, y + 22, width);
  return svg + "</svg>\n";
}

std::string breakdown_chart(const std::vector<StrategyResult>& ranked) {
  const int labels = label_width(ranked);
  const int width = labels + kPlotWidth + kValueWidth;
  double longest = 0;
  for (const StrategyResult& r : ranked) longest = std::max(longest, r.step_time_s);
  const double scale = (kPlotWidth + kValueWidth - 40) / std::max(longest, 1e-12);
  std::string svg = svg_open(width, static_cast<int>(ranked.size()) * kRowHeight + 2 * kLegendRow + 20);
  double y = 5;
  for (const StrategyResult& r : ranked) {
    svg += svg_text(labels - 8, y + 15, r.strategy.name, "end");
    double x = labels;
    for (const std::string& key : time_breakdown_keys()) {
      const double seconds = r.time_breakdown_s.count(key) ? r.time_breakdown_s.at(key) : 0.0;
      if (seconds <= 0) continue;
      svg += svg_rect(x, y, seconds * scale, kBarHeight, time_colour(key),
                      r.strategy.name + " " + key + ": " + number("%.3f s", seconds));
      x += seconds * scale;
    }
    y += kRowHeight;
  }
  std::vector<std::pair<std::string, const char*>> entries;
  for (const std::string& key : time_breakdown_keys()) entries.emplace_back(key, time_colour(key));
  return svg + svg_legend(entries, labels, y + 8, width) + "</svg>\n";
}

std::string memory_chart(const std::vector<StrategyResult>& ranked) {
  const int labels = label_width(ranked);
  const int width = labels + kPlotWidth + kValueWidth;
  const std::map<std::string, const char*> colours = memory_colours(ranked);
  double largest = 0;
  for (const StrategyResult& r : ranked)
    largest = std::max({largest, r.memory.peak_bytes, r.memory.capacity_bytes});
  const double scale = kPlotWidth / std::max(largest, 1.0);
  std::string svg = svg_open(width, static_cast<int>(ranked.size()) * kRowHeight + kLegendRow + 24);
  double y = 5;
  for (const StrategyResult& r : ranked) {
    svg += svg_text(labels - 8, y + 15, r.strategy.name, "end");
    double x = labels;
    for (const auto& [category, bytes] : r.memory.breakdown) {
      if (bytes <= 0) continue;
      svg += svg_rect(x, y, bytes * scale, kBarHeight, colours.at(category),
                      r.strategy.name + " " + category + ": " + number("%.1f GiB", bytes / kGiB));
      x += bytes * scale;
    }
    const double cap = labels + r.memory.capacity_bytes * scale;
    svg += svg_line(cap, y - 2, cap, y + kBarHeight + 2, "#d62728", 2);
    svg +=
        svg_text(std::max(x, cap) + 6, y + 15,
                 number("%.1f", r.memory.peak_bytes / kGiB) +
                     number(" / %.1f GiB", r.memory.capacity_bytes / kGiB) + (r.memory.oom ? "  OOM" : ""));
    y += kRowHeight;
  }
  std::vector<std::pair<std::string, const char*>> entries(colours.begin(), colours.end());
  entries.emplace_back("GPU capacity", "#d62728");
  return svg + svg_legend(entries, labels, y + 8, width) + "</svg>\n";
}

// A stream's colour: its time category's ("dp", or "dp" of "dp-gather").
const char* stream_colour(const std::string& stream) {
  return time_colour(stream.substr(0, stream.find('-')));
}

// Lanes are streams ("gpu0/compute", "gpu0/dp-gather"): coloured by the stream's time category.
std::string timeline_chart(const TimelineExcerpt& excerpt) {
  std::vector<std::string> lanes;
  for (const auto& span : excerpt.spans) {
    const std::string lane = span.process + "/" + span.thread;
    if (std::find(lanes.begin(), lanes.end(), lane) == lanes.end()) lanes.push_back(lane);
  }
  constexpr int kLanes = 160;
  const int width = kLanes + kPlotWidth + kValueWidth;
  const double span_s = std::max(1e-12, (excerpt.to - excerpt.from).seconds());
  const double scale = (width - kLanes - 20) / span_s;
  std::string svg = svg_open(width, static_cast<int>(lanes.size()) * (kBarHeight + 4) + 30 + kLegendRow);
  const auto lane_y = [](std::size_t lane) { return 5 + static_cast<double>(lane) * (kBarHeight + 4.0); };
  for (std::size_t i = 0; i < lanes.size(); ++i) svg += svg_text(kLanes - 8, lane_y(i) + 15, lanes[i], "end");
  std::set<std::string> streams;
  for (const auto& span : excerpt.spans) {
    const auto lane = static_cast<std::size_t>(
        std::find(lanes.begin(), lanes.end(), span.process + "/" + span.thread) - lanes.begin());
    const double start = (std::max(span.start, excerpt.from) - excerpt.from).seconds();
    const double end = (std::min(span.end, excerpt.to) - excerpt.from).seconds();
    streams.insert(span.thread);
    svg += svg_rect(kLanes + start * scale, lane_y(lane), std::max((end - start) * scale, 0.5), kBarHeight,
                    stream_colour(span.thread),
                    span.name + number(" %.3f ms", (span.end - span.start).seconds() * 1e3));
  }
  const double bottom = lane_y(lanes.size());
  svg += svg_text(kLanes, bottom + 17, number("%.3f s", excerpt.from.seconds()));
  svg += svg_text(width - 20, bottom + 17, number("%.3f s", excerpt.to.seconds()), "end");
  std::vector<std::pair<std::string, const char*>> entries;
  for (const std::string& stream : streams) entries.emplace_back(stream, stream_colour(stream));
  return svg + svg_legend(entries, kLanes, bottom + 24, width) + "</svg>\n";
}

std::string cell(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_string()) return html_escape(value.get<std::string>());
  if (value.is_array()) {
    std::string text;
    for (const nlohmann::json& item : value) text += (text.empty() ? "" : " ") + cell(item);
    return text;
  }
  return html_escape(value.dump());
}

// The results, then every strategy field (the keys of report.json's config, strategy_fields.hpp); the
// header sorts the table (the page's one script).
std::string results_table(const Scenario& scenario, const std::vector<StrategyResult>& ranked) {
  std::vector<nlohmann::json> configs;
  std::vector<std::string> fields;
  for (const StrategyResult& r : ranked) {
    configs.push_back(strategy_config_json(r.strategy, scenario.training));
    for (const auto& item : configs.back().items())
      if (std::find(fields.begin(), fields.end(), item.key()) == fields.end()) fields.push_back(item.key());
  }
  const auto best = std::find_if(ranked.begin(), ranked.end(), [](const auto& r) { return !r.memory.oom; });
  const double reference = best != ranked.end() ? best->step_time_s : ranked.front().step_time_s;
  // With --steps: the median step, and the p99 beside it.
  const bool distributed = ranked.front().step_distribution.has_value();
  std::string html =
      "<div class=\"scroll\"><table class=\"sortable\">\n<thead><tr><th>rank</th><th>strategy</th>";
  html += distributed ? "<th>p50 step (s)</th><th>p99 step (s)</th>" : "<th>step (s)</th>";
  const bool banded = std::any_of(ranked.begin(), ranked.end(),
                                  [](const StrategyResult& r) { return r.error_band.has_value(); });
  if (banded) html += "<th>expected error</th>";
  html +=
      "<th>vs best</th><th>tokens/s/GPU</th><th>model "
      "TFLOP/s/GPU</th><th>MFU</th><th>HFU</th><th>peak "
      "memory (GiB)</th><th>OOM</th><th>biggest sink</th>";
  for (const std::string& field : fields) html += "<th>" + html_escape(field) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const StrategyResult& r = ranked[i];
    html += "<tr><td>" + std::to_string(r.rank) + "</td><td>" + html_escape(r.strategy.name) + "</td>";
    html += "<td>" + number("%.3f", r.step_time_s) + "</td>";
    if (r.step_distribution) html += "<td>" + number("%.3f", r.step_distribution->stats.p99_s) + "</td>";
    if (banded && r.error_band) {
      html += "<td title=\"" +
              html_escape("measured / predicted - 1 over the middle 80% of the validation cases of " +
                          r.error_band->basis + " (" + std::to_string(r.error_band->cases) + " cases)") +
              "\">" + band_text(*r.error_band, BandMetric::kTime) + "</td>";
    } else if (banded) {
      html += "<td>-</td>";
    }
    html += "<td>" + number("%+.1f%%", 100 * (r.step_time_s / reference - 1)) + "</td><td>" +
            number("%.1f", r.tokens_per_s_per_gpu) + "</td><td>" + number("%.1f", r.model_tflops_per_gpu) +
            "</td><td>" + number("%.1f%%", 100 * r.mfu) + "</td><td>" + number("%.1f%%", 100 * r.hfu) +
            "</td><td>" + number("%.1f", r.memory.peak_bytes / kGiB) + "</td><td>" +
            (r.memory.oom ? "yes" : "") + "</td><td>" + html_escape(biggest_sink_label(r)) + "</td>";
    for (const std::string& field : fields)
      html += "<td>" + (configs[i].contains(field) ? cell(configs[i][field]) : std::string()) + "</td>";
    html += "</tr>\n";
  }
  return html + "</tbody></table></div>\n";
}

std::string search_counts(const nlohmann::json& extra) {
  if (!extra.contains("search")) return "";
  const nlohmann::json& s = extra["search"];
  const auto count = [&](const char* key) { return std::to_string(s.value(key, 0LL)); };
  return "<p>Search: " + count("candidates") + " candidates, " + count("invalid") + " invalid, " +
         count("oom_pruned") + " over memory by the estimate, " + count("simulated") + " simulated (" +
         count("extrapolated") + " from two short steps), " + count("bound_pruned") +
         " bounded out (a lower bound on their step beyond the top " + count("top") + "); the top " +
         count("top") + " are below.</p>\n";
}

// Clicking a header sorts the rows by that column, numbers as numbers; again to reverse.
constexpr const char* kSortScript = R"(<script>
document.querySelectorAll('table.sortable th').forEach(function (th, column) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var up = th.getAttribute('data-order') !== 'up';
    th.setAttribute('data-order', up ? 'up' : 'down');
    var key = function (row) {
      var text = row.cells[column].textContent, value = parseFloat(text);
      return isNaN(value) ? text : value;
    };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
</script>
)";

}  // namespace

std::string report_html(const Scenario& scenario, const std::vector<StrategyResult>& ranked,
                        const TimelineExcerpt* excerpt, const nlohmann::json& extra) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Strata report: " +
      html_escape(scenario.name) +
      "</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\nsvg "
      "text{font-size:12px;font-family:sans-serif}\n"
      "table{border-collapse:collapse;font-size:13px}\ntd,th{border:1px solid #ccc;padding:3px "
      "6px;text-align:right;white-space:nowrap}\nth{cursor:pointer;background:#f4f4f4}\n"
      "td:nth-child(2),th:nth-child(2){text-align:left}\n.scroll{overflow-x:auto;max-width:100%}\n"
      "h2{margin-top:1.6em}\np.verdict{font-size:15px;max-width:60em;border-left:4px solid "
      "#4c78a8;padding-left:0.8em}\n</style>\n</head>\n<body>\n";
  html += "<h1>Strata report: " + html_escape(scenario.name) + "</h1>\n";
  html += "<p>" + html_escape(scenario.model.config.name) + " on " + std::to_string(scenario.cluster.nodes) +
          " x " + html_escape(scenario.cluster.system.name) + " (" + std::to_string(scenario.cluster.gpus()) +
          " " + html_escape(scenario.cluster.gpu.name) + "); sequence " +
          std::to_string(scenario.training.seq_len) + ", global batch " +
          std::to_string(scenario.training.global_batch) + ", " +
          std::string(models::dtype_name(scenario.training.dtype)) + ", " + html_escape(scenario.fidelity) +
          " fidelity.</p>\n";
  html += "<p class=\"verdict\">" + html_escape(verdict(ranked)) + "</p>\n";
  html += search_counts(extra);
  if (!ranked.empty()) {
    html += "<h2>Ranking: step time against the best that fits</h2>\n" + ranking_chart(ranked);
    html += "<h2>Where the step goes (critical pipeline stage)</h2>\n" + breakdown_chart(ranked);
    html += "<h2>Peak memory per GPU against capacity</h2>\n" + memory_chart(ranked);
    html += "<h2>Results (click a header to sort)</h2>\n" + results_table(scenario, ranked);
  }
  if (excerpt != nullptr && !excerpt->spans.empty()) {
    html += "<h2>Timeline excerpt: " + html_escape(excerpt->strategy) + "</h2>\n";
    if (!excerpt->note.empty()) html += "<p>" + html_escape(excerpt->note) + "</p>\n";
    html += timeline_chart(*excerpt);
  }
  html +=
      "<p>Definitions: scenarios/README.md (Reports). The timelines are in trace-&lt;strategy&gt;.json "
      "(ui.perfetto.dev).</p>\n";
  return html + kSortScript + "</body>\n</html>\n";
}

}  // namespace strata::scenarios
