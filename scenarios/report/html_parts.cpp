#include "scenarios/report/html_parts.hpp"

#include <algorithm>
#include <cstdio>

namespace strata::scenarios {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string svg_open(int width, int height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(height) + "\" role=\"img\">\n";
}

std::string svg_rect(double x, double y, double width, double height, const char* fill,
                     const std::string& title) {
  return "<rect x=\"" + number("%.1f", x) + "\" y=\"" + number("%.1f", y) + "\" width=\"" +
         number("%.1f", std::max(0.0, width)) + "\" height=\"" + number("%.1f", height) + "\" fill=\"" +
         fill + "\"><title>" + html_escape(title) + "</title></rect>\n";
}

std::string svg_text(double x, double y, const std::string& content, const char* anchor) {
  return "<text x=\"" + number("%.1f", x) + "\" y=\"" + number("%.1f", y) + "\" text-anchor=\"" + anchor +
         "\">" + html_escape(content) + "</text>\n";
}

std::string svg_line(double x1, double y1, double x2, double y2, const char* stroke, double width) {
  return "<line x1=\"" + number("%.1f", x1) + "\" y1=\"" + number("%.1f", y1) + "\" x2=\"" +
         number("%.1f", x2) + "\" y2=\"" + number("%.1f", y2) + "\" stroke=\"" + stroke +
         "\" stroke-width=\"" + number("%.1f", width) + "\"/>\n";
}

std::string svg_circle(double x, double y, double radius, const char* fill, const std::string& title) {
  return "<circle cx=\"" + number("%.1f", x) + "\" cy=\"" + number("%.1f", y) + "\" r=\"" +
         number("%.1f", radius) + "\" fill=\"" + fill + "\"><title>" + html_escape(title) +
         "</title></circle>\n";
}

const char* series_colour(std::size_t index) {
  static const char* colours[kSeriesColours] = {"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
                                                "#b279a2", "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac"};
  return colours[index % kSeriesColours];
}

std::string svg_legend(const std::vector<std::pair<std::string, const char*>>& entries, double x0, double y,
                       int width) {
  std::string svg;
  double x = x0;
  for (const auto& [label, colour] : entries) {
    const double w = 22 + static_cast<double>(label.size()) * kCharWidth;
    if (x + w > width && x > x0) {
      x = x0;
      y += kLegendRow;
    }
    svg += svg_rect(x, y, 12, 12, colour, label);
    svg += svg_text(x + 16, y + 11, label);
    x += w + 10;
  }
  return svg;
}

}  // namespace strata::scenarios
