#include "memsoak/reports/terminal.hpp"

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <fmt/color.h>
#include <fmt/format.h>

#include "memsoak/harness/soak/heap_sample.hpp"
#include "memsoak/harness/soak/retention_probe.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/json_report.hpp"
#include "terminal_table.hpp"
#include "text_format.hpp"

namespace memsoak::reports {
namespace {

using harness::Attribution;
using harness::BudgetResult;
using harness::LimitKind;
using harness::LimitResult;
using harness::RunResult;
using harness::Verdict;
using terminal::Cell;
using terminal::column_widths;
using terminal::Printer;
using terminal::Row;

// Components listed under "growth by component": the largest growers say where to look; the rest is noise.
constexpr std::size_t kTopAttributions = 3;
// A passing peak limit whose metric grows is projected under its budget when the breach is this close: the
// application runs for days, and a breach within a week of uptime is worth a line.
constexpr double kProjectionHorizonHours = 7 * 24;

// The slope of the limit's metric: bytes per hour, or items per hour for a count; "-" without a fit.
std::string growth_rate(const LimitResult& limit) {
    return limit.growth ? text::rate_of(limit.growth->slope_per_hour, limit.metric) : "-";
}

Cell verdict_cell(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass: return {"PASS", fmt::fg(fmt::terminal_color::green)};
        case Verdict::fail: return {"FAIL", fmt::fg(fmt::terminal_color::red)};
        case Verdict::not_measured: return {"NO DATA", fmt::fg(fmt::terminal_color::yellow)};
    }
    return {"UNKNOWN", {}};
}

void print_header(Printer& p, const RunResult& result) {
    const harness::RunInfo& info = result.info;
    p.line(fmt::format("memsoak: {} (seed {}, {})", info.scenario_name, info.seed, info.scenario_file));
    p.line(fmt::format("{} virtual in {}: {}, allocator {}", text::virtual_duration(info.virtual_elapsed),
                       text::wall_seconds(info.wall_seconds), text::acceleration(info.acceleration), info.allocator));
    if (!info.leaks.empty()) p.line(fmt::format("leaky behaviour switched on: {}", fmt::join(info.leaks, ", ")));
    if (!info.injected.empty()) p.line(fmt::format("injected leaks: {}", fmt::join(info.injected, ", ")));
    if (info.interrupted || !info.stop_reason.empty()) {
        p.line(fmt::format("stopped after {} of {}: {}", text::virtual_duration(info.virtual_elapsed),
                           text::virtual_duration(info.virtual_duration),
                           info.stop_reason.empty() ? "interrupted" : info.stop_reason));
    }
    for (const std::string& warning : info.warnings) p.line("warning: " + warning);
}

void print_budgets(Printer& p, const RunResult& result) {
    if (result.budgets.empty()) {
        p.line("no budgets judged");
        return;
    }
    std::vector<Row> rows{{{"budget"}, {"verdict"}, {"deciding limit"}, {"measured"}, {"limit"}, {"growth"}}};
    for (const BudgetResult& budget : result.budgets) {
        const LimitResult* limit = deciding_limit(budget);
        if (limit == nullptr) {
            rows.push_back({{budget.budget}, verdict_cell(budget.verdict), {"-"}, {"-"}, {"-"}, {"-"}});
            continue;
        }
        rows.push_back({{budget.budget},
                        verdict_cell(budget.verdict),
                        {text::limit_label(*limit)},
                        {text::in_unit(limit->measured, limit->kind)},
                        {text::in_unit(limit->limit, limit->kind)},
                        {growth_rate(*limit)}});
    }
    const std::vector<std::size_t> widths = column_widths(rows);
    // Why a budget failed goes under its row, aligned with the verdict column.
    const std::string explanation_indent(widths[0] + 2, ' ');
    p.row(rows[0], widths, 0);
    for (std::size_t b = 0; b < result.budgets.size(); ++b) {
        p.row(rows[b + 1], widths, 0);
        const BudgetResult& budget = result.budgets[b];
        const LimitResult* limit = deciding_limit(budget);
        if (budget.verdict == Verdict::fail && limit != nullptr && !limit->explanation.empty()) {
            p.line(explanation_indent + limit->explanation);
        }
        for (const LimitResult& passing : budget.limits) {
            if (passing.verdict == Verdict::pass && passing.hours_to_breach &&
                *passing.hours_to_breach <= kProjectionHorizonHours) {
                p.line(explanation_indent + passing.explanation);
            }
        }
    }
}

// What this run would have caught: per whole-process growth limit, the smallest steady leak that added to this run
// fails it, and where a calibrated limit comes from.
void print_detection_limits(Printer& p, const RunResult& result) {
    bool header = false;
    for (const BudgetResult& budget : result.budgets) {
        for (const LimitResult& limit : budget.limits) {
            const bool process_metric = harness::is_process_metric(limit.metric);
            if (limit.kind != harness::LimitKind::growth || !process_metric || !limit.detection_limit ||
                limit.verdict != Verdict::pass) {
                continue;
            }
            if (!header) p.line("");
            header = true;
            std::string line = fmt::format(
                "detection limit: this run would have caught any steady leak of {} or more "
                "in {}",
                harness::format_size_rate(*limit.detection_limit), limit.metric);
            if (limit.calibration) {
                const harness::Calibration& c = *limit.calibration;
                line += fmt::format(
                    " (limit {}: the fixed engine reached {} over {} seeds, margin {}, false alarms "
                    "{:g}% a run)",
                    harness::format_size_rate(limit.limit), harness::format_size_rate(c.floor), c.runs,
                    harness::format_size_rate(c.margin), c.false_alarm_rate * 100);
            }
            p.line(line);
        }
    }
}

void print_attribution(Printer& p, const RunResult& result) {
    if (result.attribution.empty()) return;
    std::vector<const Attribution*> largest;
    largest.reserve(result.attribution.size());
    for (const Attribution& a : result.attribution) largest.push_back(&a);
    // The harness lists the largest first; a report from elsewhere may not. NaN (not measured) sorts last.
    const auto rate = [](const Attribution* a) {
        return std::isnan(a->growth_bytes_per_hour) ? -std::numeric_limits<double>::infinity()
                                                    : a->growth_bytes_per_hour;
    };
    std::stable_sort(largest.begin(), largest.end(),
                     [&](const Attribution* x, const Attribution* y) { return rate(x) > rate(y); });
    largest.resize(std::min(largest.size(), kTopAttributions));

    std::vector<Row> rows;
    rows.reserve(largest.size());
    for (const Attribution* a : largest) {
        rows.push_back({{a->component},
                        {a->issue.empty() ? "-" : a->issue},
                        {harness::format_size_rate(a->growth_bytes_per_hour)},
                        {std::isfinite(a->share) ? fmt::format("{:.0f}% of the growth", a->share * 100) : "n/a"}});
    }
    p.line("");
    p.line(result.attribution.size() > largest.size()
               ? fmt::format("growth by component (largest {} of {}):", largest.size(), result.attribution.size())
               : std::string("growth by component:"));
    const std::vector<std::size_t> widths = column_widths(rows);
    for (const Row& row : rows) p.row(row, widths, 2);
}

std::string format_trend_rate(const harness::LayerTrend& trend) {
    if (!trend.growth) return "not measured";
    return harness::format_size_rate(trend.growth->slope_per_hour);
}

std::string format_trend_interval(const harness::LayerTrend& trend) {
    if (!trend.growth) return "";
    return fmt::format("[{}, {}]", harness::format_size_rate(trend.growth->ci_low_per_hour),
                       harness::format_size_rate(trend.growth->ci_high_per_hour));
}

std::string format_p_value(const harness::LayerTrend& trend) {
    if (!trend.growth || !std::isfinite(trend.growth->p_value)) return "";
    return trend.growth->p_value < 0.001 ? std::string("p<0.001") : fmt::format("p={:.2g}", trend.growth->p_value);
}

void print_diagnosis(Printer& p, const RunResult& result) {
    if (!result.diagnosis) return;
    const harness::LayerDiagnosis& d = *result.diagnosis;
    p.line("");
    p.line("diagnosis: " + d.explanation);
    std::vector<Row> rows;
    for (const harness::LayerTrend& trend : d.layers) {
        rows.push_back({{trend.metric + (trend.purged_only ? " (purged)" : "")},
                        {format_trend_rate(trend)},
                        {format_trend_interval(trend)},
                        {format_p_value(trend)},
                        trend.growing ? Cell{"grows", fmt::fg(fmt::terminal_color::red)} : Cell{"-"}});
    }
    const std::vector<std::size_t> widths = column_widths(rows);
    for (const Row& row : rows) p.row(row, widths, 2);
    if (!result.filling.empty()) {
        std::vector<std::string> parts;
        for (const harness::ComponentFill& f : result.filling) {
            parts.push_back(fmt::format("{} {:.0f} of {:.0f}{}", f.component, f.items, f.capacity,
                                        f.items >= f.capacity ? " (full)" : ""));
        }
        p.line(fmt::format("  filling up to their policies' bounds, not growth: {}", fmt::join(parts, ", ")));
    }
}

// A sampled heap's growth sites: file:line, rate and signature of each, and how the figures were obtained.
void print_sampled_heap(Printer& p, const harness::HeapProfileFindings& h) {
    const std::string origin =
        h.source.empty() ? "" : fmt::format("; re-run of the same scenario and seed under {}", h.source);
    if (!h.error.empty()) {
        p.line(fmt::format("growth sites{}: {}", origin, h.error));
        return;
    }
    p.line(fmt::format("growth sites, sampled every {} ({} reads over {}{}): {} in all",
                       harness::format_bytes(h.sample_period_bytes), h.reads, engine::format_duration(h.window), origin,
                       harness::format_bytes(h.total_growth_bytes)));
    if (h.sites.empty()) {
        p.line(
            fmt::format("  no allocation site grew beyond the sampling noise (sites are looked for from {:.0f} "
                        "sample periods, {}, of growth in all)",
                        harness::kSymbolizedGrowthPeriods,
                        harness::format_bytes(harness::kSymbolizedGrowthPeriods * h.sample_period_bytes)));
        return;
    }
    std::vector<Row> rows;
    for (const harness::HeapSite& site : h.sites) {
        std::string where = harness::heap_site_place(site);
        for (std::size_t i = 0; i < site.callers.size(); ++i) {
            where += " <- " + site.callers[i];
            if (i < site.caller_locations.size() && !site.caller_locations[i].empty()) {
                where += " (" + site.caller_locations[i] + ")";
            }
        }
        rows.push_back({{harness::format_bytes(site.bytes)},
                        {harness::format_size_rate(site.rate_bytes_per_hour)},
                        {site.signature},
                        {where}});
    }
    const std::vector<std::size_t> widths = column_widths(rows);
    for (const Row& row : rows) p.row(row, widths, 2);
    if (!h.collapsed_file.empty()) {
        p.line(fmt::format("  collapsed growth stacks (flamegraph.pl, speedscope): {}", h.collapsed_file));
    }
}

void print_heap_profile(Printer& p, const RunResult& result) {
    if (!result.heap_profile) return;
    const harness::HeapProfileFindings& h = *result.heap_profile;
    p.line("");
    if (h.mode == "sampled") {
        print_sampled_heap(p, h);
        return;
    }
    if (!h.error.empty()) {
        p.line(fmt::format("heap profiles ({} in {}): {}", h.profiles.size(), h.directory, h.error));
        return;
    }
    p.line(fmt::format("heap growth by allocation site, first to last of {} profiles (every {}, in {}): {} in all",
                       h.profiles.size(), engine::format_duration(h.interval), h.directory,
                       harness::format_bytes(h.total_growth_bytes)));
    std::vector<Row> rows;
    for (const harness::HeapSite& site : h.sites) {
        std::string where = site.function;
        for (const std::string& caller : site.callers) where += " <- " + caller;
        rows.push_back({{harness::format_bytes(site.bytes)}, {where}});
    }
    const std::vector<std::size_t> widths = column_widths(rows);
    for (const Row& row : rows) p.row(row, widths, 2);
}

// The retention probe's findings: the actions that retain significantly (more than 0), largest first.
void print_retention(Printer& p, const RunResult& result) {
    if (!result.retention) return;
    std::vector<const harness::ActionRetention*> significant;
    for (const harness::ActionRetention& r : *result.retention) {
        if (r.significant && harness::retained_per_call(r) > 0) significant.push_back(&r);
    }
    std::sort(significant.begin(), significant.end(), [](const auto* a, const auto* b) {
        return harness::retained_per_call(*a) > harness::retained_per_call(*b);
    });
    p.line("");
    const std::string why = result.retention_trigger.empty() ? "" : " (probed: " + result.retention_trigger + ")";
    if (significant.empty()) {
        p.line(fmt::format("retained per action{}: {}", why, harness::retention_summary(*result.retention)));
        return;
    }
    p.line(fmt::format("retained per action{}:", why));
    std::vector<Row> rows;
    for (const harness::ActionRetention* r : significant) {
        const bool live = std::isfinite(r->live_bytes_per_call);
        const double low = live ? r->live_ci_low : r->rss_ci_low, high = live ? r->live_ci_high : r->rss_ci_high;
        rows.push_back({{r->action},
                        {harness::format_bytes(harness::retained_per_call(*r)) + " per call"},
                        {fmt::format("[{}, {}]", harness::format_bytes(low), harness::format_bytes(high))},
                        {live ? "live bytes" : "resident set"},
                        {fmt::format("{} calls x {} rounds", r->calls_per_round, r->rounds)}});
    }
    const std::vector<std::size_t> widths = column_widths(rows);
    for (const Row& row : rows) p.row(row, widths, 2);
}

void print_verdict(Printer& p, const RunResult& result) {
    std::vector<std::string> failed;
    for (const BudgetResult& budget : result.budgets) {
        if (budget.verdict == Verdict::fail) failed.push_back(budget.budget);
    }
    const Cell verdict = verdict_cell(result.verdict);
    std::string text = "verdict: " + p.paint(verdict.text, verdict.style);
    if (!failed.empty()) text += fmt::format(" ({} failed)", fmt::join(failed, ", "));
    p.line("");
    p.line(text);
}

}  // namespace

void print_summary(std::ostream& out, const harness::RunResult& result, const TerminalStyle& style) {
    Printer p(out, style);
    print_header(p, result);
    p.line("");
    print_budgets(p, result);
    print_detection_limits(p, result);
    print_attribution(p, result);
    print_diagnosis(p, result);
    print_heap_profile(p, result);
    print_retention(p, result);
    print_verdict(p, result);
}

bool should_use_color(int fd) {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0') return false;
    return ::isatty(fd) == 1;
}

}  // namespace memsoak::reports
