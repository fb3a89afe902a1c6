// Diagnosis end to end, through the real binaries: the selftest's short form (every leak caught, no false alarm),
// the selftest without the engine layer, a selftest that must fail, fixcheck, the layer diagnosis in the report,
// and heap profiles with memsoak-tcmalloc.

#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/json_files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kScenarios = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios";
// Built beside the binary under test, except in sanitizer builds (which have no allocator-specific binaries).
const fs::path kTcmallocBinary = fs::path(MEMSOAK_BINARY).parent_path() / "memsoak-tcmalloc";

const json& issue_row(const json& matrix, const std::string& issue) {
    for (const json& row : matrix["issues"]) {
        if (row["issue"] == issue) return row;
    }
    throw std::runtime_error("no issue " + issue);
}

// The CI form of the proof that every budget can fail.
TEST(Selftest, ShortFormCatchesEveryLeakAndRaisesNoFalseAlarm) {
    TempDir dir;
    const ProcessResult r =
        run_memsoak({"selftest", "--short", "--scenarios", kScenarios, "--out", dir.file("selftest.json")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("issue-1  gui-hour.json"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("selftest: PASS: every leak caught, every fixed run passed, no false alarm in 10 A/A "
                            "runs"),
              std::string::npos)
        << r.output;

    const json matrix = read_json(dir.file("selftest.json"));
    EXPECT_EQ(matrix["passed"], true);
    EXPECT_EQ(matrix["seeds"], json({1, 2, 3}));
    EXPECT_EQ(matrix["aa_seeds"].size(), 10u);
    EXPECT_EQ(matrix["aa_seeds"][0], 4);  // A/A seeds follow the leak seeds
    ASSERT_EQ(matrix["issues"].size(), 5u);
    for (const json& row : matrix["issues"]) {
        EXPECT_EQ(row["leaky"]["caught"], 3) << row.dump();
        EXPECT_EQ(row["leaky"]["missed"], 0) << row.dump();
        EXPECT_EQ(row["fixed"]["passed"], 3) << row.dump();
        EXPECT_FALSE(row["first_detection_s"].is_null()) << row.dump();
    }
    // The status display retains a whole frame (2.4 MB) from the first analysis on: above its 1 MiB peak at once.
    EXPECT_LE(issue_row(matrix, "issue-1")["first_detection_s"]["max"].get<double>(), 3600.0);
    // trading-months starts with the 1000-transaction history full (saturate): the leak passes 1000 at its first
    // trade, so the first of the 50 prefixes of the 180-day run, 3.6 days, catches it (it took 16.7 days to fill).
    EXPECT_LE(issue_row(matrix, "issue-3")["first_detection_s"]["max"].get<double>(), 3.6 * 86400 + 1);
    EXPECT_EQ(matrix["aa"]["runs"], 10);
    EXPECT_EQ(matrix["aa"]["false_alarms"], 0);
    EXPECT_EQ(matrix["aa"]["false_alarm_rate"], 0.0);
    // 5 issues x 3 seeds leaky, 4 distinct scenarios x 3 seeds fixed (issues 1 and 2 share gui-hour), 10 A/A.
    EXPECT_EQ(matrix["runs"].size(), 15u + 12u + 10u);
}

// Without the engine's self-report the process and steady-heap budgets must catch every leak.
TEST(Selftest, WithoutTheEngineLayerEveryLeakIsStillCaught) {
    TempDir dir;
    const ProcessResult r = run_memsoak({"selftest", "--seeds", "1", "--aa-runs", "0", "--measure", "os,allocator",
                                         "--scenarios", kScenarios, "--out", dir.file("selftest.json")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json matrix = read_json(dir.file("selftest.json"));
    EXPECT_EQ(issue_row(matrix, "issue-3")["scenario"], kScenarios + "/transactions-allocator.json");
    EXPECT_EQ(issue_row(matrix, "issue-5")["scenario"], kScenarios + "/signals-allocator.json");
    for (const json& run : matrix["runs"]) {
        EXPECT_TRUE(run["ok"].get<bool>()) << run.dump();
        if (run["role"] != "leaky") continue;
        const std::vector<std::string> failed = run["failed_budgets"];
        const std::string expected = run["issue"] == "issue-3" || run["issue"] == "issue-5" ? "steady-heap" : "process";
        EXPECT_EQ(failed, std::vector<std::string>{expected}) << run.dump();
    }
    // From the allocator alone, the issue-1 leak shows once the process budget has six samples: 50 minutes.
    EXPECT_LE(issue_row(matrix, "issue-1")["first_detection_s"]["max"].get<double>(), 3600.0);
}

// A scenario too short to fill the transaction history (started empty, judged by issue-3 alone) cannot catch
// issue 3: the selftest must say so and fail.
TEST(Selftest, ALeakThatIsMissedFailsTheSelftest) {
    TempDir dir;
    for (const auto& entry : fs::directory_iterator(kScenarios)) {
        if (entry.path().extension() == ".json") fs::copy_file(entry.path(), dir.file(entry.path().filename()));
    }
    json short_trading = read_json(kScenarios + "/trading-months.json");
    short_trading["duration"] = "2d";
    short_trading["engine"].erase("saturate");
    short_trading["budgets"] = json::array({"issue-3"});
    write_text(dir.file("trading-months.json"), short_trading.dump());
    const ProcessResult r =
        run_memsoak({"selftest", "--issue", "issue-3", "--seeds", "1", "--aa-runs", "0", "--scenarios", dir.path(),
                     "--out", dir.file("selftest.json"), "--work-dir", dir.file("work")});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    // Without a terminal (this capture, a CI log), a line per finished run.
    EXPECT_NE(r.output.find("memsoak selftest: [1/2] "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("memsoak selftest: [2/2] "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("leaky issue-3 seed 1 (trading-months.json): passed: the leak was missed; log "),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("selftest: FAIL"), std::string::npos) << r.output;
    const json matrix = read_json(dir.file("selftest.json"));
    EXPECT_EQ(matrix["passed"], false);
    EXPECT_EQ(issue_row(matrix, "issue-3")["leaky"]["missed"], 1);
    EXPECT_TRUE(issue_row(matrix, "issue-3")["first_detection_s"].is_null());
    EXPECT_EQ(issue_row(matrix, "issue-3")["fixed"]["passed"], 1);
    EXPECT_EQ(matrix["issues"].size(), 1u);  // --issue
    EXPECT_EQ(matrix["runs"].size(), 2u);
}

TEST(Selftest, BadUsageIsExitTwo) {
    const ProcessResult r = run_memsoak({"selftest", "--seeds", "0"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.output,
              "memsoak selftest: --seeds: expected a whole number from 1 to 100000, got \"0\"\n"
              "(see memsoak selftest --help)\n");
    const ProcessResult negative = run_memsoak({"selftest", "--aa-runs", "-1"});
    EXPECT_EQ(negative.exit_code, 2);
    EXPECT_EQ(negative.output,
              "memsoak selftest: --aa-runs: expected a whole number from 0 to 100000, got \"-1\"\n"
              "(see memsoak selftest --help)\n");
    const ProcessResult issue = run_memsoak({"selftest", "--issue", "issue-6", "--scenarios", kScenarios});
    EXPECT_EQ(issue.exit_code, 2);
    EXPECT_NE(issue.output.find("--issue issue-6: expected one of issue-1, issue-2, issue-3, issue-4, issue-5"),
              std::string::npos)
        << issue.output;
    const ProcessResult missing = run_memsoak({"selftest", "--scenarios", "/nonexistent"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.output.find("/nonexistent/gui-hour.json: no such scenario file (the selftest's scenario for "
                                  "issue-1)"),
              std::string::npos)
        << missing.output;
}

TEST(Fixcheck, ReportsWhatTheFixesSaveAndTheVerdictFlip) {
    TempDir dir;
    const ProcessResult r = run_memsoak({"fixcheck", kScenarios + "/gui-hour.json", "--out", dir.file("fix.json")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("memsoak fixcheck: gui-hour (seed 1), issue-1, issue-2 switched on vs every fix"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("with leaks: fail (issue-1, issue-2, process); fixed: pass"), std::string::npos)
        << r.output;

    const json fix = read_json(dir.file("fix.json"));
    EXPECT_EQ(fix["leaks"], json({"issue-1", "issue-2"}));
    EXPECT_EQ(fix["verdict_flips"], true);
    EXPECT_EQ(fix["with_leaks"]["verdict"], "fail");
    EXPECT_EQ(fix["fixed"]["verdict"], "pass");
    std::map<std::string, json> measures;
    for (const json& m : fix["measures"]) measures[m["name"]] = m;
    ASSERT_EQ(measures.size(), 4u);
    constexpr double kMiB = 1024.0 * 1024.0;
    // Issue 1 keeps a 2.4 MB frame per 15-minute analysis and issue 2 a 1-3 MB figure per redraw: ~20 MiB/h.
    EXPECT_GT(measures["live bytes growth"]["with_leaks"].get<double>(), 10 * kMiB);
    EXPECT_LT(measures["live bytes growth"]["with_leaks"].get<double>(), 30 * kMiB);
    EXPECT_GT(measures["live bytes growth"]["percent"].get<double>(), 95.0);
    EXPECT_LT(measures["final live bytes"]["fixed"].get<double>(), 16 * kMiB);
    EXPECT_GT(measures["final live bytes"]["saving"].get<double>(), 8 * kMiB);
    EXPECT_GT(measures["peak RSS"]["with_leaks"].get<double>(), measures["peak RSS"]["fixed"].get<double>());
    EXPECT_EQ(measures["peak RSS"]["saving"].get<double>(),
              measures["peak RSS"]["with_leaks"].get<double>() - measures["peak RSS"]["fixed"].get<double>());
}

TEST(Fixcheck, AScenarioThatChecksNoIssueNeedsLeaksNamed) {
    TempDir dir;
    write_text(dir.file("budgets.json"), read_text(uncalibrated_ledger()));
    write_text(dir.file("s.json"), R"({"schema_version": 1, "name": "s", "duration": "1h", "seed": 1,
        "sample_interval": "10m", "warmup": "0s", "workload": [{"action": "tick", "every": "1m"}],
        "budgets": ["process"]})");
    const ProcessResult r = run_memsoak({"fixcheck", dir.file("s.json")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("memsoak fixcheck: " + dir.file("s.json") +
                            " checks no study issue: name the leaks to switch on with --leak"),
              std::string::npos)
        << r.output;
}

TEST(Diagnosis, TheReportSaysWhichLayerGrows) {
    TempDir dir;
    const ProcessResult r =
        run_memsoak({"run", kScenarios + "/gui-hour.json", "--leak", "issue-1", "--out", dir.file("r.json")});
    ASSERT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("diagnosis: retention: live bytes grow "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("(largest: status_display, issue-1)"), std::string::npos) << r.output;
    // The whole-process limits agree: live-heap growth fails the process budget too.
    EXPECT_NE(r.output.find("process  FAIL"), std::string::npos) << r.output;

    const json diagnosis = read_json(dir.file("r.json"))["diagnosis"];
    EXPECT_EQ(diagnosis["kind"], "retention");
    // The floor for layers without a limit of their own: the smallest growth limit the run judged, here the
    // process budget's calibrated live-heap limit.
    EXPECT_LT(diagnosis["rate_floor_bytes_per_hour"].get<double>(), 65536.0);
    EXPECT_EQ(diagnosis["layers"][2]["growing"], true);  // as the failed live-heap limit says
    EXPECT_GT(diagnosis["engine_share"].get<double>(), 0.5);
    ASSERT_EQ(diagnosis["layers"].size(), 4u);
    EXPECT_EQ(diagnosis["layers"][2]["metric"], "allocator.live_bytes");
    EXPECT_EQ(diagnosis["layers"][2]["growing"], true);
    EXPECT_EQ(diagnosis["layers"][3]["metric"], "engine.total_bytes");
    EXPECT_EQ(diagnosis["layers"][0]["purged_only"], true);
}

TEST(HeapProfile, WithoutTcmallocTheOptionIsAUsageError) {
    const ProcessResult r = run_memsoak({"run", kScenarios + "/gui-hour.json", "--heap-profile"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("memsoak run: --heap-profile needs tcmalloc's heap profiler: run memsoak-tcmalloc (this "
                            "memsoak's allocator is "),
              std::string::npos)
        << r.output;
}

// The issue-1 leak keeps every analysis frame: the site that grew most is where the frame's columns are allocated.
TEST(HeapProfile, TheTopSiteOfTheIssue1LeakIsThePriceFramesColumns) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no memsoak-tcmalloc in this build";
    TempDir dir;
    const ProcessResult r = run_program(kTcmallocBinary, {"run", kScenarios + "/gui-hour.json", "--leak", "issue-1",
                                                          "--heap-profile", "--out", dir.file("r.json")});
    ASSERT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("heap growth by allocation site, first to last of 13 profiles (every 5m, in " +
                            dir.file("r.heap")),
              std::string::npos)
        << r.output;

    const json heap = read_json(dir.file("r.json"))["heap_profile"];
    EXPECT_FALSE(heap.contains("error")) << heap.dump();
    EXPECT_EQ(heap["interval_s"], 300.0);
    EXPECT_EQ(heap["profiles"].size(), 13u);  // 0, 5m, ..., 1h
    EXPECT_EQ(heap["profiles"][0], "gui-hour.0001.heap");
    ASSERT_FALSE(heap["sites"].empty());
    const json& top = heap["sites"][0];
    EXPECT_EQ(top["function"], "memsoak::engine::PriceFrame::add_column") << heap["sites"].dump(1);
    const std::vector<std::string> callers = top["callers"];
    EXPECT_NE(std::find(callers.begin(), callers.end(), "memsoak::engine::Analyzer::analyze"), callers.end())
        << top.dump();
    // Four retained frames of 29 columns x 10080 rows x 8 bytes, less what was live at the first profile.
    EXPECT_GT(top["bytes"].get<double>(), 4.0 * 1024 * 1024);
    EXPECT_TRUE(fs::exists(dir.file("r.heap/gui-hour.0013.heap")));
}

}  // namespace
}  // namespace memsoak::testing
