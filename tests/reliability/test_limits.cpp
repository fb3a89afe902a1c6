// Limits: --max-rss stops a runaway scenario with a clear verdict instead of taking the machine down, whatever
// layers are measured; in a suite, a scenario whose process crashes is reported as crashed and the suite goes on.

#include <signal.h>

#include <string>

#include <gtest/gtest.h>

#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/reports/json_report.hpp"
#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reliability {
namespace {

using namespace memsoak::testing;

namespace fs = std::filesystem;

const fs::path kScenarios = fs::path(MEMSOAK_SOURCE_DIR) / "scenarios";
constexpr double kMaxRssBytes = 100.0 * 1024 * 1024;

// The production day with issue 1 leaking keeps every 2-5 MB analysis frame: hundreds of MiB by the end of the
// day (docs/budgets.md). --max-rss 100MiB must stop it long before.
harness::RunResult run_leaky_production_day(const TempDir& dir, const std::string& measure) {
    const fs::path report = dir / "report.json";
    ChildProcess run({MEMSOAK_BINARY, "run", (kScenarios / "production-day.json").string(), "--leak", "issue-1",
                      "--max-rss", "100MiB", "--measure", measure, "--out", report.string(), "--quiet"},
                     dir / "run.log");
    const ExitStatus status = run.wait();
    EXPECT_EQ(status.exit_code, 1) << read_text(dir / "run.log");
    return reports::load_report(report);
}

TEST(MaxRss, StopsARunawayScenarioWithAFailingVerdictAndSaysWhy) {
    TempDir dir;
    const harness::RunResult result = run_leaky_production_day(dir, "os,allocator,engine");
    EXPECT_EQ(result.verdict, harness::Verdict::fail);
    EXPECT_FALSE(result.info.interrupted);
    EXPECT_EQ(result.info.stop_reason, "resident set exceeded --max-rss 104857600 bytes");
    EXPECT_LT(result.info.virtual_elapsed, std::chrono::hours(24));
    // It stopped at the first sample above the limit: every earlier sample is below it.
    const std::optional<std::size_t> rss = result.samples.index_of("os.rss_bytes");
    ASSERT_TRUE(rss);
    const std::vector<double>& values = result.samples.values[*rss];
    EXPECT_GT(values.back(), kMaxRssBytes);
    for (std::size_t i = 0; i + 1 < values.size(); ++i) EXPECT_LE(values[i], kMaxRssBytes) << "sample " << i;
}

TEST(MaxRss, StopsTheRunEvenWhenTheOsLayerIsNotSampled) {
    TempDir dir;
    const harness::RunResult result = run_leaky_production_day(dir, "allocator,engine");
    EXPECT_FALSE(result.samples.index_of("os.rss_bytes"));
    EXPECT_EQ(result.verdict, harness::Verdict::fail);
    EXPECT_EQ(result.info.stop_reason, "resident set exceeded --max-rss 104857600 bytes");
    EXPECT_LT(result.info.virtual_elapsed, std::chrono::hours(24));
}

constexpr std::string_view kQuickScenario = R"({
  "schema_version": 1, "name": "NAME", "duration": "2h", "seed": 1, "sample_interval": "10m", "warmup": "0s",
  "engine": {"candle_interval": "1h", "analysis_period": "3d"},
  "workload": [{"action": "tick", "every": "1h"}, {"action": "analyze", "every": "1h"}],
  "budgets": ["issue-5"]
})";

TEST(CrashedScenario, IsReportedAsCrashedAndTheSuiteGoesOn) {
    TempDir dir;
    harness::Suite suite;
    suite.file = (dir / "suite.json").string();
    suite.name = "crash";
    for (const std::string name : {"before", "crashes", "after"}) {
        std::string text(kQuickScenario);
        text.replace(text.find("NAME"), 4, name);
        write_text(dir / (name + ".json"), text);
        suite.scenarios.push_back(dir / (name + ".json"));
    }
    write_text(dir / "budgets.json", read_text(uncalibrated_ledger()));
    // Stands in for memsoak: the run of crashes.json dies of SIGSEGV, as a crashing memsoak would; every other
    // run is the real one. No crash hook in memsoak itself.
    const fs::path crashing_memsoak = dir / "crashing-memsoak";
    write_text(crashing_memsoak, std::string("#!/bin/sh\ncase \"$2\" in *crashes.json) kill -SEGV $$ ;; esac\nexec ") +
                                     MEMSOAK_BINARY + " \"$@\"\n");
    fs::permissions(crashing_memsoak, fs::perms::owner_all);

    harness::SuiteOptions options;
    options.executable = crashing_memsoak;
    options.out_dir = dir / "out";
    const std::vector<harness::SuiteEntry> entries = harness::run_suite(suite, options, nullptr);

    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[1].outcome, harness::Outcome::crashed);
    EXPECT_EQ(entries[1].signal, SIGSEGV);
    EXPECT_EQ(entries[1].exit_code, -1);
    EXPECT_TRUE(entries[1].report.empty());
    for (const std::size_t ran : {0u, 2u}) {
        EXPECT_EQ(entries[ran].outcome, harness::Outcome::pass) << read_text(entries[ran].log);
        EXPECT_EQ(entries[ran].exit_code, 0);
        ASSERT_FALSE(entries[ran].report.empty());
        EXPECT_EQ(reports::load_report(entries[ran].report).verdict, harness::Verdict::pass);
    }
    EXPECT_EQ(harness::suite_exit_code(entries), 3);
}

}  // namespace
}  // namespace memsoak::reliability
