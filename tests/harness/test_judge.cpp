#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "memsoak/harness/analysis/judge.hpp"
#include "memsoak/harness/error.hpp"

namespace memsoak::harness {
namespace {

using namespace std::chrono_literals;

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Samples every `step` from 0 to `duration` inclusive.
SampleSeries series_over(VirtualDuration duration, VirtualDuration step) {
    SampleSeries series;
    for (VirtualTime t = engine::virtual_epoch; t <= engine::virtual_epoch + duration; t += step) {
        series.times.push_back(t);
        series.purged.push_back(false);
    }
    return series;
}

// Adds a metric whose value at each sample is `value(hours since the start)`.
void add_metric(SampleSeries& series, const std::string& name, const std::function<double(double)>& value) {
    series.metrics.push_back(name);
    std::vector<double>& column = series.values.emplace_back();
    for (VirtualTime t : series.times) column.push_back(value(engine::to_hours(t.time_since_epoch())));
}

LimitSpec limit(const std::string& metric, LimitKind kind, double value) { return {metric, kind, value, "test"}; }

Ledger ledger_of(std::vector<BudgetSpec> budgets) {
    Ledger ledger;
    ledger.file = "scenarios/budgets.json";
    ledger.budgets = std::move(budgets);
    return ledger;
}

// The study's issue #1 leak and a fixed, flat chart, over 8 hours sampled every 5 minutes.
class LeakAndFlat : public testing::Test {
protected:
    LeakAndFlat() : series(series_over(8h, 5min)) {
        add_metric(series, "engine.status_display.bytes", [](double h) { return 1 * kMiB + 9.3 * kMiB * h; });
        std::mt19937_64 random(42);
        std::normal_distribution<double> noise(0, 50 * kKiB);
        add_metric(series, "engine.chart.bytes", [&](double) { return 2 * kMiB + noise(random); });
        add_metric(series, "engine.chart.items", [](double) { return 1; });
        ledger = ledger_of({
            {"issue-1",
             "status display",
             {limit("engine.status_display.bytes", LimitKind::peak, 1 * kMiB),
              limit("engine.status_display.bytes", LimitKind::growth, 64 * kKiB)}},
            {"issue-2",
             "chart",
             {limit("engine.chart.items", LimitKind::items, 1), limit("engine.chart.bytes", LimitKind::peak, 4 * kMiB),
              limit("engine.chart.bytes", LimitKind::growth, 64 * kKiB)}},
        });
    }

    SampleSeries series;
    Ledger ledger;
};

TEST_F(LeakAndFlat, LeakFailsGrowthAndPeakWhileTheFlatMetricPasses) {
    const std::vector<BudgetResult> results = judge_budgets(series, ledger, {"issue-1", "issue-2"}, 30min, {});
    ASSERT_EQ(results.size(), 2u);

    const BudgetResult& leak = results[0];
    EXPECT_EQ(leak.budget, "issue-1");
    EXPECT_EQ(leak.description, "status display");
    EXPECT_EQ(leak.verdict, Verdict::fail);
    ASSERT_EQ(leak.limits.size(), 2u);
    const LimitResult& peak = leak.limits[0];
    EXPECT_EQ(peak.verdict, Verdict::fail);
    EXPECT_DOUBLE_EQ(peak.measured, 75.4 * kMiB);  // 1 + 9.3 * 8
    EXPECT_EQ(peak.explanation, "peak 75.4 MiB exceeds 1.0 MiB");
    ASSERT_TRUE(peak.hours_to_breach.has_value());
    EXPECT_NEAR(*peak.hours_to_breach, 0.0, 1e-9);  // the fitted line starts at the limit
    const LimitResult& growth = leak.limits[1];
    EXPECT_EQ(growth.verdict, Verdict::fail);
    EXPECT_NEAR(growth.measured, 9.3 * kMiB, 1e-6 * kMiB);
    ASSERT_TRUE(growth.growth.has_value());
    EXPECT_EQ(growth.growth->samples, 91u);  // 8 h every 5 min is 97 samples, the first 6 before the 30 min warm-up
    EXPECT_NEAR(growth.growth->intercept, 1 * kMiB, 1e-6 * kMiB);
    EXPECT_EQ(growth.explanation,
              "grows 9.3 MiB/h on average (trend 9.3 MiB/h (95% CI 9.3..9.3, p<0.001)), above the 64.0 KiB/h limit");

    const BudgetResult& flat = results[1];
    EXPECT_EQ(flat.verdict, Verdict::pass);
    for (const LimitResult& result : flat.limits) EXPECT_EQ(result.verdict, Verdict::pass) << result.explanation;
    EXPECT_EQ(flat.limits[0].explanation, "peak 1 item is within 1");
    EXPECT_FALSE(flat.limits[2].growth->significant);
    EXPECT_FALSE(flat.limits[1].hours_to_breach.has_value());

    EXPECT_EQ(overall_verdict(results), Verdict::fail);
}

TEST_F(LeakAndFlat, AttributionNamesTheGrowingComponentAndItsIssue) {
    add_metric(series, "allocator.live_bytes", [](double h) { return 20 * kMiB + 10 * kMiB * h; });
    const std::vector<Attribution> attribution =
        attribute_growth(series, 30min, {{"status_display", "issue-1"}, {"chart", "issue-2"}});
    ASSERT_EQ(attribution.size(), 1u);
    EXPECT_EQ(attribution[0].component, "status_display");
    EXPECT_EQ(attribution[0].issue, "issue-1");
    EXPECT_NEAR(attribution[0].growth_bytes_per_hour, 9.3 * kMiB, 1e-6 * kMiB);
    EXPECT_NEAR(attribution[0].share, 0.93, 1e-9);
}

TEST(AttributeGrowth, SortsByGrowthAndSharesTheComponentsTotalWithoutAProcessMetric) {
    SampleSeries series = series_over(4h, 10min);
    add_metric(series, "engine.signals.bytes", [](double h) { return 1 * kMiB * h; });
    add_metric(series, "engine.status_display.bytes", [](double h) { return 3 * kMiB * h; });
    add_metric(series, "engine.transactions.items", [](double h) { return 1000 * h; });  // a count, not bytes
    const std::vector<Attribution> attribution = attribute_growth(series, 0s, {{"signals", "issue-5"}});
    ASSERT_EQ(attribution.size(), 2u);
    EXPECT_EQ(attribution[0].component, "status_display");
    EXPECT_EQ(attribution[0].issue, "");
    EXPECT_NEAR(attribution[0].share, 0.75, 1e-9);
    EXPECT_EQ(attribution[1].component, "signals");
    EXPECT_EQ(attribution[1].issue, "issue-5");
    EXPECT_NEAR(attribution[1].share, 0.25, 1e-9);
}

TEST(JudgeBudgets, PeakBelowTheLimitProjectsWhenAGrowthLimitOnItsMetricFailed) {
    SampleSeries series = series_over(8h, 5min);
    add_metric(series, "os.rss_bytes", [](double h) { return 10 * kMiB + 1 * kMiB * h; });
    const Ledger ledger = ledger_of(
        {{"process",
          "whole process",
          {limit("os.rss_bytes", LimitKind::peak, 50 * kMiB), limit("os.rss_bytes", LimitKind::growth, 64 * kKiB)}}});
    const std::vector<LimitResult> limits = judge_budgets(series, ledger, {"process"}, 0s, {})[0].limits;
    EXPECT_EQ(limits[1].verdict, Verdict::fail);
    const LimitResult& result = limits[0];
    EXPECT_EQ(result.verdict, Verdict::pass);
    ASSERT_TRUE(result.hours_to_breach.has_value());
    EXPECT_NEAR(*result.hours_to_breach, 40.0, 1e-9);
    EXPECT_EQ(result.explanation, "peak 18.0 MiB is within 50.0 MiB; at its rate 50.0 MiB is crossed after 40 h");
}

TEST(JudgeBudgets, APeakIsNotProjectedFromGrowthNoLimitJudgedAsGrowth) {
    // A structure filling up is a significant trend, but no growth limit failed: no "crossed after" alarm.
    SampleSeries series = series_over(8h, 5min);
    add_metric(series, "os.rss_bytes", [](double h) { return 10 * kMiB + 1 * kMiB * h; });
    const Ledger ledger =
        ledger_of({{"process", "whole process", {limit("os.rss_bytes", LimitKind::peak, 50 * kMiB)}}});
    const LimitResult result = judge_budgets(series, ledger, {"process"}, 0s, {})[0].limits[0];
    EXPECT_EQ(result.verdict, Verdict::pass);
    EXPECT_FALSE(result.hours_to_breach.has_value());
    EXPECT_EQ(result.explanation, "peak 18.0 MiB is within 50.0 MiB");
}

TEST(JudgeBudgets, ConfiguredWarmupExcludesAStartupBurst) {
    // A GUI freeze in the first half hour fills the log queue; it drains and stays at 200 messages.
    SampleSeries series = series_over(4h, 5min);
    add_metric(series, "engine.log_queue.items", [](double h) { return h < 0.5 ? 5000 : 200; });
    const Ledger ledger =
        ledger_of({{"issue-4", "log queue", {limit("engine.log_queue.items", LimitKind::items, 1000)}}});

    const LimitResult whole = judge_budgets(series, ledger, {"issue-4"}, 0s, {})[0].limits[0];
    EXPECT_EQ(whole.verdict, Verdict::fail);
    EXPECT_EQ(whole.explanation, "peak 5000 items exceeds 1000");
    const LimitResult after = judge_budgets(series, ledger, {"issue-4"}, 1h, {})[0].limits[0];
    EXPECT_EQ(after.verdict, Verdict::pass);
    EXPECT_EQ(after.explanation, "peak 200 items is within 1000");
}

TEST(JudgeBudgets, ConfiguredWarmupExcludesARampBeforeTheSteadyState) {
    // Rises 2 MiB/h for the first 4 hours, then holds. The ramp is half the run, more than MSER-5 may trim.
    SampleSeries series = series_over(8h, 5min);
    add_metric(series, "allocator.live_bytes", [](double h) { return 10 * kMiB + 2 * kMiB * std::min(h, 4.0); });
    const Ledger ledger =
        ledger_of({{"process", "whole process", {limit("allocator.live_bytes", LimitKind::growth, 64 * kKiB)}}});
    EXPECT_EQ(judge_budgets(series, ledger, {"process"}, 0s, {})[0].verdict, Verdict::fail);
    const LimitResult after = judge_budgets(series, ledger, {"process"}, 4h, {})[0].limits[0];
    EXPECT_EQ(after.verdict, Verdict::pass);
    EXPECT_EQ(after.explanation,
              "changes 0 B/h on average (no significant trend at alpha 0.01), within the 64.0 KiB/h limit");
}

TEST(JudgeBudgets, SignificantButSlowGrowthPasses) {
    SampleSeries series = series_over(8h, 5min);
    add_metric(series, "engine.status_display.bytes", [](double h) { return 100 * kKiB + 16 * kKiB * h; });
    const Ledger ledger = ledger_of(
        {{"issue-1", "status display", {limit("engine.status_display.bytes", LimitKind::growth, 64 * kKiB)}}});
    const LimitResult result = judge_budgets(series, ledger, {"issue-1"}, 0s, {})[0].limits[0];
    EXPECT_EQ(result.verdict, Verdict::pass);
    EXPECT_EQ(result.explanation,
              "grows 16.0 KiB/h on average (trend 16.0 KiB/h (95% CI 16.0..16.0, p<0.001)), within the 64.0 KiB/h "
              "limit");
}

TEST(JudgeBudgets, ShrinkingMetricPassesWithItsNegativeTrend) {
    SampleSeries series = series_over(8h, 5min);
    add_metric(series, "engine.signals.bytes", [](double h) { return 10 * kMiB - 1.5 * kMiB * h; });
    const Ledger ledger =
        ledger_of({{"issue-5", "signals", {limit("engine.signals.bytes", LimitKind::growth, 64 * kKiB)}}});
    const LimitResult result = judge_budgets(series, ledger, {"issue-5"}, 0s, {})[0].limits[0];
    EXPECT_EQ(result.verdict, Verdict::pass);
    EXPECT_EQ(result.explanation,
              "changes -1.5 MiB/h on average (trend -1.5 MiB/h (95% CI -1.5..-1.5, p<0.001)), within the 64.0 KiB/h "
              "limit");
}

TEST(JudgeBudgets, MissingMetricsAndSamplesAreNotMeasured) {
    SampleSeries series = series_over(2h, 30min);  // 5 samples: too few for a growth rate
    add_metric(series, "allocator.live_bytes", [](double h) { return 10 * kMiB + kMiB * h; });
    add_metric(series, "engine.chart.bytes", [](double h) { return h < 1 ? 2 * kMiB : kNaN; });
    const Ledger ledger = ledger_of({
        {"process",
         "whole process",
         {limit("os.rss_bytes", LimitKind::peak, 50 * kMiB),
          limit("allocator.unmapped_bytes", LimitKind::peak, 50 * kMiB),
          limit("allocator.live_bytes", LimitKind::growth, 1 * kMiB)}},
        {"issue-2",
         "chart",
         {limit("engine.chart.bytes", LimitKind::peak, 4 * kMiB),
          limit("allocator.live_bytes", LimitKind::peak, 50 * kMiB)}},
    });
    const std::vector<BudgetResult> results = judge_budgets(series, ledger, {"process", "issue-2"}, 1h, {});

    const std::vector<LimitResult>& process = results[0].limits;
    EXPECT_EQ(results[0].verdict, Verdict::not_measured);
    for (const LimitResult& result : process) {
        EXPECT_EQ(result.verdict, Verdict::not_measured);
        EXPECT_TRUE(std::isnan(result.measured));
    }
    EXPECT_EQ(process[0].explanation, "os.rss_bytes was not measured: the os layer was not sampled");
    EXPECT_EQ(process[1].explanation,
              "allocator.unmapped_bytes was not measured: the allocator layer has no such metric");
    EXPECT_EQ(process[2].explanation,
              "only 3 samples of allocator.live_bytes after the warm-up; a growth rate needs at least 6");

    // One limit measured and passed, one without a value after the warm-up: the budget passes.
    EXPECT_EQ(results[1].verdict, Verdict::pass);
    EXPECT_EQ(results[1].limits[0].verdict, Verdict::not_measured);
    EXPECT_EQ(results[1].limits[0].explanation, "engine.chart.bytes has no value at or after the 1h warm-up");
    EXPECT_EQ(results[1].limits[1].verdict, Verdict::pass);

    EXPECT_EQ(overall_verdict(results), Verdict::pass);
}

TEST(JudgeBudgets, UnknownBudgetIsAnError) {
    const SampleSeries series = series_over(1h, 10min);
    const Ledger ledger = ledger_of({});
    try {
        judge_budgets(series, ledger, {"issue-9"}, 0s, {});
        FAIL() << "expected harness::Error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "scenarios/budgets.json: $.budgets: expected a budget named \"issue-9\"");
    }
}

TEST(OverallVerdict, FailWinsThenPassThenNotMeasured) {
    const auto budgets = [](std::vector<Verdict> verdicts) {
        std::vector<BudgetResult> results;
        for (Verdict verdict : verdicts) results.push_back(BudgetResult{"b", "", {}, verdict});
        return results;
    };
    EXPECT_EQ(overall_verdict(budgets({Verdict::pass, Verdict::fail, Verdict::not_measured})), Verdict::fail);
    EXPECT_EQ(overall_verdict(budgets({Verdict::not_measured, Verdict::pass})), Verdict::pass);
    EXPECT_EQ(overall_verdict(budgets({Verdict::not_measured})), Verdict::not_measured);
    EXPECT_EQ(overall_verdict({}), Verdict::not_measured);
}

}  // namespace
}  // namespace memsoak::harness
