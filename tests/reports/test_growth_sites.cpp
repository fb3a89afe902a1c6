// A sampled heap's growth sites in the report formats: the JSON round trip (and reports without the new fields),
// the JUnit failure text of a whole-process limit, and the HTML flame graph.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "memsoak/reports/error.hpp"
#include "memsoak/reports/html.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/junit.hpp"
#include "support/report_fixtures.hpp"

namespace memsoak::reports {
namespace {

using fixtures::kMiB;

harness::HeapProfileFindings sampled_findings() {
    harness::HeapProfileFindings h;
    h.mode = "sampled";
    h.total_growth_bytes = 92 * kMiB;
    h.sample_period_bytes = 524288;
    h.reads = 93;
    h.window = std::chrono::hours(23);
    h.source = "/opt/memsoak/memsoak-tcmalloc";
    h.trigger = "budget process failed on os.rss_bytes and no engine component explains the growth (untracked_leak)";
    h.collapsed_file = "day.growth.collapsed";
    harness::HeapSite& site = h.sites.emplace_back();
    site.function = "memsoak::engine::LeakInjector::leak_per_call";
    site.file = "engine/src/leak_injector.cpp";
    site.line = 129;
    site.callers = {"memsoak::engine::LeakInjector::on"};
    site.caller_locations = {"engine/src/leak_injector.cpp:119"};
    site.bytes = 92 * kMiB;
    site.rate_bytes_per_hour = 4 * kMiB;
    site.signature = "e5e76c20ff08d85c";
    h.stacks.push_back(
        {{"main (memsoak_main.cpp:102)", "memsoak::engine::LeakInjector::leak_per_call (leak_injector.cpp:129)"},
         90 * kMiB});
    h.stacks.push_back(
        {{"main (memsoak_main.cpp:102)", "memsoak::engine::Chart <draw> & \"x\" (chart.cpp:40)"}, 2 * kMiB});
    return h;
}

// The sample run with its process budget failing on the resident set, and a sampled heap.
harness::RunResult failing_run() {
    harness::RunResult run = fixtures::sample_run();
    harness::BudgetResult process;
    process.budget = "process";
    process.verdict = harness::Verdict::fail;
    process.limits.push_back(fixtures::limit("os.rss_bytes", harness::LimitKind::peak, 50 * kMiB, 117 * kMiB,
                                             harness::Verdict::fail, "peak 117.0 MiB exceeds 50.0 MiB"));
    run.budgets.push_back(process);
    run.heap_profile = sampled_findings();
    return run;
}

TEST(GrowthSites, RoundTripThroughJson) {
    const harness::RunResult run = failing_run();
    const nlohmann::json written = to_json(run);
    const nlohmann::json& heap = written["heap_profile"];
    EXPECT_EQ(heap["mode"], "sampled");
    EXPECT_EQ(heap["sites"][0]["signature"], "e5e76c20ff08d85c");
    EXPECT_EQ(heap["sites"][0]["line"], 129);
    EXPECT_FALSE(heap.contains("directory"));  // the full profiles' fields only in full mode
    const harness::RunResult read = run_result_from_json(written, "day.json");
    ASSERT_TRUE(read.heap_profile);
    EXPECT_EQ(read.heap_profile->sites[0].caller_locations, run.heap_profile->sites[0].caller_locations);
    EXPECT_EQ(read.heap_profile->stacks.size(), 2u);
    EXPECT_EQ(to_json(read), written);
}

TEST(GrowthSites, AReportWithoutModeIsAFullProfilesAndAnUnknownModeIsRejected) {
    harness::RunResult run = fixtures::sample_run();
    harness::HeapProfileFindings full;
    full.directory = "day.heap";
    full.profiles = {"a.heap", "b.heap"};
    full.total_growth_bytes = kMiB;
    run.heap_profile = full;
    nlohmann::json written = to_json(run);
    written["heap_profile"].erase("mode");  // written before sampled heaps existed
    const harness::RunResult read = run_result_from_json(written, "day.json");
    EXPECT_EQ(read.heap_profile->mode, "full");
    EXPECT_EQ(read.heap_profile->directory, "day.heap");
    written["heap_profile"]["mode"] = "guessed";
    try {
        run_result_from_json(written, "day.json");
        FAIL() << "accepted mode \"guessed\"";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("day.json: $.heap_profile.mode: expected \"full\" or \"sampled\""),
                  std::string::npos)
            << e.what();
    }
}

TEST(GrowthSites, TheJunitFailureOfAWholeProcessLimitNamesTheTopSite) {
    const std::string xml = render_run_junit(failing_run());
    EXPECT_NE(xml.find("grows at memsoak::engine::LeakInjector::leak_per_call (engine/src/leak_injector.cpp:129), "
                       "4.0 MiB/h (92.0 MiB sampled), signature e5e76c20ff08d85c"),
              std::string::npos)
        << xml;
    // issue-1's failure is the status display's, not a whole-process limit: no site there.
    EXPECT_EQ(xml.find("grows at"), xml.rfind("grows at"));
}

TEST(GrowthSites, TheHtmlHasTheSitesAndAFlameGraphWithEscapedFrames) {
    const std::string page = render_run_html(failing_run());
    EXPECT_NE(page.find(
                  "<strong>Growth sites</strong> (heap sampled every 512.0 KiB, 93 reads over 23h): 92.0 MiB "
                  "in all. Re-run of the same scenario and seed under <code>/opt/memsoak/memsoak-tcmalloc</code>"),
              std::string::npos);
    EXPECT_NE(page.find("<code>e5e76c20ff08d85c</code>"), std::string::npos);
    const std::size_t svg = page.find("<svg class=\"flame\"");
    ASSERT_NE(svg, std::string::npos);
    const std::string flame = page.substr(svg, page.find("</svg>", svg) - svg);
    // main spans the whole width; the leak 90 of 92 MiB of it.
    EXPECT_NE(flame.find("<title>main (memsoak_main.cpp:102) (92.0 MiB, 100.0%)</title><rect x=\"0.00\""),
              std::string::npos)
        << flame;
    EXPECT_NE(flame.find("(90.0 MiB, 97.8%)"), std::string::npos) << flame;
    EXPECT_NE(flame.find("Chart &lt;draw&gt; &amp; &quot;x&quot;"), std::string::npos) << flame;
    EXPECT_EQ(flame.find("<draw>"), std::string::npos);
}

}  // namespace
}  // namespace memsoak::reports
