// The terminal rendering of `memsoak compare`: one table per scenario, the reasons under regressed rows, the
// reports left unpaired, the tolerances, and a closing line.

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "memsoak/harness/units.hpp"
#include "memsoak/reports/compare.hpp"
#include "terminal_table.hpp"
#include "text_format.hpp"

namespace memsoak::reports {
namespace {

using terminal::Cell;
using terminal::Printer;
using terminal::Row;

Cell status_cell(Change change) {
    switch (change) {
        case Change::regressed: return {"REGRESSED", terminal::colour(fmt::terminal_color::red)};
        case Change::improved: return {"improved", terminal::colour(fmt::terminal_color::green)};
        case Change::same: return {"same"};
        case Change::not_compared: return {"n/a"};
    }
    return {""};
}

Row limit_row(const LimitComparison& l) {
    const double change = l.candidate.measured - l.baseline.measured;
    const std::string growth = l.baseline.growth && l.candidate.growth
                                   ? fmt::format("{} -> {}", text::rate_of(l.baseline.growth->slope_per_hour, l.metric),
                                                 text::rate_of(l.candidate.growth->slope_per_hour, l.metric))
                                   : "-";
    return {{l.budget},
            {text::limit_label(l.candidate)},
            {text::in_unit(l.baseline.measured, l.kind)},
            {text::in_unit(l.candidate.measured, l.kind)},
            {text::signed_in_unit(change, l.kind)},
            {format_percent_change(percent_change(l))},
            {growth},
            status_cell(l.overall())};
}

void print_scenario(Printer& p, const ScenarioComparison& s) {
    p.line(fmt::format("{} (seed {}): baseline {}, candidate {}", s.scenario, s.candidate.info.seed, s.baseline_file,
                       s.candidate_file));
    for (const std::string& note : s.notes) p.line("  note: " + note);
    if (!s.incomplete.empty()) p.line("  " + p.paint(s.incomplete, terminal::colour(fmt::terminal_color::red)));
    std::vector<Row> rows{
        {{"budget"}, {"limit"}, {"baseline"}, {"candidate"}, {"change"}, {"%"}, {"growth"}, {"status"}}};
    for (const LimitComparison& l : s.limits) rows.push_back(limit_row(l));
    const std::vector<std::size_t> widths = terminal::column_widths(rows);
    p.row(rows[0], widths, 2);
    for (std::size_t r = 1; r < rows.size(); ++r) {
        p.row(rows[r], widths, 2);
        // Why it regressed goes under the row, aligned with the limit column.
        const LimitComparison& l = s.limits[r - 1];
        if (l.overall() == Change::regressed) p.line(std::string(widths[0] + 4, ' ') + l.reason);
    }
    p.line("");
}

void print_tolerances(Printer& p, const Comparison& comparison) {
    const CompareOptions& o = comparison.options;
    p.line(
        fmt::format("tolerances: peak max({}, {:g}%), count max({}, {:g}%), growth max({}, {:g}%) between the {} "
                    "intervals",
                    harness::format_bytes(o.peak_tolerance_bytes), o.relative_tolerance * 100,
                    text::count(o.items_tolerance), o.relative_tolerance * 100,
                    harness::format_size_rate(o.growth_tolerance_per_hour), o.relative_tolerance * 100,
                    text::confidence_level(interval_confidence(comparison))));
}

void print_closing_line(Printer& p, const Comparison& comparison) {
    const auto red = terminal::colour(fmt::terminal_color::red);
    const std::size_t regressions = comparison.regressions();
    const auto regressed_scenarios = std::count_if(comparison.scenarios.begin(), comparison.scenarios.end(),
                                                   [](const ScenarioComparison& s) { return s.regressions() > 0; });
    const std::size_t compared = comparison.scenarios.size();
    const std::string scenarios = fmt::format("{} scenario{}", compared, compared == 1 ? "" : "s");
    const std::size_t unpaired = comparison.unpaired();
    const std::string unpaired_words = fmt::format("{} report{} not compared", unpaired, unpaired == 1 ? "" : "s");
    if (regressions == 0 && unpaired > 0 && !comparison.options.allow_unpaired) {
        p.line(fmt::format("compare: {} ({} compared, no regression; --allow-unpaired accepts this)",
                           p.paint(unpaired_words, red), scenarios));
    } else if (regressions == 0) {
        p.line(fmt::format("compare: {} ({} compared{})",
                           p.paint("no regression", terminal::colour(fmt::terminal_color::green)), scenarios,
                           unpaired > 0 ? "; " + unpaired_words + ", allowed" : std::string()));
    } else {
        p.line(fmt::format("compare: {} in {} of {}{}",
                           p.paint(fmt::format("{} regression{}", regressions, regressions == 1 ? "" : "s"), red),
                           regressed_scenarios, scenarios, unpaired > 0 ? "; " + unpaired_words : std::string()));
    }
}

}  // namespace

void print_comparison(std::ostream& out, const Comparison& comparison, const TerminalStyle& style) {
    Printer p(out, style);
    for (const ScenarioComparison& s : comparison.scenarios) print_scenario(p, s);
    for (const std::string& file : comparison.only_in_baseline) p.line("not compared, only in the baseline: " + file);
    for (const std::string& file : comparison.only_in_candidate) p.line("not compared, only in the candidate: " + file);
    print_tolerances(p, comparison);
    print_closing_line(p, comparison);
}

}  // namespace memsoak::reports
