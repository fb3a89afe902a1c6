// memsoak probe end to end: retained bytes per action on the production day, its exit codes and its report.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

const std::string kDay = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios/production-day.json";

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

TEST(CliProbe, Issue2ExitsOneNamingTheChartRedrawsAndWritesRetentionToTheReport) {
    TempDir dir;
    const ProcessResult r =
        run_memsoak({"probe", kDay, "--leak", "issue-2", "--rounds", "4", "--out", dir.file("p.json")});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("FAIL: an action retains significantly more than 1.0 KiB per call"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("RETAINS"), std::string::npos) << r.output;

    const nlohmann::json report = nlohmann::json::parse(read_text(dir.file("p.json")));
    EXPECT_EQ(report["retention_trigger"], "memsoak probe");
    bool chart_found = false;
    for (const auto& action : report["retention"]) {
        EXPECT_EQ(action["rounds"], 4);
        if (action["action"] != "refresh_chart") continue;
        chart_found = true;
        EXPECT_TRUE(action["significant"].get<bool>());
        EXPECT_GT(action["live_ci_low"].get<double>(), 100 * 1024.0);
    }
    EXPECT_TRUE(chart_found) << report["retention"].dump();
}

TEST(CliProbe, ThresholdDecidesTheExitCode) {
    const ProcessResult r =
        run_memsoak({"probe", kDay, "--leak", "issue-2", "--rounds", "3", "--threshold", "10 MiB", "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "");
}

TEST(CliProbe, FixedEngineExitsZero) {
    if (kSanitizerBuild) {
        GTEST_SKIP() << "sanitizer allocators pad every block with redzones: the 1 KiB bound is the real allocators'";
    }
    const ProcessResult r = run_memsoak({"probe", kDay});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("PASS: no action retains significantly more than 1.0 KiB per call"), std::string::npos)
        << r.output;
}

TEST(CliProbe, BadRoundsOrThresholdIsBadUsageNamingTheOption) {
    ProcessResult r = run_memsoak({"probe", kDay, "--rounds", "1"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--rounds: expected a whole number from 2 to 1000, got \"1\""), std::string::npos)
        << r.output;
    r = run_memsoak({"probe", kDay, "--threshold", "fast"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--threshold: expected a size"), std::string::npos) << r.output;
    r = run_memsoak({"probe"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("missing the scenario file"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace memsoak::testing
