// Pieces of Strata's self-contained HTML pages (report.html, sweep.html): escaping and inline SVG elements.
// Coordinates are in SVG user units (pixels); every text is escaped here.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::scenarios {

std::string html_escape(std::string_view text);

// printf-style formatting of one number (e.g. number("%.3f s", seconds)).
std::string number(const char* format, double value);

std::string svg_open(int width, int height);
// A filled rectangle with a tooltip.
std::string svg_rect(double x, double y, double width, double height, const char* fill,
                     const std::string& title);
// `anchor`: "start", "middle" or "end".
std::string svg_text(double x, double y, const std::string& content, const char* anchor = "start");
std::string svg_line(double x1, double y1, double x2, double y2, const char* stroke, double width = 1.0);
// A dot with a tooltip.
std::string svg_circle(double x, double y, double radius, const char* fill, const std::string& title);

// Width of one character of the 12 px sans-serif labels, for sizing label columns; height of a legend row.
inline constexpr double kCharWidth = 7.0;
inline constexpr int kLegendRow = 20;
// A legend: a 12 x 12 swatch and its label per entry, left to right from (x0, y), wrapping to a new row of
// kLegendRow before `width`.
std::string svg_legend(const std::vector<std::pair<std::string, const char*>>& entries, double x0, double y,
                       int width);

// Ten colours that stay apart for series and categories (Tableau 10).
const char* series_colour(std::size_t index);
inline constexpr std::size_t kSeriesColours = 10;

}  // namespace strata::scenarios
