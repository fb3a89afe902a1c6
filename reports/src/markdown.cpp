#include "memsoak/reports/markdown.hpp"

#include <fmt/format.h>

#include "memsoak/harness/outcome_words.hpp"
#include "memsoak/harness/soak/retention_probe.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/json_report.hpp"
#include "text_format.hpp"

namespace memsoak::reports {
namespace {

using harness::BudgetResult;
using harness::LimitResult;
using harness::RunResult;
using harness::Verdict;

std::string verdict_cell(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass: return "✅ pass";
        case Verdict::fail: return "❌ fail";
        case Verdict::not_measured: return "⚪ not measured";
    }
    return "";
}

std::string row(std::initializer_list<std::string> cells) {
    std::string out = "|";
    for (const std::string& cell : cells) out += " " + cell + " |";
    return out + "\n";
}

std::string budget_table(const RunResult& run) {
    if (run.budgets.empty()) return "No budget was judged.\n";
    std::string out = row({"budget", "verdict", "deciding limit", "measured", "limit", "growth"});
    out += "|---|---|---|---:|---:|---|\n";
    for (const BudgetResult& budget : run.budgets) {
        const LimitResult* limit = deciding_limit(budget);
        if (limit == nullptr) {
            out += row({markdown_escape(budget.budget), verdict_cell(budget.verdict), "-", "-", "-", "-"});
            continue;
        }
        out += row(
            {markdown_escape(budget.budget), verdict_cell(budget.verdict), markdown_escape(text::limit_label(*limit)),
             markdown_escape(text::in_unit(limit->measured, limit->kind)),
             markdown_escape(text::in_unit(limit->limit, limit->kind)),
             limit->growth ? markdown_escape(text::rate_of(limit->growth->slope_per_hour, limit->metric)) : "-"});
    }
    return out;
}

// The failed limits' explanations, and the largest grower: why it failed and where to look.
std::string failure_notes(const RunResult& run) {
    std::string out;
    for (const BudgetResult& budget : run.budgets) {
        for (const LimitResult& limit : budget.limits) {
            if (limit.verdict != Verdict::fail) continue;
            out += fmt::format("- **{}** {}: {}\n", markdown_escape(budget.budget),
                               markdown_escape(text::limit_label(limit)), markdown_escape(limit.explanation));
        }
    }
    if (!out.empty() && !run.attribution.empty()) {
        const harness::Attribution& top = run.attribution.front();
        out += fmt::format("- grew most: {} ({}) at {}\n", markdown_escape(top.component),
                           markdown_escape(top.issue.empty() ? "no study issue" : top.issue),
                           markdown_escape(harness::format_size_rate(top.growth_bytes_per_hour)));
    }
    if (!out.empty() && run.retention && !run.retention->empty()) {
        out += fmt::format("- retained per action: {}\n", markdown_escape(harness::retention_summary(*run.retention)));
    }
    return out.empty() ? out : "\n" + out;
}

}  // namespace

std::string markdown_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '\n':
            case '\r': out += ' '; break;
            case '|':
            case '\\':
            case '`':
            case '*':
            case '_':
            case '[':
            case ']':
            case '#':
            case '~':
                out += '\\';
                out += c;
                break;
            default: out += c;
        }
    }
    return out;
}

std::string render_run_markdown(const RunResult& result) {
    const harness::RunInfo& info = result.info;
    std::string out =
        fmt::format("### memsoak: {} {}\n\n", markdown_escape(info.scenario_name), verdict_cell(result.verdict));
    out +=
        markdown_escape(fmt::format("{} virtual in {} ({}), seed {}, allocator {}",
                                    text::virtual_duration(info.virtual_elapsed), text::wall_seconds(info.wall_seconds),
                                    text::acceleration(info.acceleration), info.seed, info.allocator));
    if (!info.leaks.empty()) out += markdown_escape(fmt::format("; leaky: {}", fmt::join(info.leaks, ", ")));
    out += "\n\n";
    if (info.interrupted || !info.stop_reason.empty()) {
        out += fmt::format("> stopped after {}: {}\n\n", markdown_escape(text::virtual_duration(info.virtual_elapsed)),
                           markdown_escape(info.stop_reason.empty() ? "interrupted" : info.stop_reason));
    }
    out += budget_table(result) + failure_notes(result);
    if (result.diagnosis) out += fmt::format("\nDiagnosis: {}\n", markdown_escape(result.diagnosis->explanation));
    return out;
}

std::string render_suite_markdown(const SuiteReport& suite) {
    const int exit_code = suite_report_exit_code(suite);
    std::string out = fmt::format("### memsoak suite: {} {}\n\n", markdown_escape(suite.suite_name),
                                  verdict_cell(exit_code == 0 ? Verdict::pass : Verdict::fail));
    out += fmt::format("{} of {} planned runs", suite.runs.size(), suite.planned_runs);
    if (suite.shard_count > 1) {
        out += fmt::format(", shards {} of {}", fmt::join(suite.shards, ", "), suite.shard_count);
    }
    out += fmt::format(", exit code {}\n\n", exit_code);
    if (const auto missing = missing_shards(suite); !missing.empty()) {
        out += fmt::format("> ❌ missing shard{} {}: their runs did not report\n\n", missing.size() == 1 ? "" : "s",
                           fmt::join(missing, ", "));
    }
    out += row({"run", "outcome", "failed budgets", "virtual", "wall"});
    out += "|---|---|---|---:|---:|\n";
    std::string notes;
    for (const SuiteRun& run : suite.runs) {
        std::vector<std::string> failed;
        std::string virtual_time = "-";
        if (run.result) {
            for (const BudgetResult& budget : run.result->budgets) {
                if (budget.verdict == Verdict::fail) failed.push_back(budget.budget);
            }
            virtual_time = text::virtual_duration(run.result->info.virtual_elapsed);
            for (const BudgetResult& budget : run.result->budgets) {
                for (const LimitResult& limit : budget.limits) {
                    if (limit.verdict != Verdict::fail) continue;
                    notes += fmt::format("- {} **{}** {}: {}\n", markdown_escape(text::run_name(run.entry)),
                                         markdown_escape(budget.budget), markdown_escape(text::limit_label(limit)),
                                         markdown_escape(limit.explanation));
                }
            }
        } else {
            notes += fmt::format("- {}: {}\n", markdown_escape(text::run_name(run.entry)),
                                 markdown_escape(run.report_problem));
        }
        const bool passed = run.entry.outcome == harness::Outcome::pass;
        out += row({markdown_escape(text::run_name(run.entry)),
                    (passed ? "✅ " : "❌ ") + markdown_escape(harness::outcome_words(run.entry)),
                    failed.empty() ? "-" : markdown_escape(fmt::format("{}", fmt::join(failed, ", "))),
                    markdown_escape(virtual_time), markdown_escape(text::wall_seconds(run.entry.wall_seconds))});
    }
    return notes.empty() ? out : out + "\n" + notes;
}

std::string render_comparison_markdown(const Comparison& comparison) {
    const std::size_t regressions = comparison.regressions();
    const std::size_t unpaired = comparison.unpaired();
    std::string headline = regressions == 0
                               ? "✅ no regression"
                               : fmt::format("❌ {} regression{}", regressions, regressions == 1 ? "" : "s");
    // A report that was not compared must not read as a pass.
    if (unpaired > 0 && !comparison.options.allow_unpaired) {
        headline = fmt::format("❌ {}{} report{} not compared", regressions == 0 ? "" : headline + ", ", unpaired,
                               unpaired == 1 ? "" : "s");
    }
    std::string out = fmt::format("### memsoak compare: {}\n\n", headline);
    std::size_t unchanged = 0;
    std::string rows;
    for (const ScenarioComparison& s : comparison.scenarios) {
        for (const LimitComparison& l : s.limits) {
            const Change change = l.overall();
            if (change != Change::regressed && change != Change::improved) {
                ++unchanged;
                continue;
            }
            rows += row({markdown_escape(s.scenario), markdown_escape(l.budget),
                         markdown_escape(text::limit_label(l.candidate)),
                         markdown_escape(text::in_unit(l.baseline.measured, l.kind)),
                         markdown_escape(text::in_unit(l.candidate.measured, l.kind)),
                         change == Change::regressed ? "❌ regressed" : "✅ improved", markdown_escape(l.reason)});
        }
    }
    if (!rows.empty()) {
        out += row({"scenario", "budget", "limit", "baseline", "candidate", "status", "why"});
        out += "|---|---|---|---:|---:|---|---|\n" + rows + "\n";
    }
    out += fmt::format("{} scenario{} compared; {} limit{} unchanged within tolerance.\n", comparison.scenarios.size(),
                       comparison.scenarios.size() == 1 ? "" : "s", unchanged, unchanged == 1 ? "" : "s");
    for (const ScenarioComparison& s : comparison.scenarios) {
        for (const std::string& note : s.notes) {
            out += fmt::format("- {}: {}\n", markdown_escape(s.scenario), markdown_escape(note));
        }
        if (!s.incomplete.empty()) {
            out += fmt::format("- {}: **{}**\n", markdown_escape(s.scenario), markdown_escape(s.incomplete));
        }
    }
    for (const std::string& file : comparison.only_in_baseline) {
        out += fmt::format("- not compared, only in the baseline: {}\n", markdown_escape(file));
    }
    for (const std::string& file : comparison.only_in_candidate) {
        out += fmt::format("- not compared, only in the candidate: {}\n", markdown_escape(file));
    }
    return out;
}

}  // namespace memsoak::reports
