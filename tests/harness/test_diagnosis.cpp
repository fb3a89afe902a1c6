// The layer diagnosis on fabricated series with known answers, the rate floor, and fix validation.

#include "memsoak/harness/analysis/diagnosis.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace memsoak::harness {
namespace {

using namespace std::chrono_literals;

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

// Samples every 10 minutes over 10 hours (61 samples); every third one is purged, as at a 30-minute checkpoint.
SampleSeries ten_hours() {
    SampleSeries series;
    for (int i = 0; i <= 60; ++i) {
        series.times.push_back(engine::virtual_epoch + i * 10min);
        series.purged.push_back(i % 3 == 0);
    }
    return series;
}

// Adds a metric whose value at sample i is value(hours since the start, purged).
void add_metric(SampleSeries& series, const std::string& name, const std::function<double(double, bool)>& value) {
    series.metrics.push_back(name);
    std::vector<double>& column = series.values.emplace_back();
    for (std::size_t i = 0; i < series.size(); ++i) {
        column.push_back(value(engine::to_hours(series.times[i].time_since_epoch()), series.purged[i]));
    }
}

std::function<double(double, bool)> line(double start, double per_hour) {
    return [=](double hours, bool) { return start + per_hour * hours; };
}

const LayerTrend& layer(const LayerDiagnosis& d, const std::string& metric) {
    for (const LayerTrend& trend : d.layers) {
        if (trend.metric == metric) return trend;
    }
    throw std::runtime_error("no layer " + metric);
}

LayerDiagnosis diagnose(const SampleSeries& series, const std::vector<Attribution>& attribution = {}) {
    return diagnose_growth(series, 0s, attribution, DiagnosisOptions{});
}

TEST(DiagnoseGrowth, LiveGrowthTheEngineExplainsIsRetention) {
    SampleSeries series = ten_hours();
    add_metric(series, "os.rss_bytes", line(40 * kMiB, 1.1 * kMiB));
    add_metric(series, "allocator.committed_bytes", line(32 * kMiB, 1 * kMiB));
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 1 * kMiB));
    add_metric(series, "engine.status_display.bytes", line(0, 0.9 * kMiB));
    add_metric(series, "engine.status_display.items", line(0, 4));  // counts are not bytes: not in the total
    add_metric(series, "engine.chart.bytes", line(2 * kMiB, 0));
    const LayerDiagnosis d = diagnose(series, {{"status_display", "issue-1", 0.9 * kMiB, 0.9}});

    EXPECT_EQ(d.kind, GrowthClass::retention);
    EXPECT_NEAR(d.engine_share, 0.9, 1e-9);
    EXPECT_EQ(d.explanation,
              "retention: live bytes grow 1.0 MiB/h and the engine's components account for 90% of "
              "it (largest: status_display, issue-1)");
    ASSERT_EQ(d.layers.size(), 4u);
    EXPECT_EQ(d.layers[0].metric, "os.rss_bytes");
    EXPECT_EQ(d.layers[3].metric, "engine.total_bytes");
    EXPECT_NEAR(layer(d, "engine.total_bytes").growth->slope_per_hour, 0.9 * kMiB, 1e-3);
    EXPECT_TRUE(layer(d, "allocator.live_bytes").growing);
    EXPECT_FALSE(layer(d, "allocator.live_bytes").purged_only);
    // RSS and committed bytes are fitted at the 21 purged checkpoints.
    EXPECT_TRUE(layer(d, "os.rss_bytes").purged_only);
    EXPECT_EQ(layer(d, "os.rss_bytes").growth->samples, 21u);
    EXPECT_EQ(d.rate_floor_bytes_per_hour, kDefaultRateFloorBytesPerHour);
}

TEST(DiagnoseGrowth, LiveGrowthTheEngineDoesNotExplainIsALeakOutsideItsBookkeeping) {
    SampleSeries series = ten_hours();
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 1 * kMiB));
    add_metric(series, "engine.status_display.bytes", line(1 * kMiB, 0));
    add_metric(series, "engine.chart.bytes", line(2 * kMiB, 0.2 * kMiB));
    const LayerDiagnosis d = diagnose(series);

    EXPECT_EQ(d.kind, GrowthClass::untracked_leak);
    EXPECT_NEAR(d.engine_share, 0.2, 1e-9);
    EXPECT_EQ(d.explanation,
              "leak outside the engine's bookkeeping: live bytes grow 1.0 MiB/h but the engine's "
              "components account for 20% of it");
}

TEST(DiagnoseGrowth, LiveGrowthWithoutTheEngineLayerCannotBeAttributed) {
    SampleSeries series = ten_hours();
    add_metric(series, "os.rss_bytes", line(40 * kMiB, 2 * kMiB));
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 2 * kMiB));
    const LayerDiagnosis d = diagnose(series);

    EXPECT_EQ(d.kind, GrowthClass::heap_growth);
    EXPECT_TRUE(std::isnan(d.engine_share));
    EXPECT_FALSE(layer(d, "engine.total_bytes").growth.has_value());
    EXPECT_EQ(d.explanation,
              "live bytes grow 2.0 MiB/h; the engine layer was not measured, so retention cannot be "
              "told from a leak outside the engine's bookkeeping");
}

TEST(DiagnoseGrowth, CommittedGrowthWithFlatLiveBytesIsAllocatorCaching) {
    SampleSeries series = ten_hours();
    add_metric(series, "os.rss_bytes", line(40 * kMiB, 2 * kMiB));
    add_metric(series, "allocator.committed_bytes", line(32 * kMiB, 2 * kMiB));
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 0));
    const LayerDiagnosis d = diagnose(series);

    EXPECT_EQ(d.kind, GrowthClass::allocator_caching);
    EXPECT_EQ(d.explanation,
              "fragmentation or allocator caching: committed bytes grow 2.0 MiB/h at the purged "
              "checkpoints while live bytes do not (0 B/h)");
}

TEST(DiagnoseGrowth, RssGrowthWithAFlatAllocatorIsOsLevel) {
    SampleSeries series = ten_hours();
    add_metric(series, "os.rss_bytes", line(40 * kMiB, 512 * kKiB));
    add_metric(series, "allocator.committed_bytes", line(32 * kMiB, 0));
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 0));
    const LayerDiagnosis d = diagnose(series);

    EXPECT_EQ(d.kind, GrowthClass::os_level);
    EXPECT_EQ(d.explanation,
              "OS-level growth: the resident set grows 512.0 KiB/h at the purged checkpoints while "
              "the allocator does not (committed 0 B/h at the purged checkpoints, live 0 B/h): memory "
              "the allocator never sees (mappings, stacks), or pages it keeps that a purge does not "
              "return");
}

// mimalloc commits a 32 MiB segment at once: pages become resident as it touches them, and committed bytes stay.
TEST(DiagnoseGrowth, RssGrowthInsideTheCommittedSegmentIsAllocatorCaching) {
    SampleSeries series = ten_hours();
    add_metric(series, "os.rss_bytes", line(16 * kMiB, 512 * kKiB));
    add_metric(series, "os.rss_anon_bytes", line(10 * kMiB, 512 * kKiB));
    add_metric(series, "allocator.committed_bytes", line(32 * kMiB, 0));
    add_metric(series, "allocator.live_bytes", line(7 * kMiB, 0));
    const LayerDiagnosis d = diagnose(series);

    EXPECT_EQ(d.kind, GrowthClass::allocator_caching);
    EXPECT_EQ(d.explanation,
              "fragmentation or allocator caching: the resident set grows 512.0 KiB/h at the purged "
              "checkpoints inside memory the allocator has committed (15.0 MiB resident of 32.0 MiB) "
              "while live bytes do not (0 B/h)");
}

TEST(DiagnoseGrowth, RssGrowthWithoutTheAllocatorLayerIsUndetermined) {
    SampleSeries series = ten_hours();
    add_metric(series, "os.rss_bytes", line(40 * kMiB, 512 * kKiB));
    EXPECT_EQ(diagnose(series).kind, GrowthClass::undetermined);
}

// The sawtooth a run in virtual time sees: memory freed but cached piles up between checkpoints and the purge
// returns it. Over every sample the resident set "grows" 3 MiB/h; at the checkpoints it is flat.
TEST(DiagnoseGrowth, CacheThatAPurgeReturnsIsNotGrowth) {
    SampleSeries series = ten_hours();
    add_metric(series, "os.rss_bytes",
               [](double hours, bool purged) { return purged ? 40 * kMiB : 40 * kMiB + 6 * kMiB * hours; });
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 0));
    const LayerDiagnosis d = diagnose(series);

    EXPECT_EQ(d.kind, GrowthClass::stable);
    EXPECT_TRUE(layer(d, "os.rss_bytes").purged_only);
    EXPECT_EQ(layer(d, "os.rss_bytes").growth->slope_per_hour, 0.0);
    EXPECT_FALSE(layer(d, "os.rss_bytes").growing);
}

TEST(DiagnoseGrowth, ASignificantTrendBelowTheFloorIsStable) {
    SampleSeries series = ten_hours();
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 4 * kKiB));  // bounded histories filling up
    add_metric(series, "engine.signals.bytes", line(0, 4 * kKiB));
    const LayerDiagnosis d = diagnose(series);

    EXPECT_EQ(d.kind, GrowthClass::stable);
    EXPECT_TRUE(layer(d, "allocator.live_bytes").growth->significant);
    EXPECT_EQ(d.explanation,
              "stable: no layer grows faster than its limit (allocator.live_bytes 4.0 KiB/h, "
              "engine.total_bytes 4.0 KiB/h)");

    // A scenario built for slow leaks lowers the floor, and the same growth is retention.
    DiagnosisOptions fine;
    fine.rate_floor_bytes_per_hour = 512;
    EXPECT_EQ(diagnose_growth(series, 0s, {}, fine).kind, GrowthClass::retention);
}

TEST(DiagnoseGrowth, EngineGrowthAloneIsRetentionWhenNothingElseWasMeasured) {
    SampleSeries series = ten_hours();
    add_metric(series, "engine.status_display.bytes", line(0, 9 * kMiB));
    const LayerDiagnosis d = diagnose(series);
    EXPECT_EQ(d.kind, GrowthClass::retention);
    EXPECT_EQ(d.explanation, "retention: the engine's components grow 9.0 MiB/h");
}

TEST(DiagnoseGrowth, TheConfiguredWarmupIsLeftOut) {
    SampleSeries series = ten_hours();
    // Caches fill for six hours, then the heap is flat.
    add_metric(series, "allocator.live_bytes",
               [](double hours, bool) { return 10 * kMiB + 2 * kMiB * std::min(hours, 6.0); });
    DiagnosisOptions configured_only;
    configured_only.judge.detect_warmup = false;
    EXPECT_EQ(diagnose_growth(series, 0s, {}, configured_only).kind, GrowthClass::heap_growth);
    const LayerDiagnosis after_warmup = diagnose_growth(series, 6h, {}, configured_only);
    EXPECT_EQ(after_warmup.kind, GrowthClass::stable);
    EXPECT_EQ(layer(after_warmup, "allocator.live_bytes").growth->samples, 25u);  // 6 h .. 10 h every 10 minutes
}

TEST(DiagnoseGrowth, TooFewSamplesIsNotMeasured) {
    SampleSeries series;
    for (int i = 0; i < 5; ++i) {
        series.times.push_back(engine::virtual_epoch + i * 10min);
        series.purged.push_back(true);
    }
    add_metric(series, "allocator.live_bytes", line(10 * kMiB, 1 * kMiB));
    const LayerDiagnosis d = diagnose(series);
    EXPECT_EQ(d.kind, GrowthClass::not_measured);
    EXPECT_EQ(d.explanation, "not measured: no layer had enough samples after the warm-up to fit a trend");
}

TEST(GrowthClass, NamesReadBack) {
    for (GrowthClass kind : {GrowthClass::stable, GrowthClass::retention, GrowthClass::untracked_leak,
                             GrowthClass::heap_growth, GrowthClass::allocator_caching, GrowthClass::os_level,
                             GrowthClass::undetermined, GrowthClass::not_measured}) {
        EXPECT_EQ(growth_class_from_string(to_string(kind)), kind);
    }
    EXPECT_EQ(to_string(GrowthClass::untracked_leak), "untracked_leak");
    EXPECT_FALSE(growth_class_from_string("leak").has_value());
}

TEST(RateFloorFor, TheSmallestByteGrowthLimitOfTheJudgedBudgetsCappedAtTheDefault) {
    Ledger ledger;
    ledger.budgets = {
        {"issue-1", "", {{"engine.status_display.bytes", LimitKind::growth, 64 * kKiB, ""}}},
        {"process",
         "",
         {{"os.rss_bytes", LimitKind::peak, 50 * kMiB, ""}, {"allocator.live_bytes", LimitKind::growth, 1 * kMiB, ""}}},
        {"slow",
         "",
         {{"allocator.live_bytes", LimitKind::growth, 512, ""}, {"engine.signals.items", LimitKind::growth, 2, ""}}},
    };
    EXPECT_EQ(rate_floor_for(ledger, {"process"}), kDefaultRateFloorBytesPerHour);
    EXPECT_EQ(rate_floor_for(ledger, {"issue-1", "process"}), 64 * kKiB);
    EXPECT_EQ(rate_floor_for(ledger, {"process", "slow"}), 512.0);  // the items limit is not in bytes
    EXPECT_EQ(rate_floor_for(ledger, {"no-such-budget"}), kDefaultRateFloorBytesPerHour);
}

RunResult run_of(double rss_per_hour, double live_per_hour) {
    RunResult result;
    result.info.warmup = 1h;
    result.samples = ten_hours();
    add_metric(result.samples, "os.rss_bytes", line(20 * kMiB, rss_per_hour));
    add_metric(result.samples, "allocator.live_bytes", line(8 * kMiB, live_per_hour));
    return result;
}

TEST(CompareFix, ReportsEachMeasureWithItsSavingAndPercent) {
    // With leaks: RSS 20 -> 120 MiB and live 8 -> 58 MiB over 10 h; fixed: flat at 20 and 8 MiB.
    const std::vector<FixMeasure> measures = compare_fix(run_of(10 * kMiB, 5 * kMiB), run_of(0, 0));
    ASSERT_EQ(measures.size(), 4u);
    EXPECT_EQ(measures[0].name, "peak RSS");
    EXPECT_EQ(measures[0].unit, "bytes");
    EXPECT_EQ(measures[0].with_leaks, 120 * kMiB);
    EXPECT_EQ(measures[0].fixed, 20 * kMiB);
    EXPECT_EQ(measures[0].saving, 100 * kMiB);
    EXPECT_NEAR(measures[0].percent, 100.0 * 100 / 120, 1e-9);
    EXPECT_EQ(measures[1].name, "final live bytes");
    EXPECT_NEAR(measures[1].percent, 100.0 * 50 / 58, 1e-9);
    EXPECT_EQ(measures[2].name, "live bytes growth");
    EXPECT_EQ(measures[2].unit, "bytes_per_hour");
    EXPECT_NEAR(measures[2].with_leaks, 5 * kMiB, 1e-3);
    EXPECT_EQ(measures[2].fixed, 0.0);
    EXPECT_NEAR(measures[2].percent, 100.0, 1e-9);
    EXPECT_EQ(measures[3].name, "RSS growth");
    EXPECT_NEAR(measures[3].with_leaks, 10 * kMiB, 1e-3);
}

TEST(CompareFix, AMeasureThatWasNotTakenHasNoPercent) {
    RunResult without_os = run_of(10 * kMiB, 5 * kMiB);
    without_os.samples.metrics[0] = "os.something_else";
    const std::vector<FixMeasure> measures = compare_fix(without_os, run_of(0, 0));
    EXPECT_TRUE(std::isnan(measures[0].with_leaks));
    EXPECT_TRUE(std::isnan(measures[0].percent));
}

}  // namespace
}  // namespace memsoak::harness
