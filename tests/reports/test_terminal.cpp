#include "memsoak/reports/terminal.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace memsoak::reports {
namespace {

using harness::LimitKind;
using harness::Verdict;

constexpr double kMiB = 1024.0 * 1024.0;

harness::LimitResult limit(std::string metric, LimitKind kind, double limit_value, double measured, Verdict verdict,
                           std::optional<double> slope_per_hour = std::nullopt) {
    harness::LimitResult out;
    out.metric = std::move(metric);
    out.kind = kind;
    out.limit = limit_value;
    out.measured = measured;
    out.verdict = verdict;
    if (slope_per_hour) {
        out.growth = harness::Growth{};
        out.growth->slope_per_hour = *slope_per_hour;
    }
    return out;
}

harness::BudgetResult budget(std::string name, Verdict verdict, std::vector<harness::LimitResult> limits) {
    harness::BudgetResult out;
    out.budget = std::move(name);
    out.verdict = verdict;
    out.limits = std::move(limits);
    return out;
}

// The study's issue #1 switched back on for a production day: its growth limit fails.
harness::RunResult failing_day() {
    harness::RunResult r;
    r.info.scenario_name = "production-day";
    r.info.scenario_file = "scenarios/production-day.json";
    r.info.seed = 42;
    r.info.allocator = "mimalloc";
    r.info.virtual_duration = std::chrono::hours(24);
    r.info.virtual_elapsed = std::chrono::hours(24);
    r.info.wall_seconds = 1.21;
    r.info.acceleration = 86400 / 1.21;  // 71404.96: three significant digits show as 71,400
    r.info.leaks = {"issue-1"};

    harness::BudgetResult issue1 =
        budget("issue-1", Verdict::fail,
               {limit("engine.status_display.bytes", LimitKind::peak, kMiB, 0.5 * kMiB, Verdict::pass),
                limit("engine.status_display.bytes", LimitKind::growth, 64 * 1024, 18.3 * kMiB, Verdict::fail,
                      18.3 * kMiB)});
    issue1.limits[1].explanation = "engine.status_display.bytes grew 18.3 MiB/h, above the 64.0 KiB/h budget";
    r.budgets = {
        issue1,
        budget("issue-2", Verdict::not_measured,
               {limit("engine.chart.bytes", LimitKind::peak, 4 * kMiB, std::numeric_limits<double>::quiet_NaN(),
                      Verdict::not_measured)}),
        budget("issue-3", Verdict::pass,
               {limit("engine.transactions.items", LimitKind::items, 1000, 1000, Verdict::pass, 0.5)}),
        budget("process", Verdict::pass,
               {limit("os.rss_bytes", LimitKind::peak, 50 * kMiB, 48.5 * kMiB, Verdict::pass)}),
    };
    // Out of order, one more than is listed: the summary sorts by growth and keeps the largest three.
    r.attribution = {{"log_queue", "issue-4", 10 * 1024, 0.01},
                     {"chart", "issue-2", 512, 0.0001},
                     {"status_display", "issue-1", 18 * kMiB, 0.98},
                     {"signals", "issue-5", 2 * 1024, 0.02}};
    r.verdict = Verdict::fail;
    return r;
}

std::vector<std::string> summary_lines(const harness::RunResult& result, bool color) {
    std::ostringstream out;
    print_summary(out, result, TerminalStyle{color});
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

void expect_lines(const std::vector<std::string>& actual, const std::vector<std::string>& expected) {
    for (std::size_t i = 0; i < std::max(actual.size(), expected.size()); ++i) {
        EXPECT_EQ(i < actual.size() ? actual[i] : "<no line>", i < expected.size() ? expected[i] : "<no line>")
            << "line " << i + 1;
    }
}

TEST(TerminalSummary, PrintsAFailingRunWithoutColour) {
    expect_lines(summary_lines(failing_day(), false),
                 {
                     "memsoak: production-day (seed 42, scenarios/production-day.json)",
                     "24h virtual in 1.21 s: 71,400x, allocator mimalloc",
                     "leaky behaviour switched on: issue-1",
                     "",
                     "budget   verdict  deciding limit                      measured    limit       growth",
                     "issue-1  FAIL     growth engine.status_display.bytes  18.3 MiB/h  64.0 KiB/h  18.3 MiB/h",
                     "         engine.status_display.bytes grew 18.3 MiB/h, above the 64.0 KiB/h budget",
                     "issue-2  NO DATA  peak engine.chart.bytes             n/a         4.0 MiB     -",
                     "issue-3  PASS     items engine.transactions.items     1,000       1,000       0.5 items/h",
                     "process  PASS     peak os.rss_bytes                   48.5 MiB    50.0 MiB    -",
                     "",
                     "growth by component (largest 3 of 4):",
                     "  status_display  issue-1  18.0 MiB/h  98% of the growth",
                     "  log_queue       issue-4  10.0 KiB/h  1% of the growth",
                     "  signals         issue-5  2.0 KiB/h   2% of the growth",
                     "",
                     "verdict: FAIL (issue-1 failed)",
                 });
}

TEST(TerminalSummary, PaintsVerdictsWithoutShiftingColumns) {
    expect_lines(
        summary_lines(failing_day(), true),
        {
            "memsoak: production-day (seed 42, scenarios/production-day.json)",
            "24h virtual in 1.21 s: 71,400x, allocator mimalloc",
            "leaky behaviour switched on: issue-1",
            "",
            "budget   verdict  deciding limit                      measured    limit       growth",
            "issue-1  \x1b[31mFAIL\x1b[0m     growth engine.status_display.bytes  18.3 MiB/h  64.0 KiB/h  18.3 MiB/h",
            "         engine.status_display.bytes grew 18.3 MiB/h, above the 64.0 KiB/h budget",
            "issue-2  \x1b[33mNO DATA\x1b[0m  peak engine.chart.bytes             n/a         4.0 MiB     -",
            "issue-3  \x1b[32mPASS\x1b[0m     items engine.transactions.items     1,000       1,000       0.5 items/h",
            "process  \x1b[32mPASS\x1b[0m     peak os.rss_bytes                   48.5 MiB    50.0 MiB    -",
            "",
            "growth by component (largest 3 of 4):",
            "  status_display  issue-1  18.0 MiB/h  98% of the growth",
            "  log_queue       issue-4  10.0 KiB/h  1% of the growth",
            "  signals         issue-5  2.0 KiB/h   2% of the growth",
            "",
            "verdict: \x1b[31mFAIL\x1b[0m (issue-1 failed)",
        });
}

TEST(TerminalSummary, SaysWhereAnInterruptedRunStopped) {
    harness::RunResult r;
    r.info.scenario_name = "overnight";
    r.info.scenario_file = "scenarios/overnight.json";
    r.info.seed = 7;
    r.info.allocator = "glibc";
    r.info.virtual_duration = std::chrono::hours(8);
    r.info.virtual_elapsed = std::chrono::minutes(192);
    r.info.wall_seconds = 220.2;
    r.info.acceleration = 52.34;
    r.info.interrupted = true;
    r.info.stop_reason = "interrupted by a signal";
    expect_lines(summary_lines(r, true), {
                                             "memsoak: overnight (seed 7, scenarios/overnight.json)",
                                             "3h12m virtual in 220.20 s: 52.3x, allocator glibc",
                                             "stopped after 3h12m of 8h: interrupted by a signal",
                                             "",
                                             "no budgets judged",
                                             "",
                                             "verdict: \x1b[33mNO DATA\x1b[0m",
                                         });
}

TEST(TerminalSummary, ListsEveryComponentWhenThreeOrFewerGrew) {
    harness::RunResult r = failing_day();
    r.attribution.resize(2);
    r.verdict = Verdict::pass;
    r.budgets.clear();
    const std::vector<std::string> lines = summary_lines(r, false);
    ASSERT_EQ(lines.size(), 11u);
    expect_lines({lines.begin() + 6, lines.end()}, {
                                                       "growth by component:",
                                                       "  log_queue  issue-4  10.0 KiB/h  1% of the growth",
                                                       "  chart      issue-2  512 B/h     0% of the growth",
                                                       "",
                                                       "verdict: PASS",
                                                   });
}

// Sets or clears NO_COLOR for one test and puts the caller's value back.
class NoColor {
public:
    explicit NoColor(const char* value) {
        if (const char* old = std::getenv("NO_COLOR")) saved_ = old;
        if (value != nullptr)
            ::setenv("NO_COLOR", value, 1);
        else
            ::unsetenv("NO_COLOR");
    }
    ~NoColor() {
        if (saved_)
            ::setenv("NO_COLOR", saved_->c_str(), 1);
        else
            ::unsetenv("NO_COLOR");
    }

private:
    std::optional<std::string> saved_;
};

// A pseudo-terminal: a real TTY for isatty without needing one attached to the test.
class PseudoTerminal {
public:
    PseudoTerminal() {
        primary_ = ::posix_openpt(O_RDWR | O_NOCTTY);
        if (primary_ < 0 || ::grantpt(primary_) != 0 || ::unlockpt(primary_) != 0) return;
        secondary_ = ::open(::ptsname(primary_), O_RDWR | O_NOCTTY);
    }
    ~PseudoTerminal() {
        if (secondary_ >= 0) ::close(secondary_);
        if (primary_ >= 0) ::close(primary_);
    }
    int fd() const { return secondary_; }

private:
    int primary_ = -1;
    int secondary_ = -1;
};

TEST(ShouldUseColor, OnlyOnATerminal) {
    const NoColor unset(nullptr);
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    EXPECT_FALSE(should_use_color(pipe_fds[1]));
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);

    const PseudoTerminal terminal;
    ASSERT_GE(terminal.fd(), 0) << "no pseudo-terminal available";
    EXPECT_TRUE(should_use_color(terminal.fd()));
}

TEST(ShouldUseColor, AnyNonEmptyNoColorDisablesIt) {
    const PseudoTerminal terminal;
    ASSERT_GE(terminal.fd(), 0) << "no pseudo-terminal available";
    {
        const NoColor set("1");
        EXPECT_FALSE(should_use_color(terminal.fd()));
    }
    {
        const NoColor set("false");  // the value does not matter, only that it is not empty
        EXPECT_FALSE(should_use_color(terminal.fd()));
    }
    {
        const NoColor empty("");
        EXPECT_TRUE(should_use_color(terminal.fd()));
    }
}

}  // namespace
}  // namespace memsoak::reports

namespace memsoak::reports {
namespace {

std::string plain_summary(const harness::RunResult& r) {
    std::ostringstream out;
    print_summary(out, r, TerminalStyle{false});
    return out.str();
}

TEST(TerminalSummary, ListsTheActionsThatRetainSignificantlyLargestFirst) {
    harness::RunResult r = failing_day();
    r.retention_trigger = "budget process failed on os.rss_bytes";
    r.retention = std::vector<harness::ActionRetention>{{"trade", 4, 8, 704, 156, 1252, 384, -100, 800, true},
                                                        {"log", 2000, 8, 0, 0, 0, 0, 0, 0, false},
                                                        {"refresh_chart", 4, 8, 3000816, 3000665, 3000967, 2712192,
                                                         2707595, 2716789, true}};
    const std::string text = plain_summary(r);
    EXPECT_NE(text.find("\nretained per action (probed: budget process failed on os.rss_bytes):\n"
                        "  refresh_chart  2.9 MiB per call  [2.9 MiB, 2.9 MiB]  live bytes  4 calls x 8 rounds\n"
                        "  trade          704 B per call    [156 B, 1.2 KiB]    live bytes  4 calls x 8 rounds\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("  log "), std::string::npos) << "an action retaining nothing significant is not listed";
}

TEST(TerminalSummary, SaysInOneLineWhenNoActionRetainsSignificantly) {
    harness::RunResult r = failing_day();
    r.retention = std::vector<harness::ActionRetention>{{"analyze", 4, 8, 100, -50, 250, 0, 0, 0, false}};
    EXPECT_NE(plain_summary(r).find("\nretained per action: no action retains memory significantly (largest: "
                                    "analyze 100 B per call (95% CI -50..250 B))\n"),
              std::string::npos)
        << plain_summary(r);
    EXPECT_EQ(plain_summary(failing_day()).find("retained per action"), std::string::npos);
}

}  // namespace
}  // namespace memsoak::reports
