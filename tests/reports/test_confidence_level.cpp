// The confidence level of a growth interval is rendered as configured, not as a literal "95%".

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "memsoak/harness/analysis/statistics.hpp"
#include "memsoak/reports/compare.hpp"
#include "memsoak/reports/html.hpp"
#include "memsoak/reports/junit.hpp"
#include "support/report_fixtures.hpp"

namespace memsoak::reports {
namespace {

using fixtures::kMiB;

// sample_run with every growth fitted at `confidence`.
harness::RunResult run_at_level(double confidence, double slope_mib) {
    harness::RunResult r = fixtures::sample_run();
    for (harness::BudgetResult& budget : r.budgets) {
        for (harness::LimitResult& limit : budget.limits) {
            if (!limit.growth) continue;
            limit.growth->slope_per_hour = slope_mib * kMiB;
            limit.growth->ci_low_per_hour = (slope_mib - 0.1) * kMiB;
            limit.growth->ci_high_per_hour = (slope_mib + 0.1) * kMiB;
            limit.growth->confidence = confidence;
        }
    }
    return r;
}

TEST(ConfidenceLevel, FitGrowthRecordsTheLevelItWasFittedAt) {
    const std::vector<double> hours{0, 1, 2, 3, 4, 5, 6, 7};
    const std::vector<double> values{0, 1, 2, 3, 4, 5, 6, 7};
    EXPECT_DOUBLE_EQ(harness::fit_growth(hours, values, 0.01, 0.9).confidence, 0.9);
    EXPECT_DOUBLE_EQ(harness::fit_growth(hours, values).confidence, 0.95);
}

TEST(ConfidenceLevel, JUnitNamesTheConfiguredLevel) {
    const std::string xml = render_run_junit(run_at_level(0.9, 4));
    EXPECT_NE(xml.find("growth 4.0 MiB/h (90% CI 3.9 MiB/h..4.1 MiB/h)"), std::string::npos) << xml;
    EXPECT_EQ(xml.find("(95% CI 3.9 MiB/h"), std::string::npos) << xml;
}

TEST(ConfidenceLevel, CompareNamesTheConfiguredLevel) {
    Comparison comparison;
    comparison.scenarios.push_back(compare_runs(run_at_level(0.9, 4), run_at_level(0.9, 40), CompareOptions{}));
    const ScenarioComparison& s = comparison.scenarios.front();
    ASSERT_FALSE(s.limits.empty());
    const auto growth_row = std::find_if(s.limits.begin(), s.limits.end(),
                                         [](const LimitComparison& l) { return l.kind == harness::LimitKind::growth; });
    ASSERT_NE(growth_row, s.limits.end());
    EXPECT_NE(growth_row->reason.find("growth 4.0 MiB/h -> 40.0 MiB/h, 90% intervals 3.9 MiB/h..4.1 MiB/h and "
                                      "39.9 MiB/h..40.1 MiB/h apart by more than"),
              std::string::npos)
        << growth_row->reason;
    std::ostringstream out;
    print_comparison(out, comparison, TerminalStyle{false});
    EXPECT_NE(out.str().find("between the 90% intervals\n"), std::string::npos) << out.str();
    EXPECT_EQ(out.str().find("95%"), std::string::npos) << out.str();
    const std::string page = render_comparison_html(comparison);
    EXPECT_NE(page.find("growth changes when the two 90% intervals are apart"), std::string::npos);
}

TEST(ConfidenceLevel, HtmlDiagnosisTableNamesTheLayersLevel) {
    harness::RunResult run = run_at_level(0.9, 4);
    harness::LayerDiagnosis diagnosis;
    diagnosis.explanation = "retention";
    harness::LayerTrend trend;
    trend.metric = "engine.total_bytes";
    trend.growth = run.budgets[0].limits[1].growth;
    diagnosis.layers.push_back(trend);
    run.diagnosis = diagnosis;
    const std::string page = render_run_html(run);
    EXPECT_NE(page.find("<th>90% CI</th>"), std::string::npos);
    EXPECT_EQ(page.find("<th>95% CI</th>"), std::string::npos);
}

}  // namespace
}  // namespace memsoak::reports
