#include "memsoak/reports/html.hpp"

#include <gtest/gtest.h>

#include "support/report_fixtures.hpp"

namespace memsoak::reports {
namespace {

using fixtures::kMiB;

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
    return n;
}

// The `d` of the line whose tooltip is `title`.
std::string line_path(const std::string& page, const std::string& title) {
    const std::size_t end = page.find("\"><title>" + title + "</title>");
    const std::size_t start = page.rfind(" d=\"", end);
    if (end == std::string::npos || start == std::string::npos) return "no line " + title;
    return page.substr(start + 4, end - start - 4);
}

TEST(Html, EscapesEveryName) {
    EXPECT_EQ(html_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
              "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
    const std::string page = render_run_html(fixtures::hostile_run());
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_EQ(page.find("<b>"), std::string::npos);
    EXPECT_EQ(page.find("<i>"), std::string::npos);
    EXPECT_NE(page.find("<h1>memsoak: day &lt;script&gt;alert(1)&lt;/script&gt; &amp; co <span"), std::string::npos);
    EXPECT_NE(page.find(">issue-1 | &quot;quoted&quot; &lt;b&gt;</a><div class=\"why\">frames &amp; &lt;i&gt;more"
                        "&lt;/i&gt; &#39;kept&#39;</div>"),
              std::string::npos);
}

TEST(Html, IsOnePageThatNeedsNothingFromElsewhere) {
    const std::string page = render_run_html(fixtures::sample_run());
    EXPECT_TRUE(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"));
    EXPECT_TRUE(page.ends_with("</html>\n"));
    for (const char* external : {"<script", "<link", " src=", "@import", "url(http", "<img", "<iframe"}) {
        EXPECT_EQ(page.find(external), std::string::npos) << external;
    }
    // The only address in the page is the SVG namespace, which names the vocabulary and is never fetched.
    EXPECT_EQ(count(page, "http"), count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
}

TEST(Html, TabulatesTheVerdictPerIssue) {
    const std::string page = render_run_html(fixtures::sample_run());
    EXPECT_NE(page.find("<title>memsoak: production-day (fail)</title>"), std::string::npos);
    EXPECT_NE(page.find("<h1>memsoak: production-day <span class=\"badge fail\">FAIL</span></h1><p class=\"sub\">2h "
                        "virtual in 0.50 s wall (14,400x), seed 42, allocator mimalloc; leaky behaviour switched on: "
                        "issue-1</p>"),
              std::string::npos);
    EXPECT_NE(page.find("<tr><td><a href=\"#budget-issue-1\">issue-1</a><div class=\"why\">Status display must not "
                        "retain analysis frames</div></td><td><span class=\"badge fail\">FAIL</span></td><td><code>"
                        "peak engine.status_display.bytes</code><div class=\"why\">peak 8.0 MiB exceeds 1.0 MiB</div>"
                        "</td><td class=\"num\">8.0 MiB</td><td class=\"num\">1.0 MiB</td><td class=\"num\" title=\""
                        "4.0 MiB/h (95% CI 3.9 MiB/h..4.1 MiB/h)\">4.0 MiB/h</td></tr>"),
              std::string::npos);
    EXPECT_NE(page.find("<span class=\"badge pass\">PASS</span>"), std::string::npos);
    EXPECT_NE(page.find("<span class=\"badge none\">NOT MEASURED</span>"), std::string::npos);
    EXPECT_NE(page.find("<tr><td><code>status_display</code></td><td>issue-1</td><td class=\"num\">4.0 MiB/h</td><td>"
                        "<span class=\"share\" style=\"width:160px\"></span>80.0%</td></tr>"),
              std::string::npos);
    EXPECT_NE(page.find("<dt>memsoak</dt><dd>0.1.0 (commit 47d1dc38d502, RelWithDebInfo)</dd>"), std::string::npos);
    EXPECT_NE(page.find("<dt>samples</dt><dd>9 (1 after an allocator purge)</dd>"), std::string::npos);
}

TEST(Html, DrawsEachBudgetedMetricWithItsLimitAndTrend) {
    const std::string page = render_run_html(fixtures::sample_run());
    // Budget charts: the status display (issue-1) and the chart's figures (issue-2); issue-3's metric was not
    // sampled. Layer charts: os, allocator, engine bytes.
    EXPECT_EQ(count(page, "<svg class=\"chart\""), 5u);
    EXPECT_NE(page.find("<h4><code>engine.transactions.items</code></h4><p>Not sampled in this run.</p>"),
              std::string::npos);
    EXPECT_NE(page.find(">issue-1 peak limit 1.0 MiB</text>"), std::string::npos);
    EXPECT_NE(page.find(">issue-2 items limit 1</text>"), std::string::npos);
    // Plot area x 76..944 for 0..2 h, y 226..12 for 0..8 MiB (the largest value; ticks every 2 MiB). The trend
    // 4 MiB/h from the intercept 0 runs from the end of the warm-up (0.5 h, 2 MiB) to the end (2 h, 8 MiB).
    EXPECT_NE(page.find("<line class=\"trend\" stroke=\"#6a3d9a\" x1=\"293.0\" y1=\"172.5\" x2=\"944.0\" y2=\"12.0\">"
                        "<title>trend after warm-up: 4.0 MiB/h (95% CI 3.9 MiB/h..4.1 MiB/h)</title></line>"),
              std::string::npos);
    for (const char* tick : {">0</text>", ">2 MiB</text>", ">4 MiB</text>", ">6 MiB</text>", ">8 MiB</text>"}) {
        EXPECT_NE(page.find(tick), std::string::npos) << tick;
    }
    // A 1 MiB limit is 1/8 of the way up: y = 226 - 214 / 8.
    EXPECT_NE(page.find("y1=\"199.2\" x2=\"944\" y2=\"199.2\"><title>issue-1 peak limit 1.0 MiB"), std::string::npos);
    // Nine samples on a straight line: the first, the last and the inner points are kept (none is on a flat run).
    EXPECT_EQ(line_path(page, "engine.status_display.bytes"),
              "M76,226 184.5,199.3 293,172.5 401.5,145.8 510,119 618.5,92.3 727,65.5 835.5,38.8 944,12");
    // The checkpoint before the 1-hour sample, as a tick at the foot of the plot.
    EXPECT_NE(page.find("d=\"M510.0,226v-6\"><title>allocator purged before the sample (1 checkpoint)</title>"),
              std::string::npos);
    EXPECT_NE(page.find("<rect class=\"warmup\" x=\"76\" y=\"12\" width=\"217.0\" height=\"214\">"), std::string::npos);
}

TEST(Html, ShowsTheDiagnosisAndTheHeapSitesThatGrew) {
    harness::RunResult run = fixtures::sample_run();
    harness::LayerDiagnosis diagnosis;
    diagnosis.kind = harness::GrowthClass::retention;
    diagnosis.explanation = "retention: live bytes grow 4.0 MiB/h";
    diagnosis.layers.push_back(
        {"allocator.live_bytes", false, harness::Growth{4 * kMiB, 3 * kMiB, 5 * kMiB, 0, 1e-9, true, 9}, true});
    run.diagnosis = diagnosis;
    harness::HeapProfileFindings heap;
    heap.interval = std::chrono::hours(1);
    heap.directory = "day.heap";
    heap.profiles = {"a.heap", "b.heap"};
    heap.total_growth_bytes = 6 * kMiB;
    harness::HeapSite& site = heap.sites.emplace_back();
    site.function = "operator<<";
    site.callers = {"Analyzer::analyze"};
    site.bytes = 5 * kMiB;
    run.heap_profile = heap;
    const std::string page = render_run_html(run);
    EXPECT_NE(page.find("<p><strong>Diagnosis:</strong> retention: live bytes grow 4.0 MiB/h</p>"), std::string::npos);
    EXPECT_NE(page.find("<tr><td><code>allocator.live_bytes</code></td><td class=\"num\">4.0 MiB/h</td><td>3.0 MiB/h.."
                        "5.0 MiB/h</td><td><span class=\"badge fail\">grows</span></td></tr>"),
              std::string::npos);
    EXPECT_NE(page.find("first to last of 2 profiles (every 1h, in <code>day.heap</code>): 6.0 MiB in all."),
              std::string::npos);
    EXPECT_NE(page.find("<tr><td class=\"num\">5.0 MiB</td><td><code>operator&lt;&lt;</code> <span class=\"sub\">"
                        "&larr;</span> <code>Analyzer::analyze</code></td></tr>"),
              std::string::npos);
}

TEST(Html, ReducesALongSeriesWithoutLosingItsPeak) {
    harness::RunResult run = fixtures::sample_run();
    run.samples.metrics = {"engine.status_display.bytes"};
    run.samples.values = {{}};
    run.samples.times.clear();
    run.samples.purged.clear();
    constexpr int kSamples = 20000;
    for (int i = 0; i < kSamples; ++i) {
        run.samples.times.push_back(harness::VirtualTime{std::chrono::milliseconds(360 * i)});
        run.samples.purged.push_back(false);
        run.samples.values[0].push_back(i == 12345 ? 8 * kMiB : kMiB + (i % 7) * 1024);
    }
    run.budgets = {run.budgets[0]};
    const std::string path = line_path(render_run_html(run), "engine.status_display.bytes");
    const std::size_t points = count(path, ",");
    EXPECT_LE(points, 4u * 868 + 2) << "at most four points per pixel column";
    EXPECT_GT(points, 868u);
    EXPECT_NE(path.find(",12 "), std::string::npos) << "the single 8 MiB sample reaches the top of the plot";
}

TEST(Html, RendersASuiteWithASectionPerRun) {
    const std::string page = render_suite_html(fixtures::sample_suite(), "nightly reports");
    EXPECT_NE(page.find("<h1>memsoak suite: nightly <span class=\"badge fail\">FAIL</span></h1>"), std::string::npos);
    EXPECT_NE(page.find("<p class=\"sub\">3 of 3 planned runs from scenarios/nightly.json; exit code 3</p>"),
              std::string::npos);
    EXPECT_NE(page.find("<tr><td><a href=\"#run-production-day\">production-day</a></td><td><span class=\"badge "
                        "fail\">budget failed</span></td><td>issue-1</td><td class=\"num\">2h</td><td class=\"num\">"
                        "0.25 s</td><td><a href=\"nightly%20reports/production-day.json\">report</a> <a href=\""
                        "nightly%20reports/production-day.log\">log</a></td></tr>"),
              std::string::npos);
    // A run that passed is folded; one that did not is open; a crash says why there is nothing to show.
    EXPECT_NE(page.find("<details class=\"run\" id=\"run-gui-hour\"><summary>"), std::string::npos);
    EXPECT_NE(page.find("<details class=\"run\" id=\"run-production-day\" open><summary>"), std::string::npos);
    EXPECT_NE(page.find("<details class=\"run\" id=\"run-overnight\" open><summary>overnight <span class=\"badge "
                        "fail\">crashed (signal 11)</span></summary><p class=\"banner bad\">no report written; see "
                        "overnight.log</p></details>"),
              std::string::npos);
    // Each run's ids carry its prefix, so that two runs' charts and anchors do not collide.
    EXPECT_NE(page.find("id=\"run-production-day-budget-issue-1\""), std::string::npos);
    EXPECT_NE(page.find("id=\"run-gui-hour-budget-issue-2\""), std::string::npos);
    EXPECT_NE(page.find("<clipPath id=\"run-production-day-chart1-plot\">"), std::string::npos);
    EXPECT_NE(page.find("<clipPath id=\"run-gui-hour-chart1-plot\">"), std::string::npos);
}

TEST(Html, SaysWhichShardsAreMissingFromAMerge) {
    SuiteReport suite = fixtures::sample_suite();
    suite.merged = true;
    suite.shard_count = 3;
    suite.shards = {1, 3};
    suite.planned_runs = 5;
    const std::string page = render_suite_html(suite, "");
    EXPECT_NE(page.find("<p class=\"banner bad\">Shard 2 of 3 missing: 2 runs did not report.</p>"), std::string::npos);
    EXPECT_NE(page.find("<a href=\"production-day.json\">report</a>"), std::string::npos);
}

TEST(Html, ComparesWithABaselineAndDrawsBothRuns) {
    harness::RunResult fixed = fixtures::sample_run();
    for (double& v : fixed.samples.values[2]) v = 1024;
    fixed.budgets[0].limits[0].measured = 1024;
    fixed.budgets[0].limits[0].verdict = harness::Verdict::pass;
    fixed.budgets[0].limits[1].growth = harness::Growth{0, 0, 0, 1024, 1, false, 7};
    fixed.budgets[0].limits[0].growth = fixed.budgets[0].limits[1].growth;
    Comparison comparison;
    comparison.scenarios.push_back(compare_runs(fixed, fixtures::sample_run(), CompareOptions{}));
    const std::string page = render_comparison_html(comparison);
    EXPECT_NE(page.find("<h1>memsoak compare <span class=\"badge fail\">REGRESSED</span></h1>"), std::string::npos);
    EXPECT_NE(page.find("<td class=\"num\">1.0 KiB</td><td class=\"num\">8.0 MiB</td><td class=\"num\">+8.0 MiB</td>"),
              std::string::npos);
    EXPECT_NE(page.find("<h4><code>engine.status_display.bytes</code></h4><svg"), std::string::npos);
    EXPECT_NE(page.find("<title>baseline</title>"), std::string::npos);
    EXPECT_NE(page.find("<title>candidate</title>"), std::string::npos);
}

}  // namespace
}  // namespace memsoak::reports
