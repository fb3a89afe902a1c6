#pragma once
// Runs and suite reports made up for the renderers' tests, with values simple enough to compute the expected
// output by hand: a 2-hour run sampled every 15 minutes whose status display grows by 1 MiB per sample.

#include <chrono>
#include <cmath>
#include <string>

#include "memsoak/harness/result.hpp"
#include "memsoak/reports/suite_report.hpp"

namespace memsoak::reports::fixtures {

inline constexpr double kMiB = 1024.0 * 1024.0;

inline harness::LimitResult limit(std::string metric, harness::LimitKind kind, double bound, double measured,
                                  harness::Verdict verdict, std::string explanation) {
    harness::LimitResult out;
    out.metric = std::move(metric);
    out.kind = kind;
    out.limit = bound;
    out.measured = measured;
    out.verdict = verdict;
    out.explanation = std::move(explanation);
    return out;
}

// Nine samples, 0..2 h every 15 min, the allocator purged before the 1-hour sample. The status display holds i MiB
// at sample i: peak 8 MiB, 4 MiB/h. issue-1 fails, issue-2 passes, issue-3 was not measured.
inline harness::RunResult sample_run() {
    harness::RunResult r;
    harness::RunInfo& info = r.info;
    info.tool_version = "0.1.0";
    info.git_commit = "47d1dc38d502";
    info.build_type = "RelWithDebInfo";
    info.allocator = "mimalloc";
    info.host = "ci-3";
    info.scenario_name = "production-day";
    info.scenario_file = "scenarios/production-day.json";
    info.seed = 42;
    info.virtual_duration = std::chrono::hours(2);
    info.virtual_elapsed = std::chrono::hours(2);
    info.warmup = std::chrono::minutes(30);
    info.wall_seconds = 0.5;
    info.analysis_seconds = 0.01;
    info.acceleration = 14400;
    info.leaks = {"issue-1"};
    info.layers = {"os", "allocator", "engine"};
    info.started_at = "2026-11-27T07:30:34Z";

    r.samples.metrics = {"allocator.live_bytes", "engine.chart.items", "engine.status_display.bytes", "os.rss_bytes"};
    r.samples.values.resize(4);
    for (int i = 0; i <= 8; ++i) {
        r.samples.times.push_back(harness::VirtualTime{std::chrono::minutes(15 * i)});
        r.samples.purged.push_back(i == 4);
        r.samples.values[0].push_back((10 + i) * kMiB);
        r.samples.values[1].push_back(1);
        r.samples.values[2].push_back(i * kMiB);
        r.samples.values[3].push_back((20 + i) * kMiB);
    }

    using harness::LimitKind;
    using harness::Verdict;
    harness::BudgetResult issue1{"issue-1", "Status display must not retain analysis frames", {}, Verdict::fail};
    issue1.limits.push_back(limit("engine.status_display.bytes", LimitKind::peak, kMiB, 8 * kMiB, Verdict::fail,
                                  "peak 8.0 MiB exceeds 1.0 MiB"));
    issue1.limits.back().hours_to_breach = 0.25;
    issue1.limits.push_back(limit("engine.status_display.bytes", LimitKind::growth, 65536, 4 * kMiB, Verdict::fail,
                                  "grows 4.0 MiB/h (95% CI 3.9..4.1, p<0.001), above the 64.0 KiB/h limit"));
    const harness::Growth growth{4 * kMiB, 3.9 * kMiB, 4.1 * kMiB, 0, 1e-9, true, 7};
    issue1.limits[0].growth = growth;
    issue1.limits[1].growth = growth;
    harness::BudgetResult issue2{"issue-2", "Chart widget must close old figures before redrawing", {}, Verdict::pass};
    issue2.limits.push_back(
        limit("engine.chart.items", LimitKind::items, 1, 1, Verdict::pass, "peak 1 item is within 1"));
    harness::BudgetResult issue3{"issue-3",
                                 "Transaction history keeps at most 1000 transactions",
                                 {},
                                 Verdict::not_measured};
    issue3.limits.push_back(limit("engine.transactions.items", LimitKind::items, 1000, std::nan(""),
                                  Verdict::not_measured, "engine.transactions.items was not sampled"));
    r.budgets = {issue1, issue2, issue3};
    r.attribution = {{"status_display", "issue-1", 4 * kMiB, 0.8}};
    r.verdict = Verdict::fail;
    return r;
}

// The same run with names a browser, an XML parser or a Markdown table must not take as markup.
inline harness::RunResult hostile_run() {
    harness::RunResult r = sample_run();
    r.info.scenario_name = "day <script>alert(1)</script> & co";
    r.budgets[0].budget = "issue-1 | \"quoted\" <b>";
    r.budgets[0].description = "frames & <i>more</i> 'kept'";
    r.budgets[0].limits[0].explanation =
        "peak > limit & \x01"
        "control";
    return r;
}

inline harness::SuiteEntry entry(std::size_t index, std::string name, harness::Outcome outcome, int exit_code) {
    harness::SuiteEntry e;
    e.job_index = index;
    e.name = name;
    e.scenario = "scenarios/" + name + ".json";
    e.outcome = outcome;
    e.exit_code = exit_code;
    e.wall_seconds = 0.25;
    e.report = name + ".json";
    e.log = name + ".log";
    return e;
}

// A suite of three runs: one failed its budgets, one passed, one crashed (SIGSEGV) before writing a report.
inline SuiteReport sample_suite() {
    SuiteReport suite;
    suite.suite_name = "nightly";
    suite.suite_file = "scenarios/nightly.json";
    suite.planned_runs = 3;
    suite.shards = {1};
    harness::RunResult passing = sample_run();
    passing.info.scenario_name = "gui-hour";
    passing.budgets = {passing.budgets[1]};
    passing.verdict = harness::Verdict::pass;

    SuiteRun failed{entry(0, "production-day", harness::Outcome::fail, 1), sample_run(), ""};
    SuiteRun passed{entry(1, "gui-hour", harness::Outcome::pass, 0), passing, ""};
    SuiteRun crashed{entry(2, "overnight", harness::Outcome::crashed, -1), std::nullopt,
                     "no report written; see overnight.log"};
    crashed.entry.signal = 11;
    crashed.entry.report.clear();
    suite.runs = {failed, passed, crashed};
    return suite;
}

}  // namespace memsoak::reports::fixtures
