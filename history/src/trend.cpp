// The trend page and text of `memsoak history show` (trend.hpp).

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "memsoak/reports/compare.hpp"

#include "memsoak/reports/html.hpp"

#include "memsoak/history/trend.hpp"

namespace memsoak::history {
namespace {

bool wanted(const SeriesKey& key, const TrendFilter& filter) {
    return (filter.scenario.empty() || key.scenario == filter.scenario) &&
           (filter.budget.empty() || key.budget == filter.budget);
}

std::string chart(const History& history, const Series& series, const std::vector<Change>& changes) {
    constexpr double kWidth = 760, kHeight = 220, kLeft = 90, kRight = 10, kTop = 10, kBottom = 30;
    double low = INFINITY, high = -INFINITY;
    for (const SeriesPoint& p : series.points) {
        for (double v : {p.value, p.low, p.high, p.limit}) {
            if (std::isfinite(v)) {
                low = std::min(low, v);
                high = std::max(high, v);
            }
        }
    }
    if (!(high > low)) {
        high = low + 1;
        low -= 1;
    }
    const double pad = (high - low) * 0.05;
    low -= pad;
    high += pad;
    const double last = std::max<double>(1, static_cast<double>(history.nights.size() - 1));
    auto x = [&](double night) { return kLeft + (kWidth - kLeft - kRight) * night / last; };
    auto y = [&](double v) { return kTop + (kHeight - kTop - kBottom) * (high - v) / (high - low); };
    std::string svg = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">",
                                  kWidth, kHeight);
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#ccc\"/>", kLeft,
                       kTop, kWidth - kLeft - kRight, kHeight - kTop - kBottom);
    for (double v : {low + pad, (low + high) / 2, high - pad}) {
        svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"end\">{}</text>", kLeft - 4,
                           y(v) + 3, reports::html_escape(format_value(series.key.kind, v)));
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>", kLeft, kHeight - 8,
                       reports::html_escape(history.nights.front().info.time.substr(0, 10)));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>", kWidth - kRight,
                       kHeight - 8, reports::html_escape(history.nights.back().info.time.substr(0, 10)));
    // The budget line: the limit each night judged against.
    std::string limit_path;
    for (const SeriesPoint& p : series.points) {
        if (!std::isfinite(p.limit)) continue;
        limit_path += fmt::format("{}{:.1f},{:.1f}", limit_path.empty() ? "M" : " L", x(static_cast<double>(p.night)),
                                  y(p.limit));
    }
    if (!limit_path.empty()) {
        svg += fmt::format("<path class=\"limit\" d=\"{}\" fill=\"none\" stroke=\"#c00\" stroke-dasharray=\"6 3\"/>",
                           limit_path);
    }
    for (const Change& c : changes) {
        if (c.series != series.key) continue;
        const double at = x((static_cast<double>(c.last_good) + static_cast<double>(c.first_bad)) / 2);
        const bool right_half = at > kWidth / 2;
        svg += fmt::format(
            "<g class=\"change\"><line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" "
            "stroke-width=\"2\"/><text x=\"{4:.1f}\" y=\"{5}\" font-size=\"10\" fill=\"{3}\" "
            "text-anchor=\"{13}\">{6}..{7} {8}</text>"
            "<title>change {9}: {6}..{7}, {10} -> {11} ({8}), p = {12:.2g}</title></g>",
            // The label on the side of the line with more room, so that a recent change stays readable.
            at, kTop, kHeight - kBottom, c.regression ? "#c60" : "#06c", right_half ? at - 3 : at + 3, kTop + 12,
            reports::html_escape(history.nights[c.last_good].info.commit),
            reports::html_escape(history.nights[c.first_bad].info.commit),
            std::isfinite(c.percent)
                ? reports::format_percent_change(c.percent)
                : reports::html_escape((c.absolute > 0 ? "+" : "") + format_value(c.series.kind, c.absolute)),
            c.id, reports::html_escape(format_value(c.series.kind, c.before)),
            reports::html_escape(format_value(c.series.kind, c.after)), c.p_value, right_half ? "end" : "start");
    }
    std::string line;
    for (const SeriesPoint& p : series.points) {
        line += fmt::format("{}{:.1f},{:.1f}", line.empty() ? "M" : " L", x(static_cast<double>(p.night)), y(p.value));
    }
    svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"#888\"/>", line);
    for (const SeriesPoint& p : series.points) {
        const double px = x(static_cast<double>(p.night));
        if (std::isfinite(p.low) && std::isfinite(p.high) && p.high > p.low) {
            svg += fmt::format(
                "<line class=\"interval\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" "
                "stroke=\"#36c\"/>",
                px, y(p.low), y(p.high));
        }
        const auto& night = history.nights[p.night].info;
        svg += fmt::format(
            "<circle class=\"{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"><title>{} {}{}: {} ({} .. {}), "
            "{} run(s), {} failed</title></circle>",
            p.failed ? "failing" : "night", px, y(p.value), p.failed ? "#d00" : "#246",
            reports::html_escape(night.time), reports::html_escape(night.commit),
            night.label.empty() ? "" : " " + reports::html_escape(night.label),
            reports::html_escape(format_value(series.key.kind, p.value)),
            reports::html_escape(format_value(series.key.kind, p.low)),
            reports::html_escape(format_value(series.key.kind, p.high)), p.runs, p.failed);
    }
    svg += "</svg>";
    return svg;
}

}  // namespace

std::string render_trend_html(const History& history, const std::vector<Change>& changes, const TrendFilter& filter) {
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>memsoak history</title><style>"
        "body{font-family:sans-serif;margin:2em}h2{font-size:1em;margin:1.5em 0 .3em}.legend span{margin-right:1.5em}"
        "</style></head><body>\n<h1>memsoak history</h1>\n";
    out += fmt::format(
        "<p>{} nights, {} .. {}. Each point is a night's median over its runs, with the night's own "
        "interval (growth: the 95% slope interval; peaks and counts: lowest to highest run); red "
        "points are failing nights; the dashed red line is the budget; vertical lines are change "
        "points, labelled last good..first bad commit.</p>\n",
        history.nights.size(), history.nights.empty() ? "" : reports::html_escape(history.nights.front().info.time),
        history.nights.empty() ? "" : reports::html_escape(history.nights.back().info.time));
    std::size_t shown = 0;
    for (const Series& series : history.series) {
        if (!wanted(series.key, filter) || series.points.empty()) continue;
        ++shown;
        out += fmt::format("<section><h2>{}</h2>\n{}\n</section>\n", reports::html_escape(series.key.describe()),
                           chart(history, series, changes));
    }
    if (shown == 0) out += "<p>No series to show.</p>\n";
    out += "</body></html>\n";
    return out;
}

std::string render_trend_text(const History& history, const std::vector<Change>& changes, const TrendFilter& filter) {
    std::string out = fmt::format("{} nights", history.nights.size());
    if (!history.nights.empty()) {
        out += fmt::format(", {} .. {}", history.nights.front().info.time, history.nights.back().info.time);
    }
    out += "\n";
    for (const Series& series : history.series) {
        if (!wanted(series.key, filter) || series.points.empty()) continue;
        const SeriesPoint& latest = series.points.back();
        std::size_t failing = 0;
        for (const SeriesPoint& p : series.points) failing += p.failed > 0;
        out += fmt::format("{}: latest {} (limit {}), {} nights, {} failing\n", series.key.describe(),
                           format_value(series.key.kind, latest.value), format_value(series.key.kind, latest.limit),
                           series.points.size(), failing);
        for (const Change& c : changes) {
            if (c.series != series.key) continue;
            out += fmt::format("    change {} at {} ({}..{}): {} -> {} ({}){}\n", c.id,
                               history.nights[c.first_bad].info.time, history.nights[c.last_good].info.commit,
                               history.nights[c.first_bad].info.commit, format_value(c.series.kind, c.before),
                               format_value(c.series.kind, c.after), reports::format_percent_change(c.percent),
                               c.acknowledged ? " acknowledged" : "");
        }
    }
    return out;
}

}  // namespace memsoak::history
