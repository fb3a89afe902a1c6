#include "html_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "memsoak/reports/html.hpp"
#include "text_format.hpp"

namespace memsoak::reports::html_chart {
namespace {

// The drawing in SVG user units; the page scales it to its width.
constexpr double kWidth = 960;
constexpr double kHeight = 260;
constexpr double kLeft = 76;
constexpr double kRight = 16;
constexpr double kTop = 12;
constexpr double kBottom = 34;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kPlotHeight = kHeight - kTop - kBottom;

constexpr const char* kLimitColor = "#c0392b";
constexpr const char* kTrendColor = "#6a3d9a";
constexpr const char* kPurgeColor = "#8c8c8c";

// The x axis speaks in the unit the run is naturally described in.
struct TimeAxis {
    double hours_per_unit;
    const char* name;
    std::vector<double> steps;  // candidate tick steps, in the unit
};

TimeAxis time_axis(double max_hours) {
    if (max_hours <= 3) return {1.0 / 60, "min", {1, 2, 5, 10, 15, 20, 30, 60}};
    if (max_hours <= 72) return {1, "h", {1, 2, 3, 4, 6, 8, 12, 24}};
    return {24, "d", {1, 2, 5, 7, 10, 14, 15, 30, 60, 90, 180, 365}};
}

// "64 MiB", "1.5 KiB", "0": tick labels need no trailing ".0".
std::string tick_bytes(double bytes) {
    if (bytes == 0) return "0";
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB"};
    int unit = 0;
    double value = bytes;
    while (std::abs(value) >= 1024 && unit < 3) {
        value /= 1024;
        ++unit;
    }
    std::string text = fmt::format("{:.1f}", value);
    if (text.ends_with(".0")) text.resize(text.size() - 2);
    return text + " " + kUnits[unit];
}

// The top of the y axis and its tick step: powers of two for bytes, 1-2-5 steps for counts; about five ticks.
std::pair<double, double> y_scale(double largest, Unit unit) {
    constexpr double kTicks = 5;
    double step = 1;
    if (unit == Unit::bytes) {
        step = std::exp2(std::ceil(std::log2(std::max(largest / kTicks, 1.0))));
    } else {
        const double raw = std::max(largest / kTicks, 1.0);
        const double decade = std::pow(10.0, std::floor(std::log10(raw)));
        step = raw <= decade ? decade : raw <= 2 * decade ? 2 * decade : raw <= 5 * decade ? 5 * decade : 10 * decade;
    }
    return {std::max(std::ceil(largest / step), 1.0) * step, step};
}

class Plot {
public:
    Plot(double max_hours, double y_top) : max_hours_(max_hours), y_top_(y_top) {}
    double x(double hours) const { return kLeft + hours / max_hours_ * kPlotWidth; }
    double y(double value) const { return kTop + kPlotHeight - value / y_top_ * kPlotHeight; }

private:
    double max_hours_;
    double y_top_;
};

// An SVG path of one line, reduced to each pixel column's first, lowest, highest and last point (in time order)
// and with the inner points of horizontal runs dropped: a day of minute samples becomes a few hundred points
// without losing a peak. NaN starts a new sub-path.
std::string line_path(const std::vector<double>& hours, const std::vector<double>& values, const Plot& plot) {
    struct Point {
        double x, y;
    };
    std::vector<std::vector<Point>> runs(1);
    const std::size_t n = std::min(hours.size(), values.size());
    std::size_t i = 0;
    while (i < n) {
        if (!std::isfinite(values[i])) {
            if (!runs.back().empty()) runs.emplace_back();
            ++i;
            continue;
        }
        const double column = std::floor(plot.x(hours[i]));
        std::size_t end = i;
        std::size_t low = i;
        std::size_t high = i;
        while (end < n && std::isfinite(values[end]) && std::floor(plot.x(hours[end])) == column) {
            if (values[end] < values[low]) low = end;
            if (values[end] > values[high]) high = end;
            ++end;
        }
        std::vector<std::size_t> keep{i, low, high, end - 1};
        std::sort(keep.begin(), keep.end());
        keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
        for (std::size_t k : keep) {
            // Rounded to a tenth of a unit: finer than a pixel, and it keeps the page small.
            runs.back().push_back({std::round(plot.x(hours[k]) * 10) / 10, std::round(plot.y(values[k]) * 10) / 10});
        }
        i = end;
    }
    std::string d;
    for (const auto& run : runs) {
        for (std::size_t p = 0; p < run.size(); ++p) {
            const bool inside_flat_run =
                p > 0 && p + 1 < run.size() && run[p - 1].y == run[p].y && run[p + 1].y == run[p].y;
            if (inside_flat_run) continue;
            d += fmt::format("{}{:g},{:g}", p == 0 ? (d.empty() ? "M" : " M") : " ", run[p].x, run[p].y);
        }
        // A single point draws nothing as a line: a zero-length segment with round caps shows it as a dot.
        if (run.size() == 1) d += fmt::format(" {:g},{:g}", run[0].x, run[0].y);
    }
    return d;
}

std::string x_axis(const Plot& plot, double max_hours) {
    const TimeAxis axis = time_axis(max_hours);
    const double span = max_hours / axis.hours_per_unit;
    double step = axis.steps.back();
    for (double candidate : axis.steps) {
        if (span / candidate <= 8) {
            step = candidate;
            break;
        }
    }
    while (span / step > 8) step *= 2;
    std::string out;
    for (double t = 0; t <= span + 1e-9; t += step) {
        const double px = plot.x(t * axis.hours_per_unit);
        out += fmt::format(R"(<line class="tick" x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}"/>)", px,
                           kTop + kPlotHeight, kTop + kPlotHeight + 4);
        out +=
            fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{:g}</text>)", px, kTop + kPlotHeight + 17, t);
    }
    out += fmt::format(R"(<text class="axis-title" x="{}" y="{}" text-anchor="end">virtual time ({})</text>)",
                       kLeft + kPlotWidth, kHeight - 2, axis.name);
    return out;
}

std::string y_axis(const Plot& plot, double y_top, double step, Unit unit) {
    std::string out;
    for (double v = 0; v <= y_top * (1 + 1e-9); v += step) {
        const double py = plot.y(v);
        out += fmt::format(R"(<line class="grid" x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}"/>)", kLeft, py,
                           kLeft + kPlotWidth, py);
        out += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>)", kLeft - 6, py + 4,
                           unit == Unit::bytes ? tick_bytes(v) : text::count(v));
    }
    return out;
}

}  // namespace

std::string line_color(std::size_t index) {
    // Tableau 10: distinguishable, and readable on white.
    static constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                               "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    return kPalette[index % std::size(kPalette)];
}

std::string render(const Chart& chart, const std::string& id) {
    double max_hours = 0;
    for (double h : chart.hours) {
        if (std::isfinite(h)) max_hours = std::max(max_hours, h);
    }
    if (max_hours <= 0) max_hours = 1.0 / 60;  // a run of one sample still gets an axis

    double largest = 0;
    for (const Line& line : chart.lines) {
        for (double v : line.values) {
            if (std::isfinite(v)) largest = std::max(largest, v);
        }
    }
    for (const Limit& limit : chart.limits) {
        if (std::isfinite(limit.value)) largest = std::max(largest, limit.value);
    }
    const auto [y_top, y_step] = y_scale(largest, chart.unit);
    const Plot plot(max_hours, y_top);

    std::string svg = fmt::format(
        R"(<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">)",
        kWidth, kHeight, html_escape(chart.title));
    svg += fmt::format(R"(<title>{}</title>)", html_escape(chart.title));
    svg += fmt::format(R"(<defs><clipPath id="{}-plot"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath></defs>)",
                       id, kLeft, kTop, kPlotWidth, kPlotHeight);
    if (chart.warmup_hours > 0) {
        const double right = std::min(plot.x(chart.warmup_hours), kLeft + kPlotWidth);
        svg += fmt::format(R"(<rect class="warmup" x="{}" y="{}" width="{:.1f}" height="{}"><title>warm-up: not )"
                           R"(judged</title></rect><text class="note" x="{}" y="{}">warm-up</text>)",
                           kLeft, kTop, right - kLeft, kPlotHeight, kLeft + 4, kTop + 12);
    }
    svg += y_axis(plot, y_top, y_step, chart.unit);
    svg += x_axis(plot, max_hours);
    svg += fmt::format(R"(<line class="axis" x1="{0}" y1="{1}" x2="{2}" y2="{1}"/>)", kLeft, kTop + kPlotHeight,
                       kLeft + kPlotWidth);

    std::size_t purges = 0;
    std::string purge_marks;
    for (std::size_t i = 0; i < std::min(chart.hours.size(), chart.purged.size()); ++i) {
        if (!chart.purged[i]) continue;
        ++purges;
        purge_marks += fmt::format(R"(M{:.1f},{}v-6)", plot.x(chart.hours[i]), kTop + kPlotHeight);
    }
    if (purges > 0) {
        svg += fmt::format(R"(<path class="purge" stroke="{}" d="{}"><title>allocator purged before the sample )"
                           R"(({} checkpoint{})</title></path>)",
                           kPurgeColor, purge_marks, purges, purges == 1 ? "" : "s");
    }

    svg += fmt::format(R"svg(<g clip-path="url(#{}-plot)">)svg", id);
    for (const Line& line : chart.lines) {
        svg += fmt::format(R"(<path class="line" stroke="{}" d="{}"><title>{}</title></path>)", line.color,
                           line_path(chart.hours, line.values, plot), html_escape(line.label));
    }
    if (chart.trend) {
        const double from = chart.warmup_hours;
        const auto at = [&](double h) { return chart.trend->intercept + chart.trend->slope_per_hour * h; };
        if (std::isfinite(at(from)) && std::isfinite(at(max_hours))) {
            svg += fmt::format(R"(<line class="trend" stroke="{}" x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}">)"
                               R"(<title>{}</title></line>)",
                               kTrendColor, plot.x(from), plot.y(at(from)), plot.x(max_hours), plot.y(at(max_hours)),
                               html_escape(chart.trend->label));
        }
    }
    svg += "</g>";
    for (const Limit& limit : chart.limits) {
        if (!std::isfinite(limit.value)) continue;
        const double py = plot.y(limit.value);
        // The label sits above the line, or below it when the line runs along the top of the plot.
        const double label_y = py - 5 < kTop + 10 ? py + 13 : py - 5;
        svg += fmt::format(R"(<line class="limit" stroke="{0}" x1="{1}" y1="{2:.1f}" x2="{3}" y2="{2:.1f}">)"
                           R"(<title>{4}</title></line><text class="limit-label" fill="{0}" x="{5}" y="{6:.1f}" )"
                           R"(text-anchor="end">{4}</text>)",
                           kLimitColor, kLeft, py, kLeft + kPlotWidth, html_escape(limit.label), kLeft + kPlotWidth - 4,
                           label_y);
    }
    svg += "</svg>";

    std::string legend = R"(<ul class="legend">)";
    for (const Line& line : chart.lines) {
        legend += fmt::format(R"(<li><span class="swatch" style="background:{}"></span>{}</li>)", line.color,
                              html_escape(line.label));
    }
    if (chart.trend) {
        legend += fmt::format(R"(<li><span class="swatch dashed" style="border-color:{}"></span>{}</li>)", kTrendColor,
                              html_escape(chart.trend->label));
    }
    if (!chart.limits.empty()) {
        legend += fmt::format(R"(<li><span class="swatch dashed" style="border-color:{}"></span>budget limit</li>)",
                              kLimitColor);
    }
    if (purges > 0) {
        legend += fmt::format(R"(<li><span class="swatch tick" style="border-color:{}"></span>allocator purged )"
                              R"(({})</li>)",
                              kPurgeColor, purges);
    }
    legend += "</ul>";
    return svg + legend;
}

}  // namespace memsoak::reports::html_chart
