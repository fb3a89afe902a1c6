// The retention probe: how often and when each action is repeated, that it measures what an action keeps, and on
// the engine that it names the study's leaking action (issue-1: analyze; issue-2: the chart's redraws).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/harness/soak/retention_probe.hpp"
#include "memsoak/harness/soak/runner.hpp"
#include "memsoak/harness/soak/samplers.hpp"

namespace memsoak::harness {
namespace {

using namespace std::chrono_literals;

constexpr double kKiB = 1024;
constexpr double kMiB = 1024 * kKiB;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

// Whether this process's allocator reports live bytes: the probe's live-bytes figures need it.
bool live_bytes_readable() {
    auto sampler = make_allocator_sampler();
    std::vector<double> row(sampler->metrics().size());
    sampler->sample(row);
    return !row.empty() && sampler->metrics()[0] == "allocator.live_bytes" && std::isfinite(row[0]);
}

// analyze keeps 64 KiB (touched, so the resident set sees it too); refresh_chart allocates and frees as much;
// every action is recorded with its time.
class KeepingTarget final : public Target {
public:
    KeepingTarget() { kept_.reserve(1000); }  // the list's own growth is not what is measured

    void apply(const Action& action, VirtualTime now) override {
        applied.push_back({action, now});
        if (action.kind == ActionKind::analyze) {
            kept_.push_back(std::make_unique<char[]>(kBlock));
            std::memset(kept_.back().get(), 1, kBlock);
        } else if (action.kind == ActionKind::refresh_chart) {
            auto scratch = std::make_unique<char[]>(kBlock);
            std::memset(scratch.get(), 1, kBlock);
        }
    }
    engine::Footprint footprint() const override {
        return {{"keeper", "issue-1", kept_.size() * kBlock, kept_.size()}};
    }

    static constexpr std::size_t kBlock = 64 * 1024;
    std::vector<std::pair<Action, VirtualTime>> applied;

private:
    std::vector<std::unique_ptr<char[]>> kept_;
};

WorkloadItem item(ActionKind kind, VirtualDuration every, std::string argument = {}) {
    WorkloadItem w;
    w.action = Action{kind, std::move(argument)};
    w.timing = Timing::every;
    w.every = every;
    return w;
}

WorkloadItem rate_item(ActionKind kind, double per_hour, std::string argument = {}) {
    WorkloadItem w;
    w.action = Action{kind, std::move(argument)};
    w.timing = Timing::rate;
    w.rate_per_second = per_hour / 3600;
    return w;
}

Scenario fake_scenario() {
    Scenario s;
    s.file = "fake.json";
    s.name = "fake";
    s.duration = 24h;
    s.workload = {item(ActionKind::analyze, 15min),
                  item(ActionKind::refresh_chart, 15min),
                  item(ActionKind::toggle_indicator, 3h, "rsi"),
                  rate_item(ActionKind::toggle_indicator, 5, "macd"),
                  rate_item(ActionKind::log, 36000),
                  item(ActionKind::gui_freeze, 1h),
                  item(ActionKind::toggle_indicator, 1h, "rsi")};
    return s;
}

VirtualTime at(VirtualDuration d) { return engine::virtual_epoch + d; }

TEST(RetentionProbe, RepeatsEachDistinctActionAnHoursWorthPerRoundAtItsPeriod) {
    KeepingTarget target;
    ProbeOptions options;
    options.rounds = 3;
    const std::vector<ActionRetention> retention = probe_retention(target, fake_scenario(), at(24h), options);

    std::vector<std::pair<std::string, std::size_t>> calls;
    for (const ActionRetention& r : retention) calls.emplace_back(r.action, r.calls_per_round);
    // rsi: 1/3h + 1/h, rounded and clamped to 4; macd: 5/h made even; log: 36000/h clamped; no gui_freeze.
    const std::vector<std::pair<std::string, std::size_t>> expected{{"analyze", 4},
                                                                    {"refresh_chart", 4},
                                                                    {"toggle_indicator(rsi)", 4},
                                                                    {"toggle_indicator(macd)", 6},
                                                                    {"log", 2000}};
    EXPECT_EQ(calls, expected);
    for (const ActionRetention& r : retention) EXPECT_EQ(r.rounds, 3u);

    // A settle round and three measured ones each; times never decrease, spaced by the first item's period.
    ASSERT_EQ(target.applied.size(), 4u * (4 + 4 + 4 + 6 + 2000));
    EXPECT_EQ(target.applied.front().second, at(24h));
    EXPECT_EQ(target.applied[1].second, at(24h + 15min));
    const auto first_rsi = std::find_if(target.applied.begin(), target.applied.end(),
                                        [](const auto& a) { return a.first.argument == "rsi"; });
    ASSERT_NE(first_rsi, target.applied.end());
    EXPECT_EQ(std::next(first_rsi)->second - first_rsi->second, 3h);
    const auto first_log = std::find_if(target.applied.begin(), target.applied.end(),
                                        [](const auto& a) { return a.first.kind == ActionKind::log; });
    EXPECT_EQ(std::next(first_log)->second - first_log->second, 1s);  // not periodic: one virtual second
    EXPECT_TRUE(std::is_sorted(target.applied.begin(), target.applied.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; }));
}

TEST(RetentionProbe, MeasuresWhatEachCallKeepsAndNotWhatItFrees) {
    if (!live_bytes_readable()) GTEST_SKIP() << "the allocator " << allocator_name() << " reports no live bytes";
    KeepingTarget target;
    Scenario s = fake_scenario();
    s.workload.resize(2);  // analyze, refresh_chart
    const std::vector<ActionRetention> retention = probe_retention(target, s, at(0s), ProbeOptions{});
    ASSERT_EQ(retention.size(), 2u);

    const ActionRetention& keeps = retention[0];
    EXPECT_TRUE(keeps.significant);
    EXPECT_GE(keeps.live_bytes_per_call, KeepingTarget::kBlock);
    EXPECT_LT(keeps.live_bytes_per_call, KeepingTarget::kBlock + 1024.0);  // the block and the allocator's header
    EXPECT_LE(keeps.live_ci_low, keeps.live_bytes_per_call);
    EXPECT_GE(keeps.live_ci_high, keeps.live_bytes_per_call);
    EXPECT_TRUE(retains_more_than(keeps, 60 * kKiB));
    EXPECT_FALSE(retains_more_than(keeps, 70 * kKiB));

    const ActionRetention& frees = retention[1];
    EXPECT_FALSE(frees.significant);
    EXPECT_LT(std::fabs(frees.live_bytes_per_call), 1024.0);
    EXPECT_FALSE(retains_more_than(frees, 0));
    EXPECT_EQ(retention_summary(retention).rfind("analyze retains 64.", 0), 0u) << retention_summary(retention);
}

TEST(RetentionProbe, LeavesLiveBytesNaNWhenTheAllocatorIsNotReadAndJudgesByTheResidentSet) {
    KeepingTarget target;
    Scenario s = fake_scenario();
    s.workload.resize(1);
    ProbeOptions options;
    options.read_allocator = false;
    const std::vector<ActionRetention> retention = probe_retention(target, s, at(0s), options);
    ASSERT_EQ(retention.size(), 1u);
    EXPECT_TRUE(std::isnan(retention[0].live_bytes_per_call));
    EXPECT_TRUE(std::isnan(retention[0].live_ci_low));
    EXPECT_EQ(retained_per_call(retention[0]), retention[0].rss_bytes_per_call);
}

TEST(RetentionProbe, RefusesFewerThanTwoRoundsAndStopsWhenAsked) {
    KeepingTarget target;
    ProbeOptions one;
    one.rounds = 1;
    EXPECT_THROW(probe_retention(target, fake_scenario(), at(0s), one), Error);

    const std::atomic<bool> stop{true};
    ProbeOptions stopping;
    stopping.stop_requested = &stop;
    EXPECT_TRUE(probe_retention(target, fake_scenario(), at(0s), stopping).empty());
    EXPECT_TRUE(target.applied.empty());
}

TEST(RetentionProbe, SummaryNamesTheLargestSignificantActionOrSaysNoneIsSignificant) {
    const ActionRetention small{"trade", 4, 8, 700, 150, 1250, 0, 0, 0, true};
    const ActionRetention large{"refresh_chart", 4, 8, 3 * kMiB, 2.9 * kMiB, 3.1 * kMiB, 0, 0, 0, true};
    const ActionRetention noisy{"analyze", 4, 8, 5 * kMiB, -1 * kMiB, 11 * kMiB, 0, 0, 0, false};
    EXPECT_EQ(retention_summary({small, noisy, large}), "refresh_chart retains 3.0 MiB per call (95% CI 2.9..3.1 MiB)");
    EXPECT_EQ(retention_summary({noisy}),
              "no action retains memory significantly (largest: analyze 5.0 MiB per call (95% CI -1.0..11.0 MiB))");
    const ActionRetention frees{"analyze", 4, 8, -58, -101, -15, 0, 0, 0, true};
    EXPECT_EQ(retention_summary({frees}).rfind("no action retains memory significantly", 0), 0u)
        << "significantly negative is not retention";
    EXPECT_EQ(retention_summary({}), "");
}

// ---- the engine: the production day, saturated by a whole run ----

struct EngineRun {
    std::unique_ptr<Target> target;
    Scenario scenario;
    RunResult result;
};

EngineRun run_production_day(const std::vector<std::string>& leaks) {
    EngineRun run;
    run.scenario = load_scenario(MEMSOAK_SOURCE_DIR "/scenarios/production-day.json");
    const Ledger ledger = load_ledger(MEMSOAK_SOURCE_DIR "/scenarios/budgets.json");
    run.target = make_engine_target(engine_config_for_run(run.scenario.engine, "production-day",
                                                          MEMSOAK_SOURCE_DIR "/scenarios", run.scenario.seed, leaks));
    RunOptions options;
    options.leaks = leaks;
    run.result = run_scenario(run.scenario, ledger, *run.target, options);
    return run;
}

const ActionRetention& find(const std::vector<ActionRetention>& retention, const std::string& action) {
    const auto it =
        std::find_if(retention.begin(), retention.end(), [&](const ActionRetention& r) { return r.action == action; });
    if (it == retention.end()) throw std::runtime_error("no action " + action);
    return *it;
}

TEST(RetentionProbeOnTheEngine, Issue2FailsTheProcessBudgetAndTheProbeNamesTheChartRedraws) {
    if (!live_bytes_readable()) GTEST_SKIP() << "the allocator " << allocator_name() << " reports no live bytes";
    const EngineRun run = run_production_day({"issue-2"});
    ASSERT_EQ(run.result.verdict, Verdict::fail);
    ASSERT_TRUE(run.result.retention.has_value()) << "a failed whole-process limit must trigger the probe";
    EXPECT_NE(run.result.retention_trigger.find("budget process failed on "), std::string::npos);
    const std::vector<ActionRetention>& retention = *run.result.retention;
    for (const char* action : {"refresh_chart", "toggle_indicator(rsi)"}) {
        SCOPED_TRACE(action);
        EXPECT_TRUE(retains_more_than(find(retention, action), 100 * kKiB))
            << find(retention, action).live_bytes_per_call;
    }
    EXPECT_FALSE(retains_more_than(find(retention, "analyze"), 100 * kKiB));
    EXPECT_FALSE(retains_more_than(find(retention, "log"), 0));
    EXPECT_NE(retention_summary(retention).find("retains"), std::string::npos);
}

TEST(RetentionProbeOnTheEngine, FixedEngineIsNotProbedAfterPassingAndRetainsNoKibibytePerCall) {
    if (!live_bytes_readable()) GTEST_SKIP() << "the allocator " << allocator_name() << " reports no live bytes";
    if (kSanitizerBuild) {
        GTEST_SKIP() << "sanitizer allocators pad every block with redzones: the 1 KiB bound is the real allocators'";
    }
    EngineRun run = run_production_day({});
    ASSERT_EQ(run.result.verdict, Verdict::pass);
    EXPECT_FALSE(run.result.retention.has_value()) << "passing runs are not probed";
    const std::vector<ActionRetention> retention =
        probe_retention(*run.target, run.scenario, engine::virtual_epoch + run.scenario.duration, ProbeOptions{});
    ASSERT_EQ(retention.size(), 7u);
    for (const ActionRetention& r : retention) {
        EXPECT_FALSE(retains_more_than(r, 1 * kKiB)) << r.action << " retains " << r.live_bytes_per_call << " ["
                                                     << r.live_ci_low << ", " << r.live_ci_high << "]";
    }
}

TEST(RetentionProbeOnTheEngine, Issue1AnalysisRetainsAboutOnePriceFramePerCall) {
    if (!live_bytes_readable()) GTEST_SKIP() << "the allocator " << allocator_name() << " reports no live bytes";
    const EngineRun run = run_production_day({"issue-1"});
    ASSERT_TRUE(run.result.retention.has_value());
    const ActionRetention& analyze = find(*run.result.retention, "analyze");
    EXPECT_TRUE(retains_more_than(analyze, 1 * kMiB)) << analyze.live_bytes_per_call;
    EXPECT_LT(analyze.live_bytes_per_call, 4 * kMiB);  // one frame (2.4 MB), not several
    EXPECT_FALSE(retains_more_than(find(*run.result.retention, "refresh_chart"), 100 * kKiB));
}

TEST(RetentionProbe, RunsAfterAFailedWholeProcessLimitOnlyAndNotWhenSwitchedOff) {
    Scenario s = fake_scenario();
    s.workload.resize(1);  // analyze: keeps 64 KiB
    s.duration = 1h;
    s.sample_interval = 10min;
    Ledger ledger;
    ledger.budgets.push_back(BudgetSpec{"engine-only", "", {LimitSpec{"engine.keeper.bytes", LimitKind::peak, 0, ""}}});
    ledger.budgets.push_back(BudgetSpec{"process", "", {LimitSpec{"os.rss_bytes", LimitKind::peak, 1, ""}}});

    s.budgets = {"engine-only"};
    KeepingTarget engine_failing;
    const RunResult engine_only = run_scenario(s, ledger, engine_failing, RunOptions{});
    EXPECT_EQ(engine_only.verdict, Verdict::fail);
    EXPECT_FALSE(engine_only.retention.has_value()) << "an engine limit says where already; no probe";

    s.budgets = {"engine-only", "process"};
    KeepingTarget process_failing;
    const RunResult probed = run_scenario(s, ledger, process_failing, RunOptions{});
    ASSERT_TRUE(probed.retention.has_value());
    EXPECT_EQ(probed.retention_trigger, "budget process failed on os.rss_bytes");
    ASSERT_EQ(probed.retention->size(), 1u);
    EXPECT_EQ((*probed.retention)[0].action, "analyze");

    RunOptions off;
    off.probe_on_failure = false;
    KeepingTarget not_probed;
    EXPECT_FALSE(run_scenario(s, ledger, not_probed, off).retention.has_value());
}

}  // namespace
}  // namespace memsoak::harness
