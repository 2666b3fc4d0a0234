#include "scenarios/report/sweep_html.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "scenarios/report/html_parts.hpp"

namespace strata::scenarios {
namespace {

constexpr int kWidth = 900;
constexpr int kPlotHeight = 260;
constexpr double kLeft = 80;
constexpr double kRight = 30;
constexpr double kTop = 15;
constexpr double kBottom = 45;  // x labels and the axis title
constexpr double kLegendRow = 18;
constexpr double kSecondsPerHour = 3600;
constexpr double kMillion = 1e6;
constexpr const char* kFrontColour = "#f58518";
constexpr const char* kOtherColour = "#4c78a8";

// A point's best strategy: rank 1 when it fits in memory (results are ranked with OOM last).
struct Best {
  std::string strategy;
  double gpus = 0;
  double step_time_s = 0;
  double tokens_per_s_per_gpu = 0;
  double mfu = 0;
  double peak_memory_gib = 0;
};

std::optional<Best> best_of(const nlohmann::json& entry) {
  if (!entry.contains("results") || entry["results"].empty()) return std::nullopt;
  const nlohmann::json& r = entry["results"][0];
  if (r.value("oom", false) || r.value("tokens_per_s_per_gpu", 0.0) <= 0) return std::nullopt;
  return Best{r.value("strategy", std::string()),   r.value("gpus", 0.0), r.value("step_time_s", 0.0),
              r.value("tokens_per_s_per_gpu", 0.0), r.value("mfu", 0.0),  r.value("peak_memory_gib", 0.0)};
}

std::string value_label(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// "cluster.system=dgx-h100, training.seq_len=2048" for the axes other than `skip` (npos: none skipped).
std::string point_label(const SweepGrid& grid, const nlohmann::json& point, std::size_t skip) {
  std::string label;
  for (std::size_t a = 0; a < grid.axes.size(); ++a) {
    if (a == skip) continue;
    if (!label.empty()) label += ", ";
    label += grid.axes[a].path + "=" + value_label(point[grid.axes[a].path]);
  }
  return label;
}

// Which of axis `a`'s values point `index` has (sweep_grid.hpp: the last axis varies fastest).
std::size_t value_index(const SweepGrid& grid, std::int64_t index, std::size_t a) {
  std::int64_t stride = 1;
  for (std::size_t b = a + 1; b < grid.axes.size(); ++b)
    stride *= static_cast<std::int64_t>(grid.axes[b].values.size());
  return static_cast<std::size_t>((index / stride) % static_cast<std::int64_t>(grid.axes[a].values.size()));
}

// A value axis: linear, or logarithmic when its values span more than a decade.
class Scale {
 public:
  Scale(double lo, double hi, double from_px, double to_px) : from_px_(from_px), to_px_(to_px) {
    log_ = lo > 0 && hi / lo > 10;
    if (log_) {
      lo_ = std::log10(lo) - 0.05;
      hi_ = std::log10(hi) + 0.05;
    } else {
      const double pad = hi > lo ? 0.08 * (hi - lo) : std::max(0.1 * std::abs(hi), 1e-9);
      lo_ = lo - pad;
      hi_ = hi + pad;
    }
  }
  double px(double value) const {
    const double v = log_ ? std::log10(value) : value;
    return from_px_ + (v - lo_) / (hi_ - lo_) * (to_px_ - from_px_);
  }
  std::vector<double> ticks() const {
    std::vector<double> out;
    for (int k = 0; k <= 4; ++k) {
      const double v = lo_ + (hi_ - lo_) * k / 4.0;
      out.push_back(log_ ? std::pow(10.0, v) : v);
    }
    return out;
  }
  bool logarithmic() const { return log_; }

 private:
  double lo_ = 0, hi_ = 1, from_px_, to_px_;
  bool log_ = false;
};

// Tick labels without exponents for the values sweeps have (tokens/s in the thousands, steps in seconds).
std::string tick_label(double value) {
  const double magnitude = std::abs(value);
  if (magnitude >= 1e7 || (magnitude > 0 && magnitude < 1e-3)) return number("%.3g", value);
  return number(magnitude >= 100 ? "%.0f" : "%.3g", value);
}

std::string y_grid(const Scale& y, const std::string& title) {
  std::string svg;
  for (double tick : y.ticks()) {
    svg += svg_line(kLeft, y.px(tick), kWidth - kRight, y.px(tick), "#e6e6e6");
    svg += svg_text(kLeft - 6, y.px(tick) + 4, tick_label(tick), "end");
  }
  svg += "<text x=\"14\" y=\"" + number("%.1f", kTop + kPlotHeight / 2.0) +
         "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " + number("%.1f", kTop + kPlotHeight / 2.0) +
         ")\">" + html_escape(title + (y.logarithmic() ? " (log)" : "")) + "</text>\n";
  return svg;
}

// One row per (label, colour).
std::string legend(const std::vector<std::pair<std::string, const char*>>& entries, double y) {
  std::string svg;
  for (std::size_t s = 0; s < entries.size(); ++s) {
    const double row = y + static_cast<double>(s) * kLegendRow;
    svg += svg_rect(kLeft, row, 12, 12, entries[s].second, entries[s].first);
    svg += svg_text(kLeft + 18, row + 11, entries[s].first);
  }
  return svg;
}

struct Series {
  std::string label;
  std::vector<std::optional<double>> y;  // one per axis value
};

// One metric against one axis: its values evenly spaced in the grid's order, a line per series.
std::string axis_chart(const SweepAxis& axis, const std::vector<Series>& series, const std::string& metric) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : series)
    for (const auto& y : s.y)
      if (y) lo = std::min(lo, *y), hi = std::max(hi, *y);
  const int height =
      static_cast<int>(kTop + kPlotHeight + kBottom + kLegendRow * static_cast<double>(series.size()) + 10);
  std::string svg = svg_open(kWidth, height);
  if (!(lo <= hi))
    return svg + svg_text(kLeft, kTop + 20, "no point of this axis fits in memory") + "</svg>\n";
  const Scale y(lo, hi, kTop + kPlotHeight, kTop);
  svg += y_grid(y, metric);
  const std::size_t n = axis.values.size();
  const auto x = [&](std::size_t i) {
    return kLeft + 20 +
           (kWidth - kLeft - kRight - 40) *
               (n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.5);
  };
  const double base = kTop + kPlotHeight;
  svg += svg_line(kLeft, base, kWidth - kRight, base, "#888888");
  for (std::size_t i = 0; i < n; ++i) svg += svg_text(x(i), base + 16, value_label(axis.values[i]), "middle");
  svg += svg_text((kLeft + kWidth - kRight) / 2, base + 36, axis.path, "middle");
  for (std::size_t s = 0; s < series.size(); ++s) {
    const char* colour = series_colour(s);
    for (std::size_t i = 0; i < n; ++i) {
      if (!series[s].y[i]) continue;
      if (i + 1 < n && series[s].y[i + 1])
        svg += svg_line(x(i), y.px(*series[s].y[i]), x(i + 1), y.px(*series[s].y[i + 1]), colour, 2);
      svg += svg_circle(x(i), y.px(*series[s].y[i]), 3.5, colour,
                        series[s].label + ": " + axis.path + "=" + value_label(axis.values[i]) + ", " +
                            metric + " " + number("%.4g", *series[s].y[i]));
    }
  }
  std::vector<std::pair<std::string, const char*>> entries;
  for (std::size_t s = 0; s < series.size(); ++s) entries.emplace_back(series[s].label, series_colour(s));
  return svg + legend(entries, base + kBottom + 4) + "</svg>\n";
}

// Series of `metric` against axis `a`: one per combination of the other axes, in point order.
std::vector<Series> axis_series(const SweepGrid& grid, const std::map<std::int64_t, nlohmann::json>& entries,
                                std::size_t a, double (*metric)(const Best&), std::size_t& dropped) {
  std::vector<Series> series;
  dropped = 0;
  for (const auto& [index, entry] : entries) {
    const std::string label = grid.axes.size() > 1 ? point_label(grid, entry["point"], a) : "best strategy";
    auto it = std::find_if(series.begin(), series.end(), [&](const Series& s) { return s.label == label; });
    if (it == series.end()) {
      if (series.size() == kSweepChartSeries) {
        ++dropped;
        continue;
      }
      series.push_back({label, std::vector<std::optional<double>>(grid.axes[a].values.size())});
      it = series.end() - 1;
    }
    if (const std::optional<Best> best = best_of(entry)) it->y[value_index(grid, index, a)] = metric(*best);
  }
  dropped /= std::max<std::size_t>(1, grid.axes[a].values.size());
  return series;
}

double tokens_per_gpu(const Best& b) { return b.tokens_per_s_per_gpu; }
double step_time(const Best& b) { return b.step_time_s; }

// GPU-hours per million tokens against the seconds a million tokens take, every point that fits; the front
// joins the points that no other point beats on both.
std::string pareto_chart(const SweepGrid& grid, const std::map<std::int64_t, nlohmann::json>& entries) {
  struct Dot {
    double seconds, gpu_hours;
    std::string label;
  };
  std::vector<Dot> dots;
  for (const auto& [index, entry] : entries) {
    const std::optional<Best> best = best_of(entry);
    if (!best || best->gpus <= 0) continue;
    const double seconds = kMillion / (best->tokens_per_s_per_gpu * best->gpus);
    const double gpu_hours = kMillion / best->tokens_per_s_per_gpu / kSecondsPerHour;
    dots.push_back({seconds, gpu_hours,
                    "point " + std::to_string(index) + ": " +
                        point_label(grid, entry["point"], std::string::npos) + "; " + best->strategy +
                        number(" on %.0f GPUs", best->gpus)});
  }
  std::string svg = svg_open(kWidth, static_cast<int>(kTop + kPlotHeight + kBottom + 2 * kLegendRow + 10));
  if (dots.empty()) return svg + svg_text(kLeft, kTop + 20, "no point fits in memory") + "</svg>\n";
  std::sort(dots.begin(), dots.end(), [](const Dot& p, const Dot& q) {
    return p.seconds != q.seconds ? p.seconds < q.seconds : p.gpu_hours < q.gpu_hours;
  });
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Dot& d : dots)
    x_lo = std::min(x_lo, d.seconds), x_hi = std::max(x_hi, d.seconds), y_lo = std::min(y_lo, d.gpu_hours),
    y_hi = std::max(y_hi, d.gpu_hours);
  const Scale x(x_lo, x_hi, kLeft + 10, kWidth - kRight - 10);
  const Scale y(y_lo, y_hi, kTop + kPlotHeight, kTop);
  svg += y_grid(y, "GPU-hours per 1M tokens");
  const double base = kTop + kPlotHeight;
  svg += svg_line(kLeft, base, kWidth - kRight, base, "#888888");
  for (double tick : x.ticks()) svg += svg_text(x.px(tick), base + 16, tick_label(tick), "middle");
  svg += svg_text((kLeft + kWidth - kRight) / 2, base + 36,
                  std::string("seconds per 1M tokens") + (x.logarithmic() ? " (log)" : ""), "middle");
  const Dot* previous = nullptr;
  for (const Dot& d : dots) {
    const bool on_front = previous == nullptr || d.gpu_hours < previous->gpu_hours;
    if (on_front && previous != nullptr)
      svg += svg_line(x.px(previous->seconds), y.px(previous->gpu_hours), x.px(d.seconds), y.px(d.gpu_hours),
                      kFrontColour, 2);
    svg += svg_circle(x.px(d.seconds), y.px(d.gpu_hours), on_front ? 5 : 3.5,
                      on_front ? kFrontColour : kOtherColour,
                      (on_front ? "Pareto front, " : "") + d.label + number(": %.4g s", d.seconds) +
                          number(", %.4g GPU-hours per 1M tokens", d.gpu_hours));
    if (on_front) previous = &d;
  }
  return svg +
         legend({{"on the Pareto front: no other point is both faster and cheaper", kFrontColour},
                 {"other points", kOtherColour}},
                base + kBottom + 4) +
         "</svg>\n";
}

std::string points_table(const SweepGrid& grid, const std::map<std::int64_t, nlohmann::json>& entries) {
  std::string html = "<table>\n<tr><th>point</th>";
  for (const SweepAxis& axis : grid.axes) html += "<th>" + html_escape(axis.path) + "</th>";
  html +=
      "<th>best strategy</th><th>GPUs</th><th>step (s)</th><th>tokens/s/GPU</th><th>MFU</th><th>peak memory "
      "(GiB)</th><th>note</th></tr>\n";
  std::size_t rows = 0;
  for (const auto& [index, entry] : entries) {
    if (rows++ == kSweepTableRows) break;
    html += "<tr><td>" + std::to_string(index) + "</td>";
    for (const SweepAxis& axis : grid.axes)
      html += "<td>" + html_escape(value_label(entry["point"][axis.path])) + "</td>";
    if (const std::optional<Best> best = best_of(entry)) {
      html += "<td>" + html_escape(best->strategy) + "</td><td>" + number("%.0f", best->gpus) + "</td><td>" +
              number("%.4g", best->step_time_s) + "</td><td>" + number("%.1f", best->tokens_per_s_per_gpu) +
              "</td><td>" + number("%.1f%%", 100 * best->mfu) + "</td><td>" +
              number("%.1f", best->peak_memory_gib) + "</td><td></td></tr>\n";
    } else {
      const std::string note =
          entry.contains("error") ? entry["error"].get<std::string>() : "no strategy fits in memory";
      html += "<td colspan=\"6\"></td><td class=\"note\">" + html_escape(note) + "</td></tr>\n";
    }
  }
  html += "</table>\n";
  if (entries.size() > kSweepTableRows)
    html += "<p>The first " + std::to_string(kSweepTableRows) + " of " + std::to_string(entries.size()) +
            " points; every point is in sweep.csv.</p>\n";
  return html;
}

}  // namespace

std::string sweep_html(const SweepGrid& grid, const std::map<std::int64_t, nlohmann::json>& entries) {
  std::size_t failed = 0, infeasible = 0;
  for (const auto& [index, entry] : entries) {
    if (entry.contains("error"))
      ++failed;
    else if (!best_of(entry))
      ++infeasible;
  }
  const std::string title = grid.file.filename().string();
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Strata sweep: " +
      html_escape(title) +
      "</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\nsvg "
      "text{font-size:12px;font-family:sans-serif}\n"
      "table{border-collapse:collapse;font-size:13px}\ntd,th{border:1px solid #ccc;padding:3px 6px}\n"
      "td.note{color:#b22}\nh2{margin-top:1.6em}\n</style>\n</head>\n<body>\n";
  html += "<h1>Strata sweep: " + html_escape(title) + "</h1>\n";
  html += "<p>Base scenario " + html_escape(grid.base_file.filename().string()) + "; " +
          std::to_string(entries.size()) + " points, " + std::to_string(failed) + " with an error, " +
          std::to_string(infeasible) +
          " where no strategy fits in memory. Each chart shows a point's best strategy (rank 1, fits in "
          "memory). Axes:</p>\n<ul>\n";
  for (const SweepAxis& axis : grid.axes) {
    std::string values;
    for (const nlohmann::json& value : axis.values)
      values += (values.empty() ? "" : ", ") + value_label(value);
    html += "<li>" + html_escape(axis.path) + ": " + html_escape(values) + "</li>\n";
  }
  html += "</ul>\n";
  for (std::size_t a = 0; a < grid.axes.size(); ++a) {
    if (grid.axes[a].values.size() < 2) continue;
    std::size_t dropped = 0;
    const std::string& path = grid.axes[a].path;
    html +=
        "<h2>Tokens/s per GPU against " + html_escape(path) + "</h2>\n" +
        axis_chart(grid.axes[a], axis_series(grid, entries, a, tokens_per_gpu, dropped), "tokens/s per GPU");
    html += "<h2>Step time against " + html_escape(path) + "</h2>\n" +
            axis_chart(grid.axes[a], axis_series(grid, entries, a, step_time, dropped), "step time (s)");
    if (dropped > 0)
      html += "<p>" + std::to_string(dropped) +
              " more lines (combinations of the other axes) are in sweep.csv.</p>\n";
  }
  html += "<h2>Cost against time: the Pareto front</h2>\n" + pareto_chart(grid, entries);
  html += "<h2>Best strategy per point</h2>\n" + points_table(grid, entries);
  html +=
      "<p>Columns: scenarios/README.md (Sweeps). Every strategy of every point: sweep.csv and "
      "sweep.jsonl.</p>\n";
  return html + "</body>\n</html>\n";
}

}  // namespace strata::scenarios
