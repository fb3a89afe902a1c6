// memsoak selftest --power through the real binary: a short detection-power study (one scenario, one shape, one
// action, two rates, two seeds) and its usage errors.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

using nlohmann::json;

const std::string kScenarios = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios";

// The production day's process limits catch 64 KiB/h of untracked per-call leak into tick in every seed; the 8 MiB
// bounded fill passes.
TEST(SelftestPower, ShortStudyCatchesTheLargeRateAndTheFillPasses) {
    TempDir dir;
    const ProcessResult r =
        run_memsoak({"selftest", "--power", "--power-scenarios", "production-day", "--power-shapes", "per_call",
                     "--power-rates", "512B/h,64KiB/h", "--power-seeds", "2", "--power-actions", "tick", "--scenarios",
                     kScenarios, "--out", dir.file("power.json")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // Only the power study: no leak matrix.
    EXPECT_EQ(r.output.find("issue-1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("8 MiB fill: 2/2 passed"), std::string::npos) << r.output;

    const json power = json::parse(read_text(dir.file("power.json")))["power"];
    EXPECT_EQ(power["seeds"], json({2000, 2001}));
    EXPECT_EQ(power["required"], 2);
    ASSERT_EQ(power["cells"].size(), 1u) << power.dump(1);
    const json& cell = power["cells"][0];
    EXPECT_EQ(cell["scenario_name"], "production-day");
    EXPECT_EQ(cell["shape"], "per_call");
    EXPECT_EQ(cell["action"], "tick");
    EXPECT_EQ(cell["calls_per_hour"], 60.0);
    // round(512 / 60) = 9 bytes a tick (true rate 540 B/h); round(65536 / 60) = 1092 (65520 B/h).
    EXPECT_EQ(cell["bytes_per_call"], json({9, 1092}));
    EXPECT_EQ(cell["true_rate_per_hour"], json({540.0, 65520.0}));
    EXPECT_EQ(cell["caught"][1], 2) << cell.dump(1);
    EXPECT_EQ(cell["detection_limit_per_hour"].is_null(), false) << cell.dump(1);
    EXPECT_LE(cell["detection_limit_per_hour"].get<double>(), 65520.0);

    ASSERT_EQ(power["fills"].size(), 1u);
    const json& fill = power["fills"][0];
    // 6 hours of ticks a minute: 361 ticks (the first at 0) of ceil(8 MiB / 361) bytes.
    EXPECT_EQ(fill["bytes_per_tick"], 23238);
    EXPECT_EQ(fill["capacity"], 8388608);
    EXPECT_EQ(fill["passed"], 2);
    EXPECT_EQ(fill["false_alarms"], 0);
}

TEST(SelftestPower, AMisspeltShapeRateOrActionIsExitTwoNamingTheOption) {
    const ProcessResult shape =
        run_memsoak({"selftest", "--power", "--power-shapes", "per_call,per-call", "--scenarios", kScenarios});
    EXPECT_EQ(shape.exit_code, 2);
    EXPECT_NE(shape.output.find("--power-shapes: expected per_call, staircase or mmap, got \"per-call\""),
              std::string::npos)
        << shape.output;
    const ProcessResult rate =
        run_memsoak({"selftest", "--power", "--power-rates", "1KiB/h,64KB/hour", "--scenarios", kScenarios});
    EXPECT_EQ(rate.exit_code, 2);
    EXPECT_NE(rate.output.find("--power-rates: "), std::string::npos) << rate.output;
    EXPECT_NE(rate.output.find("64KB/hour"), std::string::npos) << rate.output;
    const ProcessResult action =
        run_memsoak({"selftest", "--power", "--power-actions", "gui_freeze", "--scenarios", kScenarios});
    EXPECT_EQ(action.exit_code, 2);
    EXPECT_NE(action.output.find("--power-actions: expected some of tick,"), std::string::npos) << action.output;
    const ProcessResult scenario =
        run_memsoak({"selftest", "--power", "--power-scenarios", "no-such-day", "--scenarios", kScenarios});
    EXPECT_EQ(scenario.exit_code, 2);
    EXPECT_NE(scenario.output.find("--power-scenarios: no scenario \"no-such-day\""), std::string::npos)
        << scenario.output;
    const ProcessResult alone = run_memsoak({"selftest", "--power-seeds", "3", "--scenarios", kScenarios});
    EXPECT_EQ(alone.exit_code, 2);
    EXPECT_NE(alone.output.find("--power-seeds: only with --power"), std::string::npos) << alone.output;
}

// A/A runs of a whole suite: each scenario once per seed (3000..), any failed budget a false alarm.
TEST(SelftestAaSuite, RunsEveryScenarioOfTheSuitePerSeed) {
    TempDir dir;
    write_text(dir.file("suite.json"),
               R"({"schema_version": 1, "name": "aa", "scenarios": [")" + kScenarios + R"(/gui-hour.json"]})");
    const ProcessResult r = run_memsoak({"selftest", "--aa-suite", dir.file("suite.json"), "--aa-runs", "3",
                                         "--scenarios", kScenarios, "--out", dir.file("aa.json")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("A/A suite.json: 3 runs, 0 false alarms, 0 errors"), std::string::npos) << r.output;
    const json aa = json::parse(read_text(dir.file("aa.json")))["aa_suite"];
    EXPECT_EQ(aa["seeds"], json({3000, 3001, 3002}));
    EXPECT_EQ(aa["runs"], 3);
    EXPECT_EQ(aa["false_alarms"], 0);
    // Only the A/A suite: no leak matrix.
    EXPECT_EQ(r.output.find("issue-1"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace memsoak::testing
