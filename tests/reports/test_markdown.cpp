#include "memsoak/reports/markdown.hpp"

#include <gtest/gtest.h>

#include "support/report_fixtures.hpp"

namespace memsoak::reports {
namespace {

TEST(Markdown, SummarisesARunInOneTable) {
    EXPECT_EQ(render_run_markdown(fixtures::sample_run()),
              "### memsoak: production-day ❌ fail\n"
              "\n"
              "2h virtual in 0.50 s (14,400x), seed 42, allocator mimalloc; leaky: issue-1\n"
              "\n"
              "| budget | verdict | deciding limit | measured | limit | growth |\n"
              "|---|---|---|---:|---:|---|\n"
              "| issue-1 | ❌ fail | peak engine.status\\_display.bytes | 8.0 MiB | 1.0 MiB | 4.0 MiB/h |\n"
              "| issue-2 | ✅ pass | items engine.chart.items | 1 | 1 | - |\n"
              "| issue-3 | ⚪ not measured | items engine.transactions.items | n/a | 1,000 | - |\n"
              "\n"
              "- **issue-1** peak engine.status\\_display.bytes: peak 8.0 MiB exceeds 1.0 MiB\n"
              "- **issue-1** growth engine.status\\_display.bytes: grows 4.0 MiB/h (95% CI 3.9..4.1, p&lt;0.001), "
              "above the 64.0 KiB/h limit\n"
              "- grew most: status\\_display (issue-1) at 4.0 MiB/h\n");
}

TEST(Markdown, EscapesCellsSoThatNamesCannotBreakTheTableOrInjectHtml) {
    EXPECT_EQ(markdown_escape("a|b <script>&\n*x* `y` [z](u) #h _i_ \\"),
              "a\\|b &lt;script&gt;&amp; \\*x\\* \\`y\\` \\[z\\](u) \\#h \\_i\\_ \\\\");
    const std::string md = render_run_markdown(fixtures::hostile_run());
    EXPECT_EQ(md.find("<script>"), std::string::npos);
    EXPECT_NE(md.find("| issue-1 \\| \"quoted\" &lt;b&gt; | ❌ fail |"), std::string::npos) << md;
}

TEST(Markdown, ListsEveryRunOfASuiteAndWhyItDidNotPass) {
    EXPECT_EQ(render_suite_markdown(fixtures::sample_suite()),
              "### memsoak suite: nightly ❌ fail\n"
              "\n"
              "3 of 3 planned runs, exit code 3\n"
              "\n"
              "| run | outcome | failed budgets | virtual | wall |\n"
              "|---|---|---|---:|---:|\n"
              "| production-day | ❌ budget failed | issue-1 | 2h | 0.25 s |\n"
              "| gui-hour | ✅ pass | - | 2h | 0.25 s |\n"
              "| overnight | ❌ crashed (signal 11) | - | - | 0.25 s |\n"
              "\n"
              "- production-day **issue-1** peak engine.status\\_display.bytes: peak 8.0 MiB exceeds 1.0 MiB\n"
              "- production-day **issue-1** growth engine.status\\_display.bytes: grows 4.0 MiB/h (95% CI 3.9..4.1, "
              "p&lt;0.001), above the 64.0 KiB/h limit\n"
              "- overnight: no report written; see overnight.log\n");
}

TEST(Markdown, ListsOnlyTheLimitsThatChanged) {
    harness::RunResult baseline = fixtures::sample_run();
    baseline.budgets[1].limits[0].measured = 1;
    harness::RunResult candidate = fixtures::sample_run();
    candidate.budgets[1].limits[0].measured = 40;
    Comparison comparison;
    comparison.scenarios.push_back(compare_runs(baseline, candidate, CompareOptions{}));
    EXPECT_EQ(render_comparison_markdown(comparison),
              "### memsoak compare: ❌ 1 regression\n"
              "\n"
              "| scenario | budget | limit | baseline | candidate | status | why |\n"
              "|---|---|---|---:|---:|---|---|\n"
              "| production-day | issue-2 | items engine.chart.items | 1 | 40 | ❌ regressed | peak 1 -&gt; 40, +39 "
              "beyond the 10 tolerance |\n"
              "\n"
              "1 scenario compared; 3 limits unchanged within tolerance.\n");
}

}  // namespace
}  // namespace memsoak::reports
