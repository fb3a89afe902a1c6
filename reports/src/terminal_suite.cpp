// The terminal summary of `memsoak suite` and `memsoak merge`: a line per run, missing shards, the suite's verdict.

#include <string>

#include <fmt/format.h>

#include "memsoak/reports/suite_report.hpp"
#include "terminal_table.hpp"
#include "text_format.hpp"

namespace memsoak::reports {
namespace {

// Widths of the run-name and outcome columns: wide enough for "production-day (seed 1)" and "internal_error".
constexpr std::size_t kRunNameWidth = 28;
constexpr std::size_t kOutcomeWidth = 14;

std::string scope_of(const SuiteReport& report) {
    std::string scope = fmt::format("{} scenario{}", report.runs.size(), report.runs.size() == 1 ? "" : "s");
    if (report.shard_count > 1) {
        scope += fmt::format(" of {} planned; shard{} {} of {}", report.planned_runs,
                             report.shards.size() == 1 ? "" : "s", fmt::join(report.shards, ","), report.shard_count);
    }
    return scope;
}

// Virtual time, speed and failed budgets from the run's report, or why there is none; and a killing signal.
std::string run_detail(const SuiteRun& run) {
    std::string detail;
    if (run.result) {
        const harness::RunInfo& info = run.result->info;
        detail = fmt::format("{} virtual in {} ({})", text::virtual_duration(info.virtual_elapsed),
                             text::wall_seconds(info.wall_seconds), text::acceleration(info.acceleration));
        for (const auto& budget : run.result->budgets) {
            if (budget.verdict == harness::Verdict::fail) detail += fmt::format("; {} failed", budget.budget);
        }
    } else {
        detail = run.report_problem;
    }
    if (run.entry.signal != 0) detail += fmt::format("; killed by signal {}", run.entry.signal);
    return detail;
}

void print_run_line(terminal::Printer& p, const SuiteRun& run) {
    const std::string outcome{harness::to_string(run.entry.outcome)};
    const bool good = run.entry.outcome == harness::Outcome::pass;
    const auto style = terminal::colour(good ? fmt::terminal_color::green : fmt::terminal_color::red);
    // Padding is computed on the plain word so that colour codes do not shift the columns.
    const std::string padding(outcome.size() < kOutcomeWidth ? kOutcomeWidth - outcome.size() : 0, ' ');
    p.line(fmt::format("  {:<{}} {}{}  {}", text::run_name(run.entry), kRunNameWidth, p.paint(outcome, style), padding,
                       run_detail(run)));
}

}  // namespace

void print_suite_summary(std::ostream& out, const SuiteReport& report, const std::filesystem::path& folder,
                         const TerminalStyle& style) {
    terminal::Printer p(out, style);
    p.line(fmt::format("suite {} ({}), reports in {}", report.suite_name, scope_of(report), folder.string()));
    for (const SuiteRun& run : report.runs) print_run_line(p, run);
    for (std::size_t shard : missing_shards(report)) {
        p.line(fmt::format("  shard {}/{} is missing: its runs did not report", shard, report.shard_count));
    }
    p.line(fmt::format("suite verdict: {}", suite_report_exit_code(report) == 0 ? "pass" : "fail"));
}

}  // namespace memsoak::reports
