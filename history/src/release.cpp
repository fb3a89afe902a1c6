// Releases compared in percent (release.hpp), and their four renderings.

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "memsoak/reports/compare.hpp"

#include "memsoak/reports/html.hpp"

#include "memsoak/history/error.hpp"
#include "memsoak/history/release.hpp"

namespace memsoak::history {
namespace {

std::string interval_text(const LimitChange& l) {
    if (!std::isfinite(l.percent_low)) return "";
    return fmt::format("[{}, {}]", reports::format_percent_change(l.percent_low),
                       reports::format_percent_change(l.percent_high));
}

std::string nights_text(const History& history, const std::vector<std::size_t>& nights) {
    const auto& first = history.nights[nights.front()].info;
    const auto& last = history.nights[nights.back()].info;
    return fmt::format("{} night{} {} .. {} (commits {} .. {})", nights.size(), nights.size() == 1 ? "" : "s",
                       first.time.substr(0, 10), last.time.substr(0, 10), first.commit, last.commit);
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

std::string_view to_string(ReleaseChange change) {
    switch (change) {
        case ReleaseChange::regressed: return "REGRESSED";
        case ReleaseChange::improved: return "improved";
        case ReleaseChange::same: return "same";
        case ReleaseChange::not_compared: return "not compared";
    }
    return "?";
}

std::vector<std::size_t> select_nights(const History& history, const std::string& selector, const std::string& what) {
    std::vector<std::size_t> out;
    if (const auto dots = selector.find(".."); dots != std::string::npos) {
        static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
        const std::string from = selector.substr(0, dots), to = selector.substr(dots + 2);
        for (const std::string& end : {from, to}) {
            if (!end.empty() && !std::regex_match(end, date)) {
                throw Error(
                    fmt::format("{} \"{}\": expected a date range such as 2026-11-01..2026-11-07", what, selector));
            }
        }
        for (std::size_t i = 0; i < history.nights.size(); ++i) {
            const std::string day = history.nights[i].info.time.substr(0, 10);
            if ((from.empty() || day >= from) && (to.empty() || day <= to)) out.push_back(i);
        }
    } else {
        for (std::size_t i = 0; i < history.nights.size(); ++i) {
            if (history.nights[i].info.label == selector) out.push_back(i);
        }
        if (out.empty() && selector.size() >= 4) {
            for (std::size_t i = 0; i < history.nights.size(); ++i) {
                if (history.nights[i].info.commit.starts_with(selector)) out.push_back(i);
            }
        }
    }
    if (out.empty()) {
        throw Error(
            fmt::format("{} \"{}\" matches no night: expected a label, a commit (4+ characters of it) or a "
                        "date range FROM..TO",
                        what, selector));
    }
    return out;
}

std::size_t ReleaseComparison::regressions() const {
    return static_cast<std::size_t>(std::count_if(limits.begin(), limits.end(), [](const LimitChange& l) {
        return l.change == ReleaseChange::regressed;
    }));
}

ReleaseComparison compare_releases(const History& history, const std::string& baseline, const std::string& candidate,
                                   const CheckOptions& options) {
    ReleaseComparison out;
    out.baseline_selector = baseline;
    out.candidate_selector = candidate;
    out.baseline_nights = select_nights(history, baseline, "--baseline");
    out.candidate_nights = select_nights(history, candidate, "--candidate");
    std::map<std::int64_t, int> side;  // night id -> 1 baseline, 2 candidate, 3 both
    for (std::size_t i : out.baseline_nights) side[history.nights[i].id] |= 1;
    for (std::size_t i : out.candidate_nights) side[history.nights[i].id] |= 2;
    struct Runs {
        std::vector<double> baseline, candidate;
        std::size_t baseline_failed = 0, candidate_failed = 0;
        double limit = std::nan("");
    };
    std::map<SeriesKey, Runs> runs;
    for (const StoredFigure& f : history.figures) {
        const auto found = side.find(f.night_id);
        if (found == side.end() || !std::isfinite(f.figure.measured)) continue;
        Runs& r = runs[f.figure.series];
        if (found->second & 1) {
            r.baseline.push_back(f.figure.measured);
            r.baseline_failed += f.figure.verdict == "fail";
        }
        if (found->second & 2) {
            r.candidate.push_back(f.figure.measured);
            r.candidate_failed += f.figure.verdict == "fail";
            r.limit = f.figure.limit;
        }
    }
    for (const auto& [key, r] : runs) {
        LimitChange l;
        l.series = key;
        l.baseline_runs = r.baseline.size();
        l.candidate_runs = r.candidate.size();
        l.baseline_failed = r.baseline_failed;
        l.candidate_failed = r.candidate_failed;
        l.limit = r.limit;
        l.baseline_mean = mean(r.baseline);
        l.candidate_mean = mean(r.candidate);
        l.percent = l.percent_low = l.percent_high = std::nan("");
        if (r.baseline.empty() || r.candidate.empty()) {
            l.change = ReleaseChange::not_compared;
            out.limits.push_back(l);
            continue;
        }
        const double difference = l.candidate_mean - l.baseline_mean;
        double low = difference, high = difference;
        if (r.baseline.size() >= 2 && r.candidate.size() >= 2) {
            const double sa = variance(r.baseline) / static_cast<double>(r.baseline.size());
            const double sb = variance(r.candidate) / static_cast<double>(r.candidate.size());
            double half = 0;
            if (sa + sb > 0) {
                const double df = (sa + sb) * (sa + sb) /
                                  (sa * sa / static_cast<double>(r.baseline.size() - 1) +
                                   sb * sb / static_cast<double>(r.candidate.size() - 1));
                half = student_t_quantile(0.975, df) * std::sqrt(sa + sb);
            }
            low = difference - half;
            high = difference + half;
        }
        const double base = std::fabs(l.baseline_mean);
        const double floor = key.kind == "growth"  ? options.growth_floor_per_hour
                             : key.kind == "items" ? options.items_floor
                                                   : options.peak_floor_bytes;
        // A slope near zero makes any percent huge and meaningless: growth gets a percent only from a baseline
        // slope of at least the growth floor; the absolute change still decides.
        if (base > 0 && (key.kind != "growth" || base >= floor)) {
            l.percent = 100 * difference / base;
            if (r.baseline.size() >= 2 && r.candidate.size() >= 2) {
                l.percent_low = 100 * low / base;
                l.percent_high = 100 * high / base;
            }
        }
        const double magnitude = std::max(floor, options.min_relative * base);
        const double candidate_fail_rate =
            static_cast<double>(r.candidate_failed) / static_cast<double>(r.candidate.size());
        const double baseline_fail_rate =
            static_cast<double>(r.baseline_failed) / static_cast<double>(r.baseline.size());
        if ((low > 0 && difference >= magnitude) || candidate_fail_rate > baseline_fail_rate) {
            l.change = ReleaseChange::regressed;
        } else if ((high < 0 && -difference >= magnitude) || candidate_fail_rate < baseline_fail_rate) {
            l.change = ReleaseChange::improved;
        } else {
            l.change = ReleaseChange::same;
        }
        out.limits.push_back(l);
    }
    std::map<std::pair<std::string, std::string>, ScenarioRollup> rollups;
    for (std::size_t index = 0; index < out.limits.size(); ++index) {
        const LimitChange& l = out.limits[index];
        ScenarioRollup& r = rollups[{l.series.scenario, l.series.allocator}];
        r.scenario = l.series.scenario;
        r.allocator = l.series.allocator;
        if (l.change == ReleaseChange::not_compared) continue;
        ++r.compared;
        r.regressed += l.change == ReleaseChange::regressed;
        r.improved += l.change == ReleaseChange::improved;
        auto rank = [](const LimitChange& c) {
            const int tier = c.change == ReleaseChange::regressed ? 2 : c.change == ReleaseChange::improved ? 1 : 0;
            // Peaks and counts head the line before growth: "issue-2 peak +10,300%" is what a person acts on.
            return std::tuple{tier, c.series.kind != "growth", std::isfinite(c.percent) ? std::fabs(c.percent) : 0.0};
        };
        if (!r.headline || rank(l) > rank(out.limits[*r.headline])) r.headline = index;
    }
    for (auto& [key, r] : rollups) {
        r.change = r.regressed ? ReleaseChange::regressed : r.improved ? ReleaseChange::improved : ReleaseChange::same;
        out.scenarios.push_back(r);
    }
    return out;
}

std::string rollup_line(const ReleaseComparison& c, const ScenarioRollup& r) {
    if (!r.headline) return fmt::format("{} [{}]: nothing compared", r.scenario, r.allocator);
    const LimitChange& h = c.limits[*r.headline];
    const double difference = h.candidate_mean - h.baseline_mean;
    const std::string absolute = (difference > 0 ? "+" : "") + format_value(h.series.kind, difference);
    const std::string change = std::isfinite(h.percent)
                                   ? fmt::format("{} ({})", reports::format_percent_change(h.percent), absolute)
                                   : absolute;
    return fmt::format("{} [{}]: {} {} {} {}, {}", r.scenario, r.allocator, h.series.budget, h.series.kind,
                       h.series.metric, change, to_string(r.change));
}

std::string render_release_text(const History& history, const ReleaseComparison& c) {
    std::string out = fmt::format("baseline  {}: {}\ncandidate {}: {}\n\n", c.baseline_selector,
                                  nights_text(history, c.baseline_nights), c.candidate_selector,
                                  nights_text(history, c.candidate_nights));
    for (const ScenarioRollup& r : c.scenarios) out += rollup_line(c, r) + "\n";
    out += "\n";
    for (const LimitChange& l : c.limits) {
        if (l.change == ReleaseChange::same || l.change == ReleaseChange::not_compared) continue;
        const std::string interval = interval_text(l);
        out += fmt::format("  {:<10} {} {} {} {}: {} -> {} {}{}\n", to_string(l.change), l.series.scenario,
                           l.series.budget, l.series.kind, l.series.metric,
                           format_value(l.series.kind, l.baseline_mean), format_value(l.series.kind, l.candidate_mean),
                           reports::format_percent_change(l.percent), interval.empty() ? "" : " " + interval);
    }
    out += fmt::format("\n{} limits compared, {} regressed\n", c.limits.size(), c.regressions());
    return out;
}

std::string render_release_markdown(const History& history, const ReleaseComparison& c) {
    std::string out = fmt::format("## memsoak history: {} vs {}\n\n- baseline: {}\n- candidate: {}\n\n",
                                  c.baseline_selector, c.candidate_selector, nights_text(history, c.baseline_nights),
                                  nights_text(history, c.candidate_nights));
    for (const ScenarioRollup& r : c.scenarios) out += fmt::format("- {}\n", rollup_line(c, r));
    out +=
        "\n| scenario | allocator | budget | limit | metric | baseline | candidate | change | 95% interval | verdict "
        "|\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const LimitChange& l : c.limits) {
        out += fmt::format("| {} | {} | {} | {} | `{}` | {} | {} | {} | {} | {} |\n", l.series.scenario,
                           l.series.allocator, l.series.budget, l.series.kind, l.series.metric,
                           format_value(l.series.kind, l.baseline_mean), format_value(l.series.kind, l.candidate_mean),
                           reports::format_percent_change(l.percent), interval_text(l), to_string(l.change));
    }
    return out;
}

std::string render_release_html(const History& history, const ReleaseComparison& c) {
    std::string out = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>memsoak history: {} vs {}</title>"
        "<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid "
        "#ccc;padding:2px 6px;text-align:left}}.REGRESSED{{background:#fdd}}.improved{{background:#dfd}}</style>"
        "</head><body>\n<h1>memsoak history: {} vs {}</h1>\n<p>baseline: {}<br>candidate: {}</p>\n<ul>\n",
        reports::html_escape(c.baseline_selector), reports::html_escape(c.candidate_selector),
        reports::html_escape(c.baseline_selector), reports::html_escape(c.candidate_selector),
        reports::html_escape(nights_text(history, c.baseline_nights)),
        reports::html_escape(nights_text(history, c.candidate_nights)));
    for (const ScenarioRollup& r : c.scenarios) {
        out += fmt::format("<li class=\"{}\">{}</li>\n", to_string(r.change), reports::html_escape(rollup_line(c, r)));
    }
    out +=
        "</ul>\n<table><tr><th>scenario</th><th>allocator</th><th>budget</th><th>limit</th><th>metric</th>"
        "<th>baseline</th><th>candidate</th><th>change</th><th>95% interval</th><th>verdict</th></tr>\n";
    for (const LimitChange& l : c.limits) {
        out += fmt::format(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            to_string(l.change), reports::html_escape(l.series.scenario), reports::html_escape(l.series.allocator),
            reports::html_escape(l.series.budget), l.series.kind, reports::html_escape(l.series.metric),
            format_value(l.series.kind, l.baseline_mean), format_value(l.series.kind, l.candidate_mean),
            reports::format_percent_change(l.percent), interval_text(l), to_string(l.change));
    }
    out += "</table>\n</body></html>\n";
    return out;
}

nlohmann::json release_to_json(const History& history, const ReleaseComparison& c) {
    auto nights = [&](const std::vector<std::size_t>& indices) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i : indices) {
            const auto& n = history.nights[i].info;
            list.push_back({{"commit", n.commit}, {"branch", n.branch}, {"time", n.time}, {"label", n.label}});
        }
        return list;
    };
    nlohmann::json out = {{"schema_version", kReleaseComparisonSchemaVersion},
                          {"baseline", {{"selector", c.baseline_selector}, {"nights", nights(c.baseline_nights)}}},
                          {"candidate", {{"selector", c.candidate_selector}, {"nights", nights(c.candidate_nights)}}},
                          {"regressions", c.regressions()}};
    out["scenarios"] = nlohmann::json::array();
    for (const ScenarioRollup& r : c.scenarios) {
        out["scenarios"].push_back({{"scenario", r.scenario},
                                    {"allocator", r.allocator},
                                    {"change", to_string(r.change)},
                                    {"regressed", r.regressed},
                                    {"improved", r.improved},
                                    {"summary", rollup_line(c, r)}});
    }
    out["limits"] = nlohmann::json::array();
    for (const LimitChange& l : c.limits) {
        out["limits"].push_back({{"scenario", l.series.scenario},
                                 {"allocator", l.series.allocator},
                                 {"budget", l.series.budget},
                                 {"kind", l.series.kind},
                                 {"metric", l.series.metric},
                                 {"limit", number_or_null(l.limit)},
                                 {"baseline_mean", number_or_null(l.baseline_mean)},
                                 {"candidate_mean", number_or_null(l.candidate_mean)},
                                 {"baseline_runs", l.baseline_runs},
                                 {"candidate_runs", l.candidate_runs},
                                 {"baseline_failed", l.baseline_failed},
                                 {"candidate_failed", l.candidate_failed},
                                 {"percent", number_or_null(l.percent)},
                                 {"percent_ci_low", number_or_null(l.percent_low)},
                                 {"percent_ci_high", number_or_null(l.percent_high)},
                                 {"change", to_string(l.change)}});
    }
    return out;
}

}  // namespace memsoak::history
