// The command line's contract: help, version, exit codes, error messages, the suite.

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

const std::string kScenarios = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios";

TEST(Cli, VersionAndHelpExitZero) {
    const ProcessResult version = run_memsoak({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.output.rfind("memsoak 0.1.0 (commit ", 0), 0u) << version.output;
    for (const std::string command : {"run", "suite", "list", "validate"}) {
        const ProcessResult help = run_memsoak({command, "--help"});
        EXPECT_EQ(help.exit_code, 0) << command;
        EXPECT_NE(help.output.find("memsoak " + command), std::string::npos) << help.output;
    }
}

TEST(Cli, UnknownCommandIsBadUsage) {
    const ProcessResult r = run_memsoak({"soak"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.output.rfind("memsoak: unknown command \"soak\"\n", 0), 0u) << r.output;
}

TEST(Cli, UnknownLeakIsBadUsage) {
    const ProcessResult r = run_memsoak({"run", kScenarios + "/gui-hour.json", "--leak", "issue-9"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--leak issue-9: expected one of issue-1, issue-2, issue-3, issue-4, issue-5"),
              std::string::npos)
        << r.output;
}

TEST(Cli, UnknownLayerIsBadUsage) {
    const ProcessResult r = run_memsoak({"run", kScenarios + "/gui-hour.json", "--measure", "os,heap"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--measure: unknown layer \"heap\"; expected a comma-separated list of os, allocator, "
                            "engine"),
              std::string::npos)
        << r.output;
}

TEST(Cli, ListAlignsScenariosSuitesAndBudgetsInColumns) {
    TempDir dir;
    write_text(dir.file("budgets.json"), R"({"schema_version": 1, "budgets": {
        "a-rather-long-budget": {"description": "first", "limits": [{"metric": "os.rss_bytes", "peak": "1 GiB"}]},
        "b": {"description": "second", "limits": [{"metric": "os.rss_bytes", "peak": "2 GiB"}]}}})");
    for (const std::string name : {"short", "a-much-longer-name"}) {
        write_text(dir.file(name + ".json"),
                   R"({"schema_version": 1, "name": ")" + name + R"(", "duration": "2h", "seed": 1,
            "sample_interval": "1m", "warmup": "0s", "workload": [{"action": "tick", "every": "1h"}], "budgets": ["b"]})");
    }
    write_text(dir.file("suite.json"), R"({"schema_version": 1, "name": "both",
        "scenarios": ["short.json", "a-much-longer-name.json"]})");
    const ProcessResult r = run_memsoak({"list", dir.path()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output,
              "Scenarios:\n"
              "  a-much-longer-name  2h  b  a-much-longer-name.json\n"
              "  short               2h  b  short.json\n"
              "Suites:\n"
              "  both  2 scenarios  suite.json\n"
              "Budgets (" +
                  dir.file("budgets.json") +
                  "):\n"
                  "  a-rather-long-budget  first\n"
                  "  b                     second\n");
}

TEST(Cli, ValidateAcceptsEveryShippedFile) {
    const ProcessResult r = run_memsoak({"validate", kScenarios + "/nightly.json", kScenarios + "/budgets.json",
                                         kScenarios + "/production-day.json", kScenarios + "/replay-btc.json"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(Cli, ValidateNamesFileAndFieldOfABadScenario) {
    TempDir dir;
    write_text(dir.file("budgets.json"), read_text(uncalibrated_ledger()));
    write_text(dir.file("bad.json"), R"({"schema_version": 1, "name": "bad", "duration": "2h", "seed": 1,
        "sample_interval": "1m", "warmup": "0s", "workload": [{"action": "tick", "every": "fast"}],
        "budgets": ["process"]})");
    const ProcessResult r = run_memsoak({"validate", dir.file("bad.json")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find(dir.file("bad.json") + ":2:91: $.workload[0].every: "), std::string::npos) << r.output;
}

TEST(Cli, ValidateRejectsABudgetMissingFromTheLedger) {
    TempDir dir;
    write_text(dir.file("budgets.json"), read_text(uncalibrated_ledger()));
    write_text(dir.file("s.json"), R"({"schema_version": 1, "name": "s", "duration": "2h", "seed": 1,
        "sample_interval": "1m", "warmup": "0s", "workload": [{"action": "tick", "every": "1m"}],
        "budgets": ["issue-7"]})");
    const ProcessResult r = run_memsoak({"validate", dir.file("s.json")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find(dir.file("s.json") + ": $.budgets[0]: budget \"issue-7\" is not in the ledger " +
                            dir.file("budgets.json")),
              std::string::npos)
        << r.output;
}

TEST(Cli, MeasureWithoutEngineLeavesEngineBudgetsUnmeasured) {
    TempDir dir;
    const ProcessResult r = run_memsoak(
        {"run", kScenarios + "/gui-hour.json", "--measure", "os,allocator", "--out", dir.file("r.json"), "--quiet"});
    const auto report = nlohmann::json::parse(read_text(dir.file("r.json")));
    EXPECT_EQ(report["run"]["layers"], nlohmann::json({"os", "allocator"}));
    for (const auto& budget : report["budgets"]) {
        const std::string expected = budget["issue"] == "process" ? "pass" : "not_measured";
        EXPECT_EQ(budget["verdict"], expected) << budget.dump();
    }
    for (const auto& [metric, values] : report["samples"]["metrics"].items()) {
        EXPECT_NE(metric.rfind("engine.", 0), 0u) << metric;
    }
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(Cli, SuiteRunsEachScenarioAndReportsTheWorstOutcome) {
    TempDir dir;
    write_text(dir.file("budgets.json"), read_text(uncalibrated_ledger()));
    write_text(dir.file("suite.json"), R"({"schema_version": 1, "name": "two",
        "scenarios": ["gui-hour.json", "signals-month.json"]})");
    for (const std::string s : {"gui-hour.json", "signals-month.json"}) {
        write_text(dir.file(s), read_text(kScenarios + "/" + s));
    }
    const ProcessResult pass = run_memsoak({"suite", dir.file("suite.json"), "--out-dir", dir.file("out")});
    EXPECT_EQ(pass.exit_code, 0) << pass.output;
    EXPECT_FALSE(read_text(dir.file("out/gui-hour.json")).empty());
    EXPECT_FALSE(read_text(dir.file("out/signals-month.json")).empty());

    const ProcessResult fail =
        run_memsoak({"suite", dir.file("suite.json"), "--out-dir", dir.file("out2"), "--leak", "issue-5"});
    EXPECT_EQ(fail.exit_code, 1) << fail.output;
    EXPECT_NE(fail.output.find("issue-5 failed"), std::string::npos) << fail.output;
}

TEST(Cli, ASuiteIntoAReusedFolderRemovesThePreviousSuitesResultsOnly) {
    TempDir dir;
    write_text(dir.file("budgets.json"), read_text(uncalibrated_ledger()));
    // Scenarios judged by engine budgets only (their process budget left out), which pass under any allocator or
    // sanitizer.
    for (const std::string s : {"trading-months.json", "signals-month.json"}) {
        nlohmann::json scenario = nlohmann::json::parse(read_text(kScenarios + "/" + s));
        scenario["budgets"].erase(std::find(scenario["budgets"].begin(), scenario["budgets"].end(), "process"));
        write_text(dir.file(s), scenario.dump());
    }
    write_text(dir.file("two.json"), R"({"schema_version": 1, "name": "two",
        "scenarios": ["trading-months.json", "signals-month.json"]})");
    write_text(dir.file("one.json"), R"({"schema_version": 1, "name": "one", "scenarios": ["trading-months.json"]})");
    ASSERT_EQ(run_memsoak({"suite", dir.file("two.json"), "--out-dir", dir.file("out"), "--quiet"}).exit_code, 0);
    write_text(dir.file("out/notes.txt"), "mine\n");
    ASSERT_TRUE(std::filesystem::exists(dir.file("out/signals-month.json")));

    const ProcessResult one = run_memsoak({"suite", dir.file("one.json"), "--out-dir", dir.file("out"), "--quiet"});
    EXPECT_EQ(one.exit_code, 0) << one.output;
    // signals-month's report would otherwise pass for a result of this suite.
    EXPECT_FALSE(std::filesystem::exists(dir.file("out/signals-month.json")));
    EXPECT_FALSE(std::filesystem::exists(dir.file("out/signals-month.log")));
    EXPECT_TRUE(std::filesystem::exists(dir.file("out/trading-months.json")));
    EXPECT_EQ(read_text(dir.file("out/notes.txt")), "mine\n");

    // An unreadable earlier suite report stops the suite rather than leaving results of unknown origin.
    write_text(dir.file("out/suite-report.json"), "{");
    const ProcessResult broken = run_memsoak({"suite", dir.file("one.json"), "--out-dir", dir.file("out")});
    EXPECT_EQ(broken.exit_code, 2);
    EXPECT_NE(broken.output.find("the folder holds an earlier suite's results that memsoak cannot read"),
              std::string::npos)
        << broken.output;
}

}  // namespace
}  // namespace memsoak::testing
