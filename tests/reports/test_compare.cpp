#include "memsoak/reports/compare.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/harness/soak/runner.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/junit.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/report_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reports {
namespace {

namespace fs = std::filesystem;
using harness::LimitKind;
using harness::Verdict;

using fixtures::kMiB;
using testing::message_of;
using testing::TempDir;

// Three virtual hours of analysis every 15 minutes, sampled every 5 minutes: long enough for a trend, a fraction of
// a second to run. Only the allocator and engine layers are measured: RSS in a test process that has run other
// tests before is not a property of this run.
harness::RunResult real_run(const std::vector<std::string>& leaks) {
    const harness::Scenario scenario = harness::parse_scenario(nlohmann::json::parse(R"({
        "schema_version": 1, "name": "short-day", "duration": "3h", "seed": 7, "sample_interval": "5m",
        "warmup": "15m", "purge_interval": "15m",
        "engine": {"candle_interval": "1m", "analysis_period": "2d"},
        "workload": [{"action": "tick", "every": "1m"}, {"action": "analyze", "every": "15m"},
                     {"action": "log", "rate": "1/s"}, {"action": "gui_pump", "every": "1s"}],
        "budgets": ["issue-1", "process"]})"),
                                                               "short-day.json");
    const harness::Ledger ledger = harness::load_ledger(testing::uncalibrated_ledger());
    const engine::Config config =
        harness::engine_config_for_run(scenario.engine, "short-day.json", ".", scenario.seed, leaks);
    auto target = harness::make_engine_target(config);
    harness::RunOptions options;
    options.layers = {harness::Layer::allocator, harness::Layer::engine};
    options.leaks = leaks;
    return harness::run_scenario(scenario, ledger, *target, options);
}

// The fixed and the leaky build, each run once for the whole file (a run takes a few hundred milliseconds).
const harness::RunResult& fixed_run() {
    static const harness::RunResult run = real_run({});
    return run;
}
const harness::RunResult& fixed_rerun() {
    static const harness::RunResult run = real_run({});
    return run;
}
const harness::RunResult& leaky_run() {
    static const harness::RunResult run = real_run({"issue-1"});
    return run;
}

const LimitComparison& row(const ScenarioComparison& c, const std::string& budget, const std::string& metric,
                           LimitKind kind) {
    for (const LimitComparison& l : c.limits) {
        if (l.budget == budget && l.metric == metric && l.kind == kind) return l;
    }
    throw std::runtime_error("no row " + budget + " " + metric);
}

TEST(Compare, FlagsALeakyCandidateAgainstAFixedBaseline) {
    const ScenarioComparison c = compare_runs(fixed_run(), leaky_run(), CompareOptions{});
    const LimitComparison& peak = row(c, "issue-1", "engine.status_display.bytes", LimitKind::peak);
    EXPECT_EQ(peak.peak, Change::regressed);
    EXPECT_EQ(peak.growth, Change::regressed);
    EXPECT_EQ(peak.verdict, Change::regressed);
    EXPECT_EQ(row(c, "issue-1", "engine.status_display.bytes", LimitKind::growth).overall(), Change::regressed);
    EXPECT_EQ(row(c, "process", "allocator.live_bytes", LimitKind::growth).growth, Change::regressed);
    EXPECT_EQ(c.regressions(), 3u);
    EXPECT_EQ(c.notes, std::vector<std::string>{"leaky behaviour differs: baseline none, candidate issue-1"});
    EXPECT_TRUE(peak.reason.starts_with("peak ")) << peak.reason;
    EXPECT_NE(peak.reason.find("verdict pass -> fail"), std::string::npos) << peak.reason;
}

TEST(Compare, DoesNotFlagAReRunOfTheSameBuild) {
    const ScenarioComparison c = compare_runs(fixed_run(), fixed_rerun(), CompareOptions{});
    // issue-1 peak and growth; process RSS peak and growth (not measured) and live growth.
    ASSERT_EQ(c.limits.size(), 5u);
    for (const LimitComparison& l : c.limits) EXPECT_NE(l.overall(), Change::regressed) << l.metric << ": " << l.reason;
    EXPECT_EQ(row(c, "process", "os.rss_bytes", LimitKind::peak).overall(), Change::not_compared);
    EXPECT_EQ(c.regressions(), 0u);
    EXPECT_TRUE(c.notes.empty());
}

TEST(Compare, AnIncompleteRunCountsAsARegression) {
    // Interrupted, a candidate could look better than its baseline for having run a quarter of the time.
    harness::RunResult candidate = fixed_rerun();
    candidate.info.interrupted = true;
    candidate.info.stop_reason = "interrupted by a signal";
    candidate.info.virtual_duration = std::chrono::hours(24);
    candidate.info.virtual_elapsed = std::chrono::hours(6);
    const ScenarioComparison c = compare_runs(fixed_run(), candidate, CompareOptions{});
    EXPECT_EQ(c.incomplete, "incomplete: the candidate stopped after 6h of 24h (interrupted by a signal)");
    EXPECT_EQ(c.regressions(), 1u);
    Comparison comparison;
    comparison.scenarios.push_back(c);
    EXPECT_NE(render_comparison_junit(comparison)
                  .find(R"(<failure type="incomplete" message="incomplete: the candidate stopped)"),
              std::string::npos);
    // A baseline stopped by --max-rss is no baseline either.
    harness::RunResult baseline = fixed_run();
    baseline.info.stop_reason = "resident set exceeded --max-rss 104857600 bytes";
    baseline.info.virtual_elapsed = baseline.info.virtual_duration / 2;
    EXPECT_EQ(compare_runs(baseline, fixed_rerun(), CompareOptions{}).regressions(), 1u);
}

TEST(Compare, ReportsTheFixAsAnImprovementNotARegression) {
    const ScenarioComparison c = compare_runs(leaky_run(), fixed_run(), CompareOptions{});
    EXPECT_EQ(c.regressions(), 0u);
    EXPECT_EQ(row(c, "issue-1", "engine.status_display.bytes", LimitKind::peak).overall(), Change::improved);
}

// A fabricated limit with a growth fit, to check the tolerances at their edges with hand-computed numbers.
harness::RunResult run_with(double peak, harness::Growth growth, Verdict verdict = Verdict::pass) {
    harness::RunResult run;
    run.info.scenario_name = "day";
    run.info.allocator = "mimalloc";
    harness::LimitResult limit;
    limit.metric = "os.rss_bytes";
    limit.kind = LimitKind::peak;
    limit.limit = 50 * kMiB;
    limit.measured = peak;
    limit.verdict = verdict;
    limit.growth = growth;
    run.budgets.push_back({"process", "whole process", {limit}, verdict});
    return run;
}

harness::Growth slope(double low, double high, bool significant = true) {
    return harness::Growth{(low + high) / 2, low, high, 0, significant ? 1e-6 : 0.5, significant, 100};
}

TEST(Compare, APeakMayRiseByTheLargerOfTheAbsoluteAndRelativeTolerance) {
    const harness::Growth flat = slope(0, 0);
    // Baseline 20 MiB: the tolerance is max(1 MiB, 10% of 20 MiB = 2 MiB) = 2 MiB.
    const auto peak_change = [&](double candidate) {
        return compare_runs(run_with(20 * kMiB, flat), run_with(candidate, flat), CompareOptions{}).limits[0].peak;
    };
    EXPECT_EQ(peak_change(22 * kMiB), Change::same);
    EXPECT_EQ(peak_change(22 * kMiB + 1), Change::regressed);
    EXPECT_EQ(peak_change(18 * kMiB - 1), Change::improved);
    // Baseline 4 MiB: 10% is 0.4 MiB, so the absolute 1 MiB decides.
    const auto small_change = [&](double candidate) {
        return compare_runs(run_with(4 * kMiB, flat), run_with(candidate, flat), CompareOptions{}).limits[0].peak;
    };
    EXPECT_EQ(small_change(5 * kMiB), Change::same);
    EXPECT_EQ(small_change(5 * kMiB + 1), Change::regressed);

    const ScenarioComparison c = compare_runs(run_with(20 * kMiB, flat), run_with(23 * kMiB, flat), CompareOptions{});
    EXPECT_EQ(c.limits[0].reason, "peak 20.0 MiB -> 23.0 MiB, +3.0 MiB beyond the 2.0 MiB tolerance");
}

TEST(Compare, GrowthRegressesOnlyWhenTheIntervalsAreApartByMoreThanTheTolerance) {
    const double KiB = 1024;
    const auto growth_change = [&](harness::Growth base, harness::Growth cand, CompareOptions options = {}) {
        return compare_runs(run_with(10 * kMiB, base), run_with(10 * kMiB, cand), options).limits[0].growth;
    };
    // Re-run noise: the RSS slope's interval moved from 50..61 KiB/h to 31..38 KiB/h between two runs of one build.
    EXPECT_EQ(growth_change(slope(50 * KiB, 61 * KiB), slope(31 * KiB, 38 * KiB)), Change::same);
    EXPECT_EQ(growth_change(slope(31 * KiB, 38 * KiB), slope(50 * KiB, 61 * KiB)), Change::same);
    // Apart by 64 KiB/h exactly: within the tolerance; a byte per hour more: a regression.
    EXPECT_EQ(growth_change(slope(0, 10 * KiB), slope(74 * KiB, 80 * KiB)), Change::same);
    EXPECT_EQ(growth_change(slope(0, 10 * KiB), slope(74 * KiB + 1, 80 * KiB)), Change::regressed);
    // Far apart but not a significant trend: noise, not growth.
    EXPECT_EQ(growth_change(slope(0, 10 * KiB), slope(500 * KiB, 900 * KiB, false)), Change::same);
    // The relative tolerance scales with the baseline's slope: 10% of 10 MiB/h is 1 MiB/h.
    EXPECT_EQ(growth_change(slope(9.9 * kMiB, 10.1 * kMiB), slope(11 * kMiB, 11.2 * kMiB)), Change::same);
    EXPECT_EQ(growth_change(slope(9.9 * kMiB, 10.1 * kMiB), slope(11.2 * kMiB, 11.4 * kMiB)), Change::regressed);
    // With no tolerance at all, the re-run noise above would be flagged: the tolerance is what absorbs it.
    CompareOptions strict;
    strict.growth_tolerance_per_hour = 0;
    strict.relative_tolerance = 0;
    EXPECT_EQ(growth_change(slope(31 * KiB, 38 * KiB), slope(50 * KiB, 61 * KiB), strict), Change::regressed);
}

TEST(Compare, GrowthMustAddUpToMoreThanThePeakToleranceOverTheJudgedHours) {
    const double KiB = 1024;
    // Two hours with a 30-minute warm-up: 1 MiB over 1.5 h is a tolerance of 682.7 KiB/h, above the 64 KiB/h.
    const auto short_run = [](harness::Growth growth) {
        harness::RunResult run = run_with(10 * kMiB, growth);
        run.info.virtual_elapsed = std::chrono::hours(2);
        run.info.warmup = std::chrono::minutes(30);
        return run;
    };
    const auto growth_change = [&](harness::Growth cand) {
        return compare_runs(short_run(slope(0, 0)), short_run(cand), CompareOptions{}).limits[0].growth;
    };
    EXPECT_EQ(growth_change(slope(76 * KiB, 98 * KiB)), Change::same);  // re-run noise of RSS in two hours
    EXPECT_EQ(growth_change(slope(682 * KiB, 700 * KiB)), Change::same);
    EXPECT_EQ(growth_change(slope(683 * KiB, 700 * KiB)), Change::regressed);
}

TEST(Compare, AVerdictGoingFromPassToFailIsARegressionWithinTolerance) {
    const harness::Growth flat = slope(0, 0);
    const ScenarioComparison c = compare_runs(run_with(50 * kMiB, flat, Verdict::pass),
                                              run_with(50 * kMiB + 1, flat, Verdict::fail), CompareOptions{});
    EXPECT_EQ(c.limits[0].peak, Change::same);
    EXPECT_EQ(c.limits[0].verdict, Change::regressed);
    EXPECT_EQ(c.limits[0].reason, "verdict pass -> fail");
    EXPECT_EQ(c.regressions(), 1u);
}

TEST(Compare, NotesWhatMakesTheRunsLessAlike) {
    harness::RunResult base = run_with(kMiB, slope(0, 0));
    harness::RunResult cand = base;
    cand.info.allocator = "tcmalloc";
    cand.info.seed = 9;
    cand.budgets.push_back({"issue-3", "transactions", {}, Verdict::not_measured});
    base.budgets.push_back({"issue-4", "log queue", {}, Verdict::not_measured});
    const ScenarioComparison c = compare_runs(base, cand, CompareOptions{});
    EXPECT_EQ(c.notes, (std::vector<std::string>{"allocators differ: baseline mimalloc, candidate tcmalloc",
                                                 "seeds differ: baseline 0, candidate 9",
                                                 "budget issue-3 is only in the candidate",
                                                 "budget issue-4 is only in the baseline"}));
}

void save(const fs::path& file, harness::RunResult run, const std::string& scenario, std::uint64_t seed) {
    run.info.scenario_name = scenario;
    run.info.seed = seed;
    fs::create_directories(file.parent_path());
    write_file_atomically(file, to_json(run).dump());
}

TEST(Compare, MatchesFoldersByScenarioSeedAndAllocatorAndNamesWhatWasNotCompared) {
    TempDir dir;
    const harness::Growth flat = slope(0, 0);
    save(dir / "base/day.json", run_with(10 * kMiB, flat), "day", 1);
    save(dir / "base/night.json", run_with(10 * kMiB, flat), "night", 1);
    save(dir / "base/month.json", run_with(10 * kMiB, flat), "month", 1);
    write_file_atomically(dir / "base/suite-report.json", "{}");  // the suite's own file: skipped
    write_file_atomically(dir / "base/README.md", "not a report");
    save(dir / "cand/day-seed1.json", run_with(30 * kMiB, flat), "day", 1);
    save(dir / "cand/night.json", run_with(10 * kMiB, flat), "night", 5);  // another seed: compared across seeds
    save(dir / "cand/week.json", run_with(10 * kMiB, flat), "week", 1);

    const Comparison c = compare_paths(dir / "base", dir / "cand", CompareOptions{});
    ASSERT_EQ(c.scenarios.size(), 2u);
    EXPECT_EQ(c.scenarios[0].scenario, "day");
    EXPECT_EQ(c.scenarios[0].regressions(), 1u);
    EXPECT_EQ(c.scenarios[1].scenario, "night");
    EXPECT_EQ(c.scenarios[1].notes,
              (std::vector<std::string>{"seeds differ: baseline 1, candidate 5",
                                        "compared across seeds: one baseline seed, so no spread to widen the "
                                        "tolerances by"}));
    EXPECT_EQ(c.only_in_baseline,
              std::vector<std::string>{"month (seed 1, mimalloc): " + (dir / "base/month.json").string()});
    EXPECT_EQ(c.only_in_candidate,
              std::vector<std::string>{"week (seed 1, mimalloc): " + (dir / "cand/week.json").string()});
    EXPECT_EQ(c.regressions(), 1u);
    EXPECT_EQ(c.unpaired(), 2u);
}

// The issue's case: the committed baselines hold each scenario's own seed, the night ran seeds 1,2,3. Every
// candidate report must be compared (a leak in seed 3 alone is a regression), and a scenario present on one side
// only fails the comparison unless it is explicitly allowed.
TEST(Compare, ComparesEverySeedOfAScenarioAndFailsOnWhatWasNotCompared) {
    TempDir dir;
    const harness::Growth flat = slope(0, 0);
    save(dir / "base/day.json", run_with(10 * kMiB, flat), "day", 42);
    save(dir / "base/night.json", run_with(10 * kMiB, flat), "night", 42);
    for (const std::uint64_t seed : {1U, 2U, 3U}) {
        save(dir / fmt::format("cand/day-seed{}.json", seed), run_with(seed == 3 ? 40 * kMiB : 10 * kMiB, flat), "day",
             seed);
    }
    const Comparison c = compare_paths(dir / "base", dir / "cand", CompareOptions{});
    ASSERT_EQ(c.scenarios.size(), 3u);  // every candidate seed compared with the one baseline
    for (const ScenarioComparison& s : c.scenarios) EXPECT_EQ(s.scenario, "day");
    EXPECT_EQ(c.regressions(), 1u);  // seed 3's 40 MiB; seeds 1 and 2 are within the tolerance
    EXPECT_EQ(c.only_in_baseline,
              std::vector<std::string>{"night (seed 42, mimalloc): " + (dir / "base/night.json").string()});
    EXPECT_FALSE(c.passed());

    // Without the regression, the night scenario that was never run still fails the comparison ...
    fs::remove(dir / "cand/day-seed3.json");
    const Comparison unpaired = compare_paths(dir / "base", dir / "cand", CompareOptions{});
    EXPECT_EQ(unpaired.regressions(), 0u);
    EXPECT_FALSE(unpaired.passed());
    std::ostringstream printed;
    print_comparison(printed, unpaired, TerminalStyle{false});
    EXPECT_NE(printed.str().find("not compared, only in the baseline: night (seed 42, mimalloc)"), std::string::npos)
        << printed.str();
    EXPECT_NE(printed.str().find("compare: 1 report not compared"), std::string::npos) << printed.str();
    // ... unless the option says otherwise.
    CompareOptions allow;
    allow.allow_unpaired = true;
    EXPECT_TRUE(compare_paths(dir / "base", dir / "cand", allow).passed());
}

// A night of seeds 1,2,3 against a baseline of seed 1: seed 1 pairs exactly, and seeds 2 and 3 are compared with
// the same baseline run across seeds, not left unpaired.
TEST(Compare, SeedsBesideAnExactPairAreComparedWithTheSameBaseline) {
    TempDir dir;
    const harness::Growth flat = slope(0, 0);
    save(dir / "base/day.json", run_with(10 * kMiB, flat), "day", 1);
    for (const std::uint64_t seed : {1U, 2U, 3U}) {
        save(dir / fmt::format("cand/day-seed{}.json", seed), run_with(seed == 2 ? 40 * kMiB : 10 * kMiB, flat), "day",
             seed);
    }
    const Comparison c = compare_paths(dir / "base", dir / "cand", CompareOptions{});
    ASSERT_EQ(c.scenarios.size(), 3u);
    EXPECT_EQ(c.unpaired(), 0u);
    EXPECT_TRUE(c.scenarios[0].notes.empty());  // seed 1: the exact pair
    EXPECT_EQ(c.scenarios[1].candidate.info.seed, 2u);
    EXPECT_EQ(c.scenarios[1].regressions(), 1u);  // seed 2's leak is caught
    EXPECT_EQ(c.scenarios[2].candidate.info.seed, 3u);
    EXPECT_EQ(c.regressions(), 1u);
    // And the other way round: baseline seeds left over are compared with the candidate's run.
    const Comparison reverse = compare_paths(dir / "cand", dir / "base", CompareOptions{});
    EXPECT_EQ(reverse.scenarios.size(), 3u);
    EXPECT_EQ(reverse.unpaired(), 0u);
}

// Across seeds, a limit's tolerance widens by how far its value spreads over the baseline's seeds.
TEST(Compare, TheSeedsSpreadWidensTheToleranceAcrossSeeds) {
    TempDir dir;
    const harness::Growth flat = slope(0, 0);
    save(dir / "base/day-seed1.json", run_with(10 * kMiB, flat), "day", 1);
    save(dir / "base/day-seed2.json", run_with(14 * kMiB, flat), "day", 2);  // the seeds alone spread 4 MiB
    save(dir / "cand/day-seed7.json", run_with(16 * kMiB, flat), "day", 7);
    const Comparison c = compare_paths(dir / "base", dir / "cand", CompareOptions{});
    ASSERT_EQ(c.scenarios.size(), 2u);  // both baseline seeds are compared with the one candidate
    // 16 MiB against 10 MiB: 6 MiB over; the tolerance is max(1 MiB, 10%) + the 4 MiB spread = 5 MiB.
    EXPECT_EQ(c.scenarios[0].limits[0].peak, Change::regressed);
    // Against 14 MiB: 2 MiB over, within max(1 MiB, 1.4 MiB) + 4 MiB; without the spread it would regress.
    EXPECT_EQ(c.scenarios[1].limits[0].peak, Change::same);
    EXPECT_EQ(compare_runs(run_with(14 * kMiB, flat), run_with(16 * kMiB, flat), CompareOptions{}).limits[0].peak,
              Change::regressed);
}

TEST(Compare, PairsOnlyTheSameAllocator) {
    TempDir dir;
    const harness::Growth flat = slope(0, 0);
    save(dir / "base/day.json", run_with(10 * kMiB, flat), "day", 1);
    harness::RunResult tcmalloc = run_with(10 * kMiB, flat);
    tcmalloc.info.allocator = "tcmalloc";
    save(dir / "cand/day-tcmalloc.json", tcmalloc, "day", 1);
    save(dir / "cand/day.json", run_with(10 * kMiB, flat), "day", 1);
    const Comparison c = compare_paths(dir / "base", dir / "cand", CompareOptions{});
    ASSERT_EQ(c.scenarios.size(), 1u);
    EXPECT_EQ(c.scenarios[0].candidate.info.allocator, "mimalloc");
    EXPECT_EQ(c.only_in_candidate,
              std::vector<std::string>{"day (seed 1, tcmalloc): " + (dir / "cand/day-tcmalloc.json").string()});
    fs::remove(dir / "cand/day.json");
    EXPECT_EQ(message_of<Error>([&] { compare_paths(dir / "base", dir / "cand", {}); }),
              fmt::format("{} and {}: no scenario has a report in both folders under the same allocator",
                          (dir / "base").string(), (dir / "cand").string()));
}

TEST(Compare, NotesACandidateThatMeasuredFewerLayers) {
    harness::RunResult base = run_with(10 * kMiB, slope(0, 0));
    base.info.layers = {"os", "allocator", "engine"};
    harness::RunResult cand = base;
    cand.info.layers = {"os"};
    EXPECT_EQ(compare_runs(base, cand, CompareOptions{}).notes,
              std::vector<std::string>{
                  "the candidate measured fewer layers: allocator, engine not measured, its limits not compared"});
    EXPECT_TRUE(compare_runs(cand, base, CompareOptions{}).notes.empty());
}

TEST(Compare, RejectsInputsThatCannotBeCompared) {
    TempDir dir;
    save(dir / "a/day.json", run_with(kMiB, slope(0, 0)), "day", 1);
    save(dir / "b/night.json", run_with(kMiB, slope(0, 0)), "night", 1);
    EXPECT_EQ(message_of<Error>([&] { compare_paths(dir / "a", dir / "b/night.json", {}); }),
              fmt::format("{} is a folder but {} is a file: compare two reports or two folders of reports",
                          (dir / "a").string(), (dir / "b/night.json").string()));
    EXPECT_EQ(message_of<Error>([&] { compare_paths(dir / "a", dir / "b", {}); }),
              fmt::format("{} and {}: no scenario has a report in both folders under the same allocator",
                          (dir / "a").string(), (dir / "b").string()));
    save(dir / "a/day-again.json", run_with(kMiB, slope(0, 0)), "day", 1);
    EXPECT_EQ(message_of<Error>([&] { compare_paths(dir / "a", dir / "a", {}); }),
              fmt::format("{} and {}: two reports of day (seed 1, mimalloc)", (dir / "a/day-again.json").string(),
                          (dir / "a/day.json").string()));
}

TEST(Compare, PrintsATablePerScenarioAndTheReasonUnderARegression) {
    const harness::Growth flat = slope(0, 0);
    Comparison c;
    c.scenarios.push_back(compare_runs(run_with(20 * kMiB, flat), run_with(23 * kMiB, flat), CompareOptions{}));
    c.scenarios[0].baseline_file = "base/day.json";
    c.scenarios[0].candidate_file = "day.json";
    std::ostringstream out;
    print_comparison(out, c, TerminalStyle{false});
    EXPECT_EQ(out.str(),
              "day (seed 0): baseline base/day.json, candidate day.json\n"
              "  budget   limit              baseline  candidate  change    %       growth          status\n"
              "  process  peak os.rss_bytes  20.0 MiB  23.0 MiB   +3.0 MiB  +15.0%  0 B/h -> 0 B/h  REGRESSED\n"
              "           peak 20.0 MiB -> 23.0 MiB, +3.0 MiB beyond the 2.0 MiB tolerance\n"
              "\n"
              "tolerances: peak max(1.0 MiB, 10%), count max(10, 10%), growth max(64.0 KiB/h, 10%) between the 95% "
              "intervals\n"
              "compare: 1 regression in 1 of 1 scenario\n");
}

TEST(Compare, JsonCarriesEveryLimitWithItsChangeInPercent) {
    const harness::Growth flat = slope(0, 0);
    Comparison c;
    c.scenarios.push_back(compare_runs(run_with(20 * kMiB, flat), run_with(23 * kMiB, flat), CompareOptions{}));
    const nlohmann::json json = comparison_to_json(c);
    EXPECT_EQ(json["regressions"], 1);
    ASSERT_EQ(json["scenarios"].size(), 1u);
    const auto& limit = json["scenarios"][0]["limits"][0];
    EXPECT_EQ(limit["metric"], "os.rss_bytes");
    EXPECT_DOUBLE_EQ(limit["change_percent"].get<double>(), 15.0);
    EXPECT_DOUBLE_EQ(limit["change"].get<double>(), 3 * kMiB);
    EXPECT_EQ(limit["overall"], "regressed");
    EXPECT_EQ(format_percent_change(10300), "+10,300%");
    EXPECT_EQ(format_percent_change(-4.0), "-4.0%");
    EXPECT_EQ(format_percent_change(std::nan("")), "n/a");
}

}  // namespace
}  // namespace memsoak::reports
