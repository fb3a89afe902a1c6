// selftest's JSON and terminal matrix, rendered in reports/.

#include "memsoak/reports/selftest_report.hpp"

#include <chrono>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace memsoak::reports {
namespace {

using harness::Outcome;
using harness::SelftestRole;

harness::SelftestRun child(SelftestRole role, std::string issue, std::uint64_t seed, Outcome outcome, bool ok) {
    harness::SelftestRun run;
    run.role = role;
    run.issue = std::move(issue);
    run.scenario = "scenarios/gui-hour.json";
    run.seed = seed;
    run.outcome = outcome;
    run.ok = ok;
    run.report = fmt::format("/work/run-{}.json", seed);
    run.log = fmt::format("/work/run-{}.log", seed);
    return run;
}

// issue-1 caught in both seeds (after 1 and 3 minutes); one fixed run passed, the other crashed; one A/A run.
harness::SelftestResult sample_selftest() {
    harness::SelftestResult result;
    harness::SelftestIssue& issue = result.issues.emplace_back();
    issue.issue = "issue-1";
    issue.scenario = "scenarios/gui-hour.json";
    issue.leaky_runs = 2;
    issue.caught = 2;
    issue.fixed_runs = 2;
    issue.fixed_passed = 1;
    issue.detections = {std::chrono::minutes(3), std::chrono::minutes(1)};
    result.aa_scenario = "scenarios/aa-every-budget.json";
    result.aa_runs = 1;
    result.runs = {child(SelftestRole::leaky, "issue-1", 1, Outcome::fail, true),
                   child(SelftestRole::leaky, "issue-1", 2, Outcome::fail, true),
                   child(SelftestRole::fixed, "", 1, Outcome::pass, true),
                   child(SelftestRole::fixed, "", 2, Outcome::crashed, false),
                   child(SelftestRole::aa, "", 3, Outcome::pass, true)};
    result.runs[0].failed_budgets = {"issue-1"};
    result.runs[0].detected_after = std::chrono::minutes(1);
    result.runs[3].problem = "crashed (signal 11)";
    return result;
}

harness::SelftestOptions sample_options() {
    harness::SelftestOptions options;
    options.seeds = {1, 2};
    options.aa_seeds = {3};
    options.run_args = {"--no-attribution"};
    return options;
}

TEST(SelftestReport, JsonHoldsTheMatrixAndEveryRun) {
    const nlohmann::json doc = selftest_to_json(sample_selftest(), sample_options());
    EXPECT_EQ(doc["schema_version"], 1);
    EXPECT_EQ(doc["passed"], false);
    EXPECT_EQ(doc["seeds"].dump(), "[1,2]");
    EXPECT_EQ(doc["aa_seeds"].dump(), "[3]");
    EXPECT_EQ(doc["detection_prefixes"], 50);
    EXPECT_EQ(doc["issues"].dump(),
              R"([{"first_detection_s":{"max":180.0,"median":120.0,"min":60.0},"fixed":{"failed":1,"passed":1,)"
              R"("runs":2},"issue":"issue-1","leaky":{"caught":2,"missed":0,"runs":2},)"
              R"("scenario":"scenarios/gui-hour.json"}])");
    EXPECT_EQ(doc["aa"].dump(), R"({"errors":0,"false_alarm_rate":0.0,"false_alarms":0,"runs":1,)"
                                R"("scenario":"scenarios/aa-every-budget.json"})");
    ASSERT_EQ(doc["runs"].size(), 5u);
    EXPECT_EQ(doc["runs"][0].dump(),
              R"({"detected_after_s":60.0,"failed_budgets":["issue-1"],"issue":"issue-1",)"
              R"("log":"/work/run-1.log","ok":true,"outcome":"fail","problem":"","report":"/work/run-1.json",)"
              R"("role":"leaky","scenario":"scenarios/gui-hour.json","seed":1})");
    EXPECT_EQ(doc["runs"][3]["problem"], "crashed (signal 11)");
    EXPECT_TRUE(doc["runs"][3]["detected_after_s"].is_null());
}

TEST(SelftestReport, TerminalMatrixProblemsAndVerdict) {
    std::ostringstream out;
    print_selftest(out, sample_selftest());
    EXPECT_EQ(out.str(),
              "issue    scenario              leak on: caught  fixed: passed   first detected (min / median / max)\n"
              "issue-1  gui-hour.json         2/2              1/2             1m / 1m / 3m\n"
              "A/A      aa-every-budget.json  1 runs           0 false alarms\n"
              "\n"
              "problems:\n"
              "  fixed seed 2 (gui-hour.json): crashed (signal 11); log /work/run-2.log\n"
              "\n"
              "selftest: FAIL\n");
}

TEST(SelftestReport, AaSuiteLinesNameTheRunsThatDidNotPass) {
    harness::AaSuiteResult result;
    result.runs = 4;
    result.false_alarms = 1;
    harness::SuiteEntry& entry = result.entries.emplace_back();
    entry.scenario = "scenarios/overnight.json";
    entry.seed = 3001;
    entry.outcome = Outcome::fail;
    entry.log = "/work/overnight-seed3001.log";
    std::ostringstream out;
    print_aa_suite(out, result, "scenarios/nightly.json");
    EXPECT_EQ(out.str(),
              "A/A nightly.json: 4 runs, 1 false alarm, 0 errors\n"
              "  overnight.json seed 3001: fail; log /work/overnight-seed3001.log\n"
              "\n");
}

}  // namespace
}  // namespace memsoak::reports
