#include "scenarios/report/inference_report.hpp"

#include <algorithm>
#include <cstdio>

#include "scenarios/report/html_parts.hpp"
#include "scenarios/report/report_json.hpp"
#include "sim/output_bundle.hpp"

namespace strata::scenarios {
namespace {

nlohmann::json memory_json(const models::ServingMemory& m) {
  return {{"capacity_bytes", m.capacity_bytes},      {"weights_bytes", m.weights_bytes},
          {"activation_bytes", m.activation_bytes},  {"kv_cache_bytes", m.kv_cache_bytes},
          {"kv_cache_tokens", m.kv_tokens()},        {"kv_blocks", m.kv_blocks},
          {"replica_kv_blocks", m.replica_kv_blocks}};
}

// The deployment as a scenario's strategy states it (it pastes back), with the batch limits it ran with;
// keys at their defaults that a model may refuse (ep, attention_dp on a dense model) are left out.
nlohmann::json deployment_json(const InferenceResult& r) {
  const models::Deployment& d = r.deployment;
  nlohmann::json config = {{"name", d.name}};
  if (d.disaggregated()) {
    for (const models::ServingPoolRun& pool : r.pools) {
      nlohmann::json& entry = config[std::string(models::kServingRoleNames.name(pool.role))];
      entry = {{"tp", pool.deployment.tp}, {"replicas", pool.deployment.replicas}};
      if (pool.deployment.ep > 1) entry["ep"] = pool.deployment.ep;
      if (pool.deployment.attention_dp) entry["attention_dp"] = true;
      entry["max_batch_size"] = pool.limits.max_batch_size;
      entry["max_num_tokens"] = pool.limits.max_num_tokens;
    }
  } else {
    config["tp"] = d.tp;
    config["replicas"] = d.replicas;
    if (d.pp > 1) config["pp"] = d.pp;
    if (d.ep > 1) config["ep"] = d.ep;
    if (d.attention_dp) config["attention_dp"] = true;
    config["max_batch_size"] = r.limits.max_batch_size;
    config["max_num_tokens"] = r.limits.max_num_tokens;
  }
  config["weights_dtype"] = std::string(models::dtype_name(d.weights_dtype));
  config["kv_dtype"] = std::string(models::dtype_name(d.kv_dtype));
  config["chunked_prefill"] = d.chunked_prefill;
  config["kv_block_tokens"] = d.kv_block_tokens;
  config["kv_memory_fraction"] = d.kv_memory_fraction;
  config["scheduler"] = std::string(models::kBatchSchedulerNames.name(d.scheduler));
  if (d.preemption != models::PreemptionKind::kNone)
    config["preemption"] = std::string(models::kPreemptionNames.name(d.preemption));
  return config;
}

std::string ms(double seconds) { return number("%.1f", seconds * 1e3); }

// A step curve of sorted `values` (seconds) against their cumulative share, in a box of w x h at (x0, y0).
std::string cdf_polyline(const std::vector<double>& values, double max_s, double x0, double y0, double w,
                         double h, const char* colour) {
  if (values.empty() || !(max_s > 0)) return "";
  std::string points;
  const std::size_t n = values.size();
  const std::size_t stride = std::max<std::size_t>(1, n / 400);
  for (std::size_t i = 0; i < n; i += stride) {
    const double x = x0 + values[i] / max_s * w;
    const double y = y0 + h - static_cast<double>(i + 1) / static_cast<double>(n) * h;
    points += number("%.1f", x) + "," + number("%.1f", y) + " ";
  }
  points += number("%.1f", x0 + values.back() / max_s * w) + "," + number("%.1f", y0);
  return std::string("<polyline fill=\"none\" stroke=\"") + colour + "\" stroke-width=\"1.5\" points=\"" +
         points + "\"/>";
}

std::string cdf_chart(const std::vector<InferenceResult>& ranked, bool ttft) {
  double max_s = 0;
  for (const InferenceResult& r : ranked) {
    const auto& values = ttft ? r.ttft_values_s : r.tpot_values_s;
    if (!values.empty()) max_s = std::max(max_s, values.back());
  }
  const double x0 = 50, y0 = 10, w = 560, h = 200;
  std::vector<std::pair<std::string, const char*>> entries;
  for (std::size_t i = 0; i < ranked.size(); ++i)
    entries.emplace_back(ranked[i].deployment.name, series_colour(i % kSeriesColours));
  const int rows = 1 + static_cast<int>(ranked.size() / 5);
  std::string svg = svg_open(640, 250 + rows * kLegendRow);
  svg += svg_line(x0, y0 + h, x0 + w, y0 + h, "#444") + svg_line(x0, y0, x0, y0 + h, "#444");
  svg += svg_text(x0 + w, y0 + h + 30, (ttft ? "TTFT, ms (max " : "TPOT, ms (max ") + ms(max_s) + ")", "end");
  svg += svg_text(x0 - 6, y0 + 10, "100%", "end") + svg_text(x0 - 6, y0 + h, "0%", "end");
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    svg += cdf_polyline(ttft ? ranked[i].ttft_values_s : ranked[i].tpot_values_s, max_s, x0, y0, w, h,
                        series_colour(i % kSeriesColours));
  }
  return svg + svg_legend(entries, x0, y0 + h + 42, 640) + "</svg>";
}

// Each deployment as a point: median TPOT across, output tokens/s per GPU up (the serving trade-off: up
// and to the left is better; the Pareto front is the points nothing beats on both).
std::string throughput_tpot_chart(const std::vector<InferenceResult>& ranked) {
  double max_tpot = 0;
  double max_rate = 0;
  for (const InferenceResult& r : ranked) {
    max_tpot = std::max(max_tpot, r.tpot.p50_s);
    max_rate = std::max(max_rate, r.output_tokens_per_s_per_gpu);
  }
  max_tpot *= 1.1;
  max_rate *= 1.1;
  const double x0 = 70, y0 = 10, w = 540, h = 200;
  std::vector<std::pair<std::string, const char*>> entries;
  const int rows = 1 + static_cast<int>(ranked.size() / 5);
  std::string svg = svg_open(640, 250 + rows * kLegendRow);
  svg += svg_line(x0, y0 + h, x0 + w, y0 + h, "#444") + svg_line(x0, y0, x0, y0 + h, "#444");
  svg += svg_text(x0 + w, y0 + h + 30, "TPOT p50, ms (axis to " + ms(max_tpot) + ")", "end");
  svg += svg_text(x0 - 6, y0 + 10, number("%.0f", max_rate), "end") + svg_text(x0 - 6, y0 + h, "0", "end");
  svg += svg_text(x0 + 6, y0 + 10, "output tokens/s per GPU");
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const InferenceResult& r = ranked[i];
    const char* colour = series_colour(i % kSeriesColours);
    entries.emplace_back(r.deployment.name, colour);
    if (!(max_tpot > 0) || !(max_rate > 0)) continue;
    svg += svg_circle(x0 + r.tpot.p50_s / max_tpot * w, y0 + h - r.output_tokens_per_s_per_gpu / max_rate * h,
                      5, colour,
                      r.deployment.name + ": " + number("%.1f", r.output_tokens_per_s_per_gpu) +
                          " tokens/s per GPU, TPOT p50 " + ms(r.tpot.p50_s) + " ms");
  }
  return svg + svg_legend(entries, x0, y0 + h + 42, 640) + "</svg>";
}

std::string kv_chart(const InferenceResult& r) {
  const double x0 = 50, y0 = 10, w = 560, h = 120;
  std::string svg = svg_open(640, 170 + kLegendRow);
  svg += svg_line(x0, y0 + h, x0 + w, y0 + h, "#444") + svg_line(x0, y0, x0, y0 + h, "#444");
  svg += svg_text(x0 + w, y0 + h + 30, "time, s (run " + number("%.1f", r.run_time_s) + ")", "end");
  svg += svg_text(x0 - 6, y0 + 10, "100%", "end") + svg_text(x0 - 6, y0 + h, "0%", "end");
  std::string points;
  for (const models::IterationSample& s : r.iteration_samples) {
    if (s.replica != 0) continue;
    const double x = x0 + s.start.seconds() / r.run_time_s * w;
    const double y = y0 + h - static_cast<double>(s.kv_blocks) / static_cast<double>(s.kv_capacity) * h;
    points += number("%.1f", x) + "," + number("%.1f", y) + " ";
  }
  svg += "<polyline fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"1.5\" points=\"" + points + "\"/>";
  return svg + svg_legend({{"share of the KV-cache blocks reserved", "#4e79a7"}}, x0, y0 + h + 42, 640) +
         "</svg>";
}

}  // namespace

std::string inference_verdict(const std::vector<InferenceResult>& ranked, InferenceRanking ranking) {
  if (ranked.empty()) return "";
  const InferenceResult& best = ranked.front();
  const std::string figures = number("%.0f", best.output_tokens_per_s_per_gpu) +
                              " output tokens/s per GPU, TTFT p50 " + ms(best.ttft.p50_s) + " ms, TPOT p50 " +
                              ms(best.tpot.p50_s) + " ms";
  std::string text;
  switch (ranking) {
    case InferenceRanking::kThroughput:
      text = best.deployment.name + " serves the most (" + figures + ")";
      break;
    case InferenceRanking::kGoodput:
      text = best.deployment.name + " meets the slo for the most requests (" +
             number("%.2f", best.goodput_requests_per_s.value_or(0.0) / best.gpus) + " requests/s per GPU; " +
             figures + ")";
      break;
    case InferenceRanking::kLatency:
      text = best.deployment.name + " answers fastest (end-to-end p50 " + ms(best.e2e_latency.p50_s) +
             " ms; " + figures + ")";
      break;
  }
  if (ranking == InferenceRanking::kThroughput && ranked.size() > 1 &&
      ranked[1].output_tokens_per_s_per_gpu > 0) {
    text +=
        ", " +
        number("%.0f", 100 * (best.output_tokens_per_s_per_gpu / ranked[1].output_tokens_per_s_per_gpu - 1)) +
        "% over " + ranked[1].deployment.name;
  }
  return text + ".";
}

std::string inference_table(const std::vector<InferenceResult>& ranked, InferenceRanking ranking) {
  std::size_t width = 10;
  for (const InferenceResult& r : ranked) width = std::max(width, r.deployment.name.size());
  const int w = static_cast<int>(width);
  std::string text = inference_verdict(ranked, ranking) + "\nRanked by " +
                     std::string(inference_ranking_phrase(ranking)) + ".\n\n";
  const bool banded = std::any_of(ranked.begin(), ranked.end(),
                                  [](const InferenceResult& r) { return r.error_band.has_value(); });
  char line[512];
  std::snprintf(line, sizeof line, "%4s  %-*s  %4s  %12s  %s%17s  %17s  %7s  %s\n", "rank", w, "deployment",
                "GPUs", "out tok/s/GPU", banded ? "expected error  " : "", "TTFT p50/p99 (ms)",
                "TPOT p50/p99 (ms)", "KV use", "biggest time sink");
  text += line;
  for (const InferenceResult& r : ranked) {
    const auto [sink, seconds] = r.biggest_sink();
    const std::string ttft = ms(r.ttft.p50_s) + " / " + ms(r.ttft.p99_s);
    const std::string tpot = ms(r.tpot.p50_s) + " / " + ms(r.tpot.p99_s);
    char band[32] = "";
    if (banded) {
      std::snprintf(band, sizeof band, "%14s  ",
                    r.error_band ? band_text(*r.error_band, BandMetric::kRate).c_str() : "-");
    }
    std::snprintf(line, sizeof line, "%4d  %-*s  %4d  %12.1f  %s%17s  %17s  %6.0f%%  %s %.0f%%\n", r.rank, w,
                  r.deployment.name.c_str(), r.gpus, r.output_tokens_per_s_per_gpu, band, ttft.c_str(),
                  tpot.c_str(), 100 * r.peak_kv_use, sink.c_str(),
                  r.run_time_s > 0 ? 100 * seconds / r.run_time_s : 0.0);
    text += line;
  }
  std::vector<const ErrorBand*> bands;
  for (const InferenceResult& r : ranked) bands.push_back(r.error_band ? &*r.error_band : nullptr);
  const std::string note = band_note(bands);
  return note.empty() ? text : text + note + "\n";
}

nlohmann::json inference_result_json(const InferenceResult& r) {
  nlohmann::json breakdown = nlohmann::json::object();
  for (const auto& [key, seconds] : r.time_breakdown_s) breakdown[key] = seconds;
  nlohmann::json kv = nlohmann::json::array();
  nlohmann::json batch = nlohmann::json::array();
  for (const models::IterationSample& s : r.iteration_samples) {
    kv.push_back({s.start.seconds(), s.replica, s.kv_blocks});
    batch.push_back({s.start.seconds(), s.replica, s.requests, s.tokens});
  }
  nlohmann::json result = {
      {"name", r.deployment.name},
      {"rank", r.rank},
      {"gpus", r.gpus},
      {"config", deployment_json(r)},
      {"run_time_s", r.run_time_s},
      {"output_tokens_per_s", r.output_tokens_per_s},
      {"output_tokens_per_s_per_gpu", r.output_tokens_per_s_per_gpu},
      {"total_tokens_per_s", r.total_tokens_per_s},
      {"requests_per_s", r.requests_per_s},
      {"ttft_s", time_stats_json(r.ttft)},
      {"tpot_s", time_stats_json(r.tpot)},
      {"e2e_latency_s", time_stats_json(r.e2e_latency)},
      {"iterations", r.iterations},
      {"mean_batch_requests", r.mean_batch_requests},
      {"peak_kv_use", r.peak_kv_use},
      {"preemptions", r.preemptions},
      {"memory", memory_json(r.memory)},
      {"time_breakdown_s", breakdown},
      {"biggest_sink", r.biggest_sink().first},
      {"kv_blocks_timeline", {{"columns", {"time_s", "replica", "kv_blocks"}}, {"rows", kv}}},
      {"batch_timeline", {{"columns", {"time_s", "replica", "requests", "tokens"}}, {"rows", batch}}},
      {"simulated_events", r.events},
  };
  if (r.goodput_requests_per_s) result["goodput_requests_per_s"] = *r.goodput_requests_per_s;
  if (r.error_band) {
    result["error_band"] =
        error_band_json(*r.error_band, "output_tokens_per_s", r.output_tokens_per_s, BandMetric::kRate);
  }
  if (!r.pools.empty()) {
    for (const models::ServingPoolRun& pool : r.pools)
      result["pool_memory"][std::string(models::kServingRoleNames.name(pool.role))] =
          memory_json(pool.memory);
  }
  if (r.mean_kv_transfer_s) result["mean_kv_transfer_s"] = *r.mean_kv_transfer_s;
  if (r.expected) {
    const InferenceComparison published = compare_with_published(r);
    result["expected"] = {{"source", r.expected->source},
                          {"output_tokens_per_s", *r.expected->output_tokens_per_s},
                          {"published_run_time_s", published.published_run_s},
                          {"error_pct", published.error_pct}};
  }
  return result;
}

nlohmann::json inference_report_json(const Scenario& scenario, const std::vector<InferenceResult>& ranked,
                                     const nlohmann::json& extra) {
  nlohmann::json results = nlohmann::json::array();
  for (const InferenceResult& r : ranked) results.push_back(inference_result_json(r));
  nlohmann::json report = {
      {"strata_report", kReportFormatVersion},
      {"scenario", scenario_json(scenario)},
      {"results", results},
      {"ranked_by", std::string(inference_ranking_phrase(inference_ranking(*scenario.inference)))},
      {"verdict", inference_verdict(ranked, inference_ranking(*scenario.inference))}};
  for (const auto& [key, value] : extra.items()) report[key] = value;
  return report;
}

std::string inference_report_html(const Scenario& scenario, const std::vector<InferenceResult>& ranked) {
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                     html_escape(scenario.name) +
                     "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                     "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>\n";
  const InferenceRanking ranking = inference_ranking(*scenario.inference);
  html += "<h1>" + html_escape(scenario.name) + "</h1>\n<p>" +
          html_escape(inference_verdict(ranked, ranking)) + " Ranked by " +
          html_escape(std::string(inference_ranking_phrase(ranking))) + ".</p>\n";
  html +=
      "<table><tr><th>rank</th><th>deployment</th><th>GPUs</th><th>output tok/s/GPU</th><th>TTFT p50 / p99 "
      "(ms)</th><th>TPOT p50 / p99 (ms)</th><th>peak KV use</th><th>KV to the decode pool, mean "
      "(ms)</th></tr>\n";
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const InferenceResult& r = ranked[i];
    html += "<tr><td>" + std::to_string(r.rank) +
            "</td><td style=\"color:" + series_colour(i % kSeriesColours) + "\">" +
            html_escape(r.deployment.name) + "</td><td>" + std::to_string(r.gpus) + "</td><td>" +
            number("%.1f", r.output_tokens_per_s_per_gpu) + "</td><td>" + ms(r.ttft.p50_s) + " / " +
            ms(r.ttft.p99_s) + "</td><td>" + ms(r.tpot.p50_s) + " / " + ms(r.tpot.p99_s) + "</td><td>" +
            number("%.0f%%", 100 * r.peak_kv_use) + "</td><td>" +
            (r.mean_kv_transfer_s ? ms(*r.mean_kv_transfer_s) : std::string("-")) + "</td></tr>\n";
  }
  html += "</table>\n<h2>Throughput against time per output token</h2>\n" + throughput_tpot_chart(ranked);
  html += "\n<h2>Time to first token (CDF)</h2>\n" + cdf_chart(ranked, true);
  html += "\n<h2>Time per output token (CDF)</h2>\n" + cdf_chart(ranked, false);
  if (!ranked.empty()) {
    html += "\n<h2>KV-cache blocks reserved, " + html_escape(ranked.front().deployment.name) +
            " (replica 0)</h2>\n" + kv_chart(ranked.front());
  }
  return html + "\n</body></html>\n";
}

std::vector<std::filesystem::path> write_inference_bundle(const std::filesystem::path& dir,
                                                          const std::string& command,
                                                          const Scenario& scenario,
                                                          const std::vector<InferenceResult>& ranked,
                                                          const std::map<std::string, std::string>& traces,
                                                          const nlohmann::json& extra) {
  std::vector<std::string> planned = {"report.json", "report.html"};
  for (const auto& [name, text] : traces) planned.push_back(name);
  sim::OutputBundle bundle(dir, command, planned);
  bundle.write("report.json", report_text(inference_report_json(scenario, ranked, extra)));
  bundle.write("report.html", inference_report_html(scenario, ranked));
  for (const auto& [name, text] : traces) bundle.write(name, text);
  return bundle.finish();
}

}  // namespace strata::scenarios
