#include "scenarios/report/report_html.hpp"

#include <algorithm>
#include <map>

#include "models/graph/time_category.hpp"
#include "models/strategy/pipeline_schedule.hpp"
#include "scenarios/report/report_table.hpp"
#include "scenarios/report/verdict.hpp"

namespace strata::scenarios {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr int kChartWidth = 900;
constexpr int kLabelWidth = 220;
constexpr int kBarHeight = 22;

// Colours of the breakdown keys, in time_breakdown_keys() order.
const char* colour_of(const std::string& key) {
  using models::TimeCategory;
  const std::optional<TimeCategory> category = models::kTimeCategoryNames.value(key);
  switch (category.value_or(TimeCategory::kWait)) {
    case TimeCategory::kCompute: return "#4c78a8";
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

std::string svg_open(int height) { return scenarios::svg_open(kChartWidth, height); }

std::string rect(double x, double y, double width, double height, const char* fill,
                 const std::string& title) {
  return svg_rect(x, y, width, height, fill, title);
}

std::string text_at(double x, double y, const std::string& content, const char* anchor = "start") {
  return svg_text(x, y, content, anchor);
}

std::string ranking_chart(const std::vector<StrategyResult>& ranked) {
  double longest = 0;
  for (const StrategyResult& r : ranked) longest = std::max(longest, r.step_time_s);
  const double scale = (kChartWidth - kLabelWidth - 120) / std::max(longest, 1e-12);
  std::string svg = svg_open(static_cast<int>(ranked.size()) * (kBarHeight + 6) + 10);
  double y = 5;
  for (const StrategyResult& r : ranked) {
    svg += text_at(kLabelWidth - 8, y + 15, std::to_string(r.rank) + ". " + r.strategy.name, "end");
    svg += rect(kLabelWidth, y, r.step_time_s * scale, kBarHeight, r.memory.oom ? "#d62728" : "#4c78a8",
                r.strategy.name + ": " + number("%.3f s", r.step_time_s));
    svg += text_at(kLabelWidth + r.step_time_s * scale + 6, y + 15,
                   number("%.3f s", r.step_time_s) + number(", MFU %.1f%%", 100 * r.mfu) +
                       (r.memory.oom ? ", OOM" : ""));
    y += kBarHeight + 6;
  }
  return svg + "</svg>\n";
}

std::string breakdown_chart(const std::vector<StrategyResult>& ranked) {
  double longest = 0;
  for (const StrategyResult& r : ranked) longest = std::max(longest, r.step_time_s);
  const double scale = (kChartWidth - kLabelWidth - 20) / std::max(longest, 1e-12);
  std::string svg = svg_open(static_cast<int>(ranked.size()) * (kBarHeight + 6) + 40);
  double y = 5;
  for (const StrategyResult& r : ranked) {
    svg += text_at(kLabelWidth - 8, y + 15, r.strategy.name, "end");
    double x = kLabelWidth;
    for (const std::string& key : time_breakdown_keys()) {
      const double seconds = r.time_breakdown_s.count(key) ? r.time_breakdown_s.at(key) : 0.0;
      if (seconds <= 0) continue;
      svg += rect(x, y, seconds * scale, kBarHeight, colour_of(key),
                  r.strategy.name + " " + key + ": " + number("%.3f s", seconds));
      x += seconds * scale;
    }
    y += kBarHeight + 6;
  }
  double x = kLabelWidth;
  for (const std::string& key : time_breakdown_keys()) {
    svg += rect(x, y + 8, 12, 12, colour_of(key), key);
    svg += text_at(x + 16, y + 19, key);
    x += 72;
  }
  return svg + "</svg>\n";
}

std::string memory_chart(const std::vector<StrategyResult>& ranked) {
  double largest = 0;
  for (const StrategyResult& r : ranked)
    largest = std::max({largest, r.memory.peak_bytes, r.memory.capacity_bytes});
  const double scale = (kChartWidth - kLabelWidth - 140) / std::max(largest, 1.0);
  std::string svg = svg_open(static_cast<int>(ranked.size()) * (kBarHeight + 6) + 10);
  double y = 5;
  for (const StrategyResult& r : ranked) {
    svg += text_at(kLabelWidth - 8, y + 15, r.strategy.name, "end");
    double x = kLabelWidth;
    int shade = 0;
    static const char* shades[] = {"#4c78a8", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2"};
    for (const auto& [category, bytes] : r.memory.breakdown) {
      if (bytes <= 0) continue;
      svg += rect(x, y, bytes * scale, kBarHeight, shades[shade++ % 5],
                  r.strategy.name + " " + category + ": " + number("%.1f GiB", bytes / kGiB));
      x += bytes * scale;
    }
    const double cap = kLabelWidth + r.memory.capacity_bytes * scale;
    svg += "<line x1=\"" + number("%.1f", cap) + "\" x2=\"" + number("%.1f", cap) + "\" y1=\"" +
           number("%.1f", y - 2) + "\" y2=\"" + number("%.1f", y + kBarHeight + 2) +
           "\" stroke=\"#d62728\" stroke-width=\"2\"/>\n";
    svg += text_at(std::max(x, cap) + 6, y + 15,
                   number("%.1f", r.memory.peak_bytes / kGiB) +
                       number(" / %.1f GiB", r.memory.capacity_bytes / kGiB) + (r.memory.oom ? "  OOM" : ""));
    y += kBarHeight + 6;
  }
  return svg + "</svg>\n";
}

std::string timeline_chart(const TimelineExcerpt& excerpt) {
  std::vector<std::string> lanes;
  for (const auto& span : excerpt.spans) {
    const std::string lane = span.process + "/" + span.thread;
    if (std::find(lanes.begin(), lanes.end(), lane) == lanes.end()) lanes.push_back(lane);
  }
  const double width = std::max(1.0, (excerpt.to - excerpt.from).seconds());
  const double scale = (kChartWidth - kLabelWidth - 20) / width;
  std::string svg = svg_open(static_cast<int>(lanes.size()) * (kBarHeight + 4) + 30);
  static const char* palette[] = {"#4c78a8", "#f58518", "#54a24b", "#e45756",
                                  "#72b7b2", "#b279a2", "#9d755d", "#eeca3b"};
  const auto lane_y = [](std::size_t lane) { return 5 + static_cast<double>(lane) * (kBarHeight + 4.0); };
  for (std::size_t i = 0; i < lanes.size(); ++i)
    svg += text_at(kLabelWidth - 8, lane_y(i) + 15, lanes[i], "end");
  for (const auto& span : excerpt.spans) {
    const auto lane = static_cast<std::size_t>(
        std::find(lanes.begin(), lanes.end(), span.process + "/" + span.thread) - lanes.begin());
    const double start = (std::max(span.start, excerpt.from) - excerpt.from).seconds();
    const double end = (std::min(span.end, excerpt.to) - excerpt.from).seconds();
    svg += rect(kLabelWidth + start * scale, lane_y(lane), std::max((end - start) * scale, 0.5), kBarHeight,
                palette[lane % 8], span.name + number(" %.3f ms", (span.end - span.start).seconds() * 1e3));
  }
  svg += text_at(kLabelWidth, lane_y(lanes.size()) + 17, number("%.3f s", excerpt.from.seconds()));
  svg += text_at(kChartWidth - 20, lane_y(lanes.size()) + 17, number("%.3f s", excerpt.to.seconds()), "end");
  return svg + "</svg>\n";
}

std::string results_table(const std::vector<StrategyResult>& ranked) {
  std::string html =
      "<table>\n<tr><th>rank</th><th>strategy</th><th>tp</th><th>pp</th><th>vpp</th><th>dp</"
      "th><th>micro-batch</th>"
      "<th>schedule</th><th>SP</th><th>recompute</th><th>ZeRO</th><th>step (s)</th><th>tokens/s/GPU</th>"
      "<th>model TFLOP/s/GPU</th><th>MFU</th><th>HFU</th><th>peak memory (GiB)</th><th>OOM</th><th>biggest "
      "sink</th></tr>\n";
  for (const StrategyResult& r : ranked) {
    const auto& s = r.strategy;
    const auto [sink, seconds] = r.biggest_sink();
    const std::string recompute(models::kRecomputeNames.name(s.recompute));
    html += "<tr><td>" + std::to_string(r.rank) + "</td><td>" + html_escape(s.name) + "</td><td>" +
            std::to_string(s.tp) + "</td><td>" + std::to_string(s.pp) + "</td><td>" + std::to_string(s.vpp) +
            "</td><td>" + std::to_string(s.dp) + "</td><td>" + std::to_string(s.micro_batch) + "</td><td>" +
            std::string(s.schedule->name()) + "</td><td>" + (s.sequence_parallel ? "yes" : "no") +
            "</td><td>" + recompute + "</td><td>" + std::to_string(s.zero) + "</td><td>" +
            number("%.3f", r.step_time_s) + "</td><td>" + number("%.1f", r.tokens_per_s_per_gpu) +
            "</td><td>" + number("%.1f", r.model_tflops_per_gpu) + "</td><td>" +
            number("%.1f%%", 100 * r.mfu) + "</td><td>" + number("%.1f%%", 100 * r.hfu) + "</td><td>" +
            number("%.1f", r.memory.peak_bytes / kGiB) + "</td><td>" + (r.memory.oom ? "yes" : "") +
            "</td><td>" + html_escape(sink) + number(" %.3f s", seconds) + "</td></tr>\n";
  }
  return html + "</table>\n";
}

}  // namespace

std::string report_html(const Scenario& scenario, const std::vector<StrategyResult>& ranked,
                        const TimelineExcerpt* excerpt) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Strata report: " +
      html_escape(scenario.name) +
      "</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\nsvg "
      "text{font-size:12px;font-family:sans-serif}\n"
      "table{border-collapse:collapse;font-size:13px}\ntd,th{border:1px solid #ccc;padding:3px "
      "6px;text-align:right}\n"
      "td:nth-child(2),th:nth-child(2){text-align:left}\nh2{margin-top:1.6em}\np.verdict{font-size:15px;max-"
      "width:60em;border-left:4px solid #4c78a8;padding-left:0.8em}\n</style>\n</head>\n<body>\n";
  html += "<h1>Strata report: " + html_escape(scenario.name) + "</h1>\n";
  html += "<p>" + html_escape(scenario.model.config.name) + " on " + std::to_string(scenario.cluster.nodes) +
          " x " + html_escape(scenario.cluster.system.name) + " (" + std::to_string(scenario.cluster.gpus()) +
          " " + html_escape(scenario.cluster.gpu.name) + "); sequence " +
          std::to_string(scenario.training.seq_len) + ", global batch " +
          std::to_string(scenario.training.global_batch) + ", " +
          std::string(models::dtype_name(scenario.training.dtype)) + ", " + html_escape(scenario.fidelity) +
          " fidelity.</p>\n";
  html += "<p class=\"verdict\">" + html_escape(verdict(ranked)) + "</p>\n";
  html += "<h2>Ranking (step time; red: out of memory, ranked last)</h2>\n" + ranking_chart(ranked);
  html += "<h2>Where the step goes (critical pipeline stage)</h2>\n" + breakdown_chart(ranked);
  html += "<h2>Peak memory per GPU against capacity</h2>\n" + memory_chart(ranked);
  html += "<h2>Results</h2>\n" + results_table(ranked);
  if (excerpt != nullptr && !excerpt->spans.empty()) {
    html += "<h2>Timeline excerpt: " + html_escape(excerpt->strategy) + "</h2>\n";
    if (!excerpt->note.empty()) html += "<p>" + html_escape(excerpt->note) + "</p>\n";
    html += timeline_chart(*excerpt);
  }
  html +=
      "<p>Definitions: scenarios/README.md (Reports). The full timelines are in trace-&lt;strategy&gt;.json "
      "(ui.perfetto.dev).</p>\n";
  return html + "</body>\n</html>\n";
}

}  // namespace strata::scenarios
