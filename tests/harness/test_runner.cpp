// The runner against a fake application: what is scheduled when, what is sampled, how verdicts and stops come out.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/runner.hpp"
#include "support/errors.hpp"

namespace memsoak::harness {
namespace {

using namespace std::chrono_literals;

// Retains `bytes_per_analysis` more bytes at every analyze when leaking; records every action it is given.
class FakeTarget final : public Target {
public:
    explicit FakeTarget(double bytes_per_analysis) : bytes_per_analysis_(bytes_per_analysis) {}

    void apply(const Action& action, VirtualTime now) override {
        applied.push_back({action.kind, now});
        if (action.kind == ActionKind::analyze) retained_ += bytes_per_analysis_;
    }

    engine::Footprint footprint() const override {
        return {{"status_display", "issue-1", static_cast<std::uint64_t>(retained_), 0}};
    }

    std::vector<std::pair<ActionKind, VirtualTime>> applied;

private:
    double bytes_per_analysis_;
    double retained_ = 1000;
};

VirtualTime at(VirtualDuration d) { return engine::virtual_epoch + d; }

Scenario two_hour_scenario() {
    Scenario s;
    s.file = "test.json";
    s.name = "two-hours";
    s.duration = 2h;
    s.seed = 7;
    s.sample_interval = 1min;
    s.warmup = 10min;
    WorkloadItem analyze;
    analyze.action = Action{ActionKind::analyze, {}};
    analyze.timing = Timing::every;
    analyze.every = 15min;
    s.workload.push_back(analyze);
    WorkloadItem freeze;
    freeze.action = Action{ActionKind::gui_freeze, {}};
    freeze.timing = Timing::at;
    freeze.at = {at(30min)};
    freeze.hold = 5min;
    s.workload.push_back(freeze);
    s.budgets = {"issue-1"};
    return s;
}

Ledger growth_ledger() {
    Ledger ledger;
    ledger.file = "budgets.json";
    ledger.budgets.push_back(BudgetSpec{"issue-1",
                                        "status display",
                                        {LimitSpec{"engine.status_display.bytes", LimitKind::growth, 1024, ""}}});
    return ledger;
}

RunOptions engine_only() {
    RunOptions options;
    options.layers = {Layer::engine};
    return options;
}

TEST(Runner, SamplesFromZeroToTheEndInclusive) {
    FakeTarget target(0);
    const RunResult result = run_scenario(two_hour_scenario(), growth_ledger(), target, engine_only());
    ASSERT_EQ(result.samples.size(), 121u);
    EXPECT_EQ(result.samples.times.front(), at(0min));
    EXPECT_EQ(result.samples.times.back(), at(2h));
    EXPECT_EQ(result.samples.metrics,
              (std::vector<std::string>{"engine.status_display.bytes", "engine.status_display.items"}));
    EXPECT_EQ(result.info.virtual_elapsed, 2h);
    EXPECT_EQ(result.info.layers, std::vector<std::string>{"engine"});
    EXPECT_FALSE(result.info.interrupted);
}

TEST(Runner, WorkloadFiresInWindowAndAFreezeThawsAfterItsHold) {
    FakeTarget target(0);
    run_scenario(two_hour_scenario(), growth_ledger(), target, engine_only());
    std::vector<std::pair<ActionKind, VirtualTime>> expected;
    for (auto t : {0min, 15min, 30min}) expected.push_back({ActionKind::analyze, at(t)});
    expected.push_back({ActionKind::gui_freeze, at(30min)});
    expected.push_back({ActionKind::gui_thaw, at(35min)});
    for (auto t : {45min, 60min, 75min, 90min, 105min}) expected.push_back({ActionKind::analyze, at(t)});
    EXPECT_EQ(target.applied, expected);  // nothing at 2h: a window's end is exclusive
}

TEST(Runner, ALeakFailsItsGrowthBudgetAndNoLeakPasses) {
    FakeTarget leaking(64 * 1024);
    const RunResult failed = run_scenario(two_hour_scenario(), growth_ledger(), leaking, engine_only());
    ASSERT_EQ(failed.budgets.size(), 1u);
    EXPECT_EQ(failed.verdict, Verdict::fail);
    // Four analyses an hour; Theil-Sen on a staircase lands within a few percent of its mean rate.
    EXPECT_NEAR(failed.budgets[0].limits[0].measured, 4 * 64 * 1024, 0.05 * 4 * 64 * 1024);
    ASSERT_EQ(failed.attribution.size(), 1u);
    EXPECT_EQ(failed.attribution[0].issue, "issue-1");

    FakeTarget steady(0);
    const RunResult passed = run_scenario(two_hour_scenario(), growth_ledger(), steady, engine_only());
    EXPECT_EQ(passed.verdict, Verdict::pass);
    EXPECT_TRUE(passed.attribution.empty());
}

TEST(Runner, AStopRequestEndsTheRunWithAPartialInterruptedResult) {
    FakeTarget target(0);
    std::atomic<bool> stop{false};
    RunOptions options = engine_only();
    options.stop_requested = &stop;
    options.on_progress = [&stop](const Progress& p) {
        if (p.elapsed >= 30min) stop = true;
    };
    const RunResult result = run_scenario(two_hour_scenario(), growth_ledger(), target, options);
    EXPECT_TRUE(result.info.interrupted);
    EXPECT_EQ(result.info.stop_reason, "interrupted by a signal");
    EXPECT_EQ(result.samples.size(), 31u);
    EXPECT_EQ(result.info.virtual_elapsed, 30min);
}

TEST(Runner, MaxRssStopsARunawayRunAndFailsIt) {
    FakeTarget target(0);
    RunOptions options;
    options.layers = {Layer::os, Layer::engine};
    options.max_rss_bytes = 1024;  // any process is larger
    const RunResult result = run_scenario(two_hour_scenario(), growth_ledger(), target, options);
    EXPECT_EQ(result.verdict, Verdict::fail);
    EXPECT_FALSE(result.info.interrupted);
    EXPECT_EQ(result.info.stop_reason, "resident set exceeded --max-rss 1024 bytes");
    EXPECT_EQ(result.samples.size(), 1u);
}

TEST(Runner, ABudgetMissingFromTheLedgerIsAnError) {
    FakeTarget target(0);
    Scenario scenario = two_hour_scenario();
    scenario.budgets = {"issue-9"};
    testing::expect_error<Error>([&] { run_scenario(scenario, growth_ledger(), target, engine_only()); },
                                 "test.json: $.budgets[0]: budget \"issue-9\" is not in the ledger budgets.json");
}

TEST(Runner, PurgesAtEachCheckpointAndMarksThoseSamples) {
    FakeTarget target(0);
    Scenario scenario = two_hour_scenario();
    scenario.purge_interval = 30min;
    RunOptions options;
    options.layers = {Layer::allocator, Layer::engine};
    const RunResult result = run_scenario(scenario, growth_ledger(), target, options);
    std::vector<std::size_t> purged;
    for (std::size_t i = 0; i < result.samples.size(); ++i) {
        if (result.samples.purged[i]) purged.push_back(i);
    }
    EXPECT_EQ(purged, (std::vector<std::size_t>{0, 30, 60, 90, 120}));
}

}  // namespace
}  // namespace memsoak::harness
