// The growth model for leaks nobody named (issue 11): levels instead of pairwise slopes for staircases and ramps,
// plateaus for bounded fills, and the rule that turns a fixed engine's runs into a calibrated limit.

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "memsoak/harness/analysis/calibration.hpp"
#include "memsoak/harness/analysis/judge.hpp"
#include "memsoak/harness/analysis/statistics.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/runner.hpp"

namespace memsoak::harness {
namespace {

using namespace std::chrono_literals;
constexpr double kKiB = 1024.0, kMiB = 1024.0 * 1024.0;

std::vector<double> hours_every(double step, double until) {
    std::vector<double> x;
    for (double h = 0; h <= until + 1e-9; h += step) x.push_back(h);
    return x;
}

// A std::vector that grows `rate` bytes an hour from hour 0 and doubles its capacity when full: what the
// allocator sees of it (its capacity).
double staircase(double hours, double rate, double first_capacity = 4096) {
    double capacity = first_capacity;
    while (capacity < rate * hours) capacity *= 2;
    return capacity;
}

Growth growth_of(const std::vector<double>& x, const std::vector<double>& y, double level_hours = 0) {
    Growth g = fit_growth(x, y);
    const LevelShape shape = level_shape(x, y, level_hours);
    g.mean_rate_per_hour = shape.mean_rate;
    g.tail_rate_per_hour = shape.tail_rate;
    g.rise = shape.rise;
    return g;
}

TEST(LevelShape, ALinearLeakReadsItsRateInTheMeanAndTheTail) {
    const std::vector<double> x = hours_every(1.0 / 60, 24);
    std::vector<double> y;
    for (double h : x) y.push_back(10 * kMiB + 16 * kKiB * h);
    const LevelShape shape = level_shape(x, y);
    EXPECT_NEAR(shape.mean_rate, 16 * kKiB, 1e-6 * kKiB);
    EXPECT_NEAR(shape.tail_rate, 16 * kKiB, 1e-6 * kKiB);
}

TEST(LevelShape, AStaircaseReadsNearItsTrueRateWhereTheilSenReadsItsTreads) {
    // The issue's case: 1.57 MiB/h held in a vector, a 24-hour day judged after a 1-hour warm-up.
    const double rate = 1.57 * kMiB;
    std::vector<double> x, y;
    for (double h : hours_every(1.0 / 60, 24)) {
        if (h < 1) continue;
        x.push_back(h);
        y.push_back(8 * kMiB + staircase(h, rate));
    }
    const Growth g = growth_of(x, y);
    EXPECT_GT(g.mean_rate_per_hour, 0.85 * rate);  // the capacity is at least the size: never far below the truth
    EXPECT_GT(g.tail_rate_per_hour, 0.5 * rate);   // a doubling container always steps up in the second half
    const GrowthJudgement judged = judge_growth_rate(g, 1 * kMiB, 10 * kMiB);
    EXPECT_FALSE(judged.plateau);
    EXPECT_TRUE(judged.exceeded);
}

TEST(LevelShape, ABoundedFillHasAFlatTailAndItsRise) {
    // 5 MiB filled over the first third of a 2-hour run, then flat.
    std::vector<double> x = hours_every(1.0 / 60, 2), y;
    for (double h : x) y.push_back(7 * kMiB + 5 * kMiB * std::min(h, 2.0 / 3) * 1.5);
    const Growth g = growth_of(x, y);
    EXPECT_NEAR(g.rise, 5 * kMiB, 0.2 * kMiB);  // from the median of the first 3 points, 1 minute in
    EXPECT_NEAR(g.tail_rate_per_hour, 0, 1);
    EXPECT_GT(g.slope_per_hour, 64 * kKiB);  // the ramp sets the pairwise slope: the old false alarm

    const GrowthJudgement with_allowance = judge_growth_rate(g, 64 * kKiB, 8 * kMiB);
    EXPECT_TRUE(with_allowance.plateau);
    EXPECT_FALSE(with_allowance.exceeded);
    const GrowthJudgement without = judge_growth_rate(g, 64 * kKiB, std::nullopt);
    EXPECT_FALSE(without.plateau);
    EXPECT_TRUE(without.exceeded);
    // A plateau larger than the allowance (13 MiB leaked by an action that stopped) fails.
    EXPECT_TRUE(judge_growth_rate(g, 64 * kKiB, 4 * kMiB).exceeded);
}

TEST(LevelShape, ASteadyLeakOnTopOfAFillIsNotAPlateau) {
    std::vector<double> x = hours_every(1.0 / 60, 24), y;
    for (double h : x) y.push_back(5 * kMiB * std::min(h / 4, 1.0) + 16 * kKiB * h);
    const GrowthJudgement judged = judge_growth_rate(growth_of(x, y), 8 * kKiB, 10 * kMiB);
    EXPECT_FALSE(judged.plateau);
    EXPECT_TRUE(judged.exceeded);
}

TEST(LevelShape, ALevelSpanningTheWorkloadCycleAveragesAPeriodicSwing) {
    // An overlay toggled every 3 hours swings the heap by 80 KiB with a 6-hour period; nothing grows.
    std::vector<double> x, y;
    for (double h : hours_every(1.0 / 60, 24)) {
        if (h < 1) continue;
        x.push_back(h);
        y.push_back(8 * kMiB + (std::fmod(h + 1.5, 6.0) < 3 ? 80 * kKiB : 0));
    }
    EXPECT_GT(std::fabs(level_shape(x, y).mean_rate), 1 * kKiB);     // a tenth of the window picks a phase
    EXPECT_LT(std::fabs(level_shape(x, y, 6).mean_rate), 1 * kKiB);  // whole cycles average out
}

TEST(JudgeGrowthRate, TheDetectionLimitIsTheLimitLessTheMeanRate) {
    Growth g;
    g.mean_rate_per_hour = 300;
    g.tail_rate_per_hour = 200;
    g.rise = 6000;
    g.significant = false;
    const GrowthJudgement judged = judge_growth_rate(g, 1400, std::nullopt);
    EXPECT_FALSE(judged.exceeded);
    EXPECT_DOUBLE_EQ(judged.rate, 300);
    EXPECT_DOUBLE_EQ(judged.detection_limit, 1100);
    // A significant trend's slope counts when it is the larger.
    g.significant = true;
    g.slope_per_hour = 2000;
    EXPECT_TRUE(judge_growth_rate(g, 1400, std::nullopt).exceeded);
}

TEST(CalibrateLimit, PredictionBoundAboveTheNullDistribution) {
    // 30 runs, mean 1000, sd ~ 100: bound = mean + t(29, 0.999) * sd * sqrt(1 + 1/30), t = 3.396.
    std::vector<NullSample> samples;
    for (int i = 0; i < 30; ++i) samples.push_back({1000.0 + (i % 2 == 0 ? 100.0 : -100.0), 0});
    const CalibratedLimit limit = calibrate_limit("allocator.live_bytes", samples, 0.001, 10);
    EXPECT_NEAR(limit.mean, 1000, 1e-9);
    EXPECT_NEAR(limit.sd, 100 * std::sqrt(30.0 / 29), 1e-9);
    EXPECT_NEAR(limit.limit, 1000 + 3.396 * limit.sd * std::sqrt(1 + 1.0 / 30), 1.0);
    EXPECT_EQ(limit.decided_by, "rate");
    EXPECT_DOUBLE_EQ(limit.floor, 1100);
}

TEST(CalibrateLimit, ADeterministicNullGetsTheMinimumMarginAndANoisyTailTheTailTerm) {
    const CalibratedLimit flat = calibrate_limit("allocator.live_bytes", {{100, 0}, {100, 0}, {100, 0}}, 0.001, 1024);
    EXPECT_DOUBLE_EQ(flat.limit, 100 + 1024.0);
    EXPECT_EQ(flat.decided_by, "margin");
    // A tail of up to 900 B/h must stay under half the heap limit so that a fill on top still reads as a plateau.
    const CalibratedLimit tail = calibrate_limit("allocator.live_bytes", {{100, 900}, {100, 900}}, 0.001, 10);
    EXPECT_DOUBLE_EQ(tail.limit, 1800);
    EXPECT_EQ(tail.decided_by, "tail");
    EXPECT_THROW(calibrate_limit("allocator.live_bytes", {{1, 1}}, 0.001, 10), Error);
}

Scenario scenario_named(const std::string& name, const std::string& duration = "24h") {
    return parse_scenario(nlohmann::json::parse(R"({"schema_version": 1, "name": ")" + name + R"(", "duration": ")" +
                                                duration + R"(", "seed": 1,
        "sample_interval": "1m", "warmup": "1h", "workload": [{"action": "tick", "every": "1m"}],
        "budgets": ["process"]})"),
                          "s.json");
}

Ledger calibrated_ledger() {
    return parse_ledger(nlohmann::json::parse(R"({"schema_version": 1, "calibration": "calibration.json",
        "budgets": {"process": {"limits": [{"metric": "allocator.live_bytes", "growth": "calibrated",
                                            "fill": "10 MiB"}]}}})"),
                        "dir/budgets.json");
}

TEST(ResolveCalibratedLimits, SetsTheLimitAndSaysWhereItCameFrom) {
    const Scenario scenario = scenario_named("day");
    CalibrationFile file;
    file.file = "dir/calibration.json";
    const CalibratedLimit calibrated =
        calibrate_limit("allocator.live_bytes", {{100, 0}, {120, 0}, {110, 0}, {115, 0}}, 0.001, 1024);
    file.put({"day", "mimalloc", scenario.fingerprint, {1, 2, 3, 4}, {calibrated}});
    Ledger ledger = calibrated_ledger();
    EXPECT_EQ(ledger.calibration_file, std::filesystem::path("dir/calibration.json"));
    EXPECT_TRUE(std::isnan(ledger.budgets[0].limits[0].limit));
    resolve_calibrated_limits(ledger, scenario, "mimalloc", file);
    const LimitSpec& limit = ledger.budgets[0].limits[0];
    ASSERT_TRUE(limit.calibration.has_value());
    EXPECT_DOUBLE_EQ(limit.limit, calibrated.limit);
    EXPECT_GE(limit.limit, 120 + 1024.0);
    EXPECT_DOUBLE_EQ(limit.calibration->floor, 120);
    EXPECT_DOUBLE_EQ(limit.calibration->margin, calibrated.limit - 120);
    EXPECT_EQ(limit.calibration->runs, 4u);

    // Another allocator, or a scenario changed since, is refused with the command that fixes it.
    Ledger other = calibrated_ledger();
    try {
        resolve_calibrated_limits(other, scenario, "tcmalloc", file);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(),
                     "dir/budgets.json: $.budgets.process.limits[0]: calibrated limit on allocator.live_bytes: "
                     "dir/calibration.json has no calibration for scenario \"day\" under the tcmalloc "
                     "allocator; run `memsoak calibrate s.json` with the build of that allocator");
    }
    const Scenario longer = scenario_named("day", "48h");
    EXPECT_NE(longer.fingerprint, scenario.fingerprint);
    EXPECT_THROW(resolve_calibrated_limits(other, longer, "mimalloc", file), Error);
}

TEST(ScenarioFingerprint, IgnoresTheSeedAndTheDescriptionOnly) {
    nlohmann::json a = nlohmann::json::parse(R"({"name": "x", "seed": 1, "description": "a", "duration": "1h"})");
    nlohmann::json b = a;
    b["seed"] = 99;
    b["description"] = "another";
    EXPECT_EQ(scenario_fingerprint(a), scenario_fingerprint(b));
    b["duration"] = "2h";
    EXPECT_NE(scenario_fingerprint(a), scenario_fingerprint(b));
}

TEST(CalibrationFile, RoundTripsAndNamesABadField) {
    CalibrationFile file;
    file.tool_version = "1";
    file.git_commit = "abc";
    file.created_at = "2026-11-29T00:00:00Z";
    file.put({"day", "mimalloc", "fnv1a64:0", {1, 2}, {calibrate_limit("os.rss_bytes", {{2, 0}, {2, 0}}, 0.001, 64)}});
    const nlohmann::json json = to_json(file);
    const CalibrationFile back = parse_calibration(json, "c.json");
    ASSERT_NE(back.find("day", "mimalloc"), nullptr);
    EXPECT_DOUBLE_EQ(back.find("day", "mimalloc")->find("os.rss_bytes")->limit, 66);
    nlohmann::json bad = json;
    bad["scenarios"][0]["limits"]["os.rss_bytes"]["limit"] = -1;
    try {
        parse_calibration(bad, "c.json");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(),
                     "c.json: $.scenarios[0].limits[\"os.rss_bytes\"].limit: expected a positive number, "
                     "got -1");
    }
}

TEST(ScenarioWarnings, NameABlindScenarioAndAnActionThatStopsEarly) {
    const Scenario scenario = parse_scenario(nlohmann::json::parse(R"({"schema_version": 1, "name": "t",
        "duration": "2h", "seed": 1, "sample_interval": "1m", "warmup": "10m",
        "workload": [{"action": "tick", "every": "1m"},
                     {"action": "toggle_indicator", "indicator": "rsi", "every": "3m", "from": "10m", "count": 8}],
        "budgets": ["issue-2"]})"),
                                             "t.json");
    const Ledger ledger = parse_ledger(nlohmann::json::parse(R"({"schema_version": 1, "budgets": {
        "issue-2": {"limits": [{"metric": "engine.chart.items", "items": 1}]}}})"),
                                       "b.json");
    const std::vector<std::string> warnings = scenario_warnings(scenario, ledger);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_EQ(warnings[0],
              "t.json: $.budgets: no growth limit on the whole process (an \"os.\" or \"allocator.\" "
              "metric): a leak outside the engine's components goes unseen");
    EXPECT_EQ(warnings[1],
              "t.json: $.workload[1] (toggle_indicator) stops at 31m, before the run ends at 2h: a leak "
              "it triggers stops with it and reads as a bounded fill");
    EXPECT_EQ(workload_cycle(scenario), 1min);  // the toggles stop, so only the tick's period counts
}

TEST(FillingComponents, ABoundedComponentFillingIsListedAndAFluctuatingOneIsNot) {
    SampleSeries series;
    series.metrics = {"engine.signals.items", "engine.log_queue.items", "engine.transactions.items"};
    series.values.resize(3);
    for (int minute = 0; minute <= 600; minute += 10) {
        series.times.push_back(engine::virtual_epoch + std::chrono::minutes(minute));
        series.purged.push_back(false);
        series.values[0].push_back(100 + minute / 10);          // 100 .. 160 of 500
        series.values[1].push_back(minute % 20 == 0 ? 3 : 12);  // a queue drained by the GUI
        series.values[2].push_back(40 + minute / 10);           // unbounded: a leak, not a fill
    }
    const engine::Footprint footprint{{"signals", "issue-5", 0, 160, 500},
                                      {"log_queue", "issue-4", 0, 12, 1000},
                                      {"transactions", "issue-3", 0, 100, 0}};
    const std::vector<ComponentFill> filling = filling_components(series, 1h, footprint);
    ASSERT_EQ(filling.size(), 1u);
    EXPECT_EQ(filling[0].component, "signals");
    EXPECT_EQ(filling[0].items, 160);
    EXPECT_EQ(filling[0].capacity, 500);
}

}  // namespace
}  // namespace memsoak::harness
