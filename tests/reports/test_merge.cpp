#include "memsoak/reports/merge.hpp"

#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/report_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reports {
namespace {

using testing::message_of;

namespace fs = std::filesystem;
using harness::Outcome;
using testing::read_text;
using testing::TempDir;

harness::Suite three_scenarios() {
    harness::Suite suite;
    suite.file = "nightly.json";
    suite.name = "nightly";
    suite.scenarios = {"scenarios/day.json", "scenarios/night.json", "scenarios/month.json"};
    return suite;
}

TEST(Shards, ThePlanIsEveryScenarioOncePerSeed) {
    const auto plan = harness::plan_suite(three_scenarios(), {7, 8});
    std::vector<std::string> names;
    for (const auto& job : plan) names.push_back(job.name);
    EXPECT_EQ(names, (std::vector<std::string>{"day-seed7", "day-seed8", "night-seed7", "night-seed8", "month-seed7",
                                               "month-seed8"}));
    EXPECT_EQ(plan[3].index, 3u);
    EXPECT_EQ(plan[3].seed, 8u);
    EXPECT_EQ(plan[3].scenario, "scenarios/night.json");
    const auto own_seeds = harness::plan_suite(three_scenarios(), {});
    EXPECT_EQ(own_seeds.size(), 3u);
    EXPECT_EQ(own_seeds[1].name, "night");
    EXPECT_FALSE(own_seeds[1].seed.has_value());
}

TEST(Shards, EveryJobRunsOnExactlyOneShard) {
    const auto plan = harness::plan_suite(three_scenarios(), {1, 2, 3});  // nine jobs
    for (std::size_t count : {1u, 2u, 4u, 9u, 12u}) {
        std::multiset<std::size_t> seen;
        for (std::size_t index = 1; index <= count; ++index) {
            for (const auto& job : harness::select_shard(plan, {index, count})) {
                EXPECT_EQ(job.index % count, index - 1);
                seen.insert(job.index);
            }
        }
        EXPECT_EQ(seen.size(), plan.size()) << count << " shards";
        EXPECT_EQ(std::set<std::size_t>(seen.begin(), seen.end()).size(), plan.size()) << count << " shards";
    }
    // Shard 2 of 4: jobs 1 and 5, i.e. day with seed 2 and night with seed 3.
    const auto second = harness::select_shard(plan, {2, 4});
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(second[0].name, "day-seed2");
    EXPECT_EQ(second[1].name, "night-seed3");
}

TEST(Shards, ParsesIOfN) {
    const harness::Shard shard = harness::parse_shard("3/8");
    EXPECT_EQ(shard.index, 3u);
    EXPECT_EQ(shard.count, 8u);
    for (const char* bad : {"0/4", "5/4", "1/0", "2", "a/b", "1/4x", "/4", "-1/4"}) {
        EXPECT_EQ(message_of<harness::Error>([&] { harness::parse_shard(bad); }),
                  fmt::format("expected I/N with 1 <= I <= N, e.g. \"2/4\", got \"{}\"", bad));
    }
}

TEST(Shards, TwoScenariosWithOneNameAreRefused) {
    harness::Suite suite = three_scenarios();
    suite.scenarios.push_back("other/day.json");
    EXPECT_EQ(message_of<harness::Error>([&] { harness::plan_suite(suite, {}); }),
              "nightly.json: two runs would write the report day.json (scenario other/day.json); scenario files in "
              "one suite need distinct names");
}

TEST(SuiteReport, RoundTripsThroughJson) {
    SuiteReport report = fixtures::sample_suite();
    report.seeds = {1, 18446744073709551615ull};
    report.shard_count = 4;
    report.shards = {2};
    report.runs[0].entry.seed = 1;
    const SuiteReport back = suite_report_from_json(suite_report_to_json(report), "suite-report.json");
    EXPECT_EQ(suite_report_to_json(back), suite_report_to_json(report));
    EXPECT_EQ(back.runs[2].entry.outcome, Outcome::crashed);
    EXPECT_EQ(back.runs[2].entry.signal, 11);
    EXPECT_TRUE(back.runs[2].entry.report.empty());
    EXPECT_EQ(back.runs[0].entry.seed, 1u);
    EXPECT_FALSE(back.runs[0].result.has_value()) << "the runs' reports are read separately";
}

TEST(SuiteReport, NamesThePlaceOfABadField) {
    nlohmann::json doc = suite_report_to_json(fixtures::sample_suite());
    doc["runs"][1]["outcome"] = "exploded";
    EXPECT_EQ(message_of<Error>([&] { suite_report_from_json(doc, "s.json"); }),
              "s.json: $.runs[1].outcome: expected \"pass\", \"fail\", \"bad_input\", \"internal_error\", "
              "\"interrupted\" or \"crashed\", got \"exploded\"");
    doc = suite_report_to_json(fixtures::sample_suite());
    doc["runs"][0]["report"] = "../elsewhere.json";
    EXPECT_EQ(message_of<Error>([&] { suite_report_from_json(doc, "s.json"); }),
              "s.json: $.runs[0].report: expected a file name without a folder, or null, got \"../elsewhere.json\"");
    doc = suite_report_to_json(fixtures::sample_suite());
    doc["shards"].erase("merged");
    EXPECT_EQ(message_of<Error>([&] { suite_report_from_json(doc, "s.json"); }),
              "s.json: $.shards.merged: missing; expected true or false");
    doc["schema_version"] = 2;
    EXPECT_EQ(message_of<Error>([&] { suite_report_from_json(doc, "s.json"); }),
              "s.json: $.schema_version: unsupported suite report schema version 2; this memsoak reads version 1 "
              "(docs/reports.md)");
}

// One shard's folder as `memsoak suite --shard I/N` leaves it: reports, logs and its suite report.
void write_shard(const fs::path& folder, std::size_t shard, std::size_t count, std::vector<SuiteRun> runs,
                 const std::string& suite_name = "nightly") {
    fs::create_directories(folder);
    SuiteReport report;
    report.suite_name = suite_name;
    report.suite_file = "scenarios/nightly.json";
    report.planned_runs = 3;
    report.shard_count = count;
    report.shards = {shard};
    for (SuiteRun& run : runs) {
        if (run.result) write_file_atomically(folder / run.entry.report, to_json(*run.result).dump());
        write_file_atomically(folder / run.entry.log, "log of " + run.entry.name + "\n");
        run.result.reset();
        report.runs.push_back(run);
    }
    write_file_atomically(folder / kSuiteReportFile, suite_report_to_json(report).dump());
}

TEST(Merge, JoinsShardsInPlanOrderWithTheSuitesExitCode) {
    TempDir dir;
    const SuiteReport suite = fixtures::sample_suite();  // runs 0 (fail), 1 (pass), 2 (crashed)
    write_shard(dir / "shard-2", 2, 2, {suite.runs[1]});
    write_shard(dir / "shard-1", 1, 2, {suite.runs[0], suite.runs[2]});

    SuiteReport merged = merge_shards({dir / "shard-2", dir / "shard-1"}, dir / "all");
    EXPECT_TRUE(merged.merged);
    EXPECT_EQ(merged.shards, (std::vector<std::size_t>{1, 2}));
    ASSERT_EQ(merged.runs.size(), 3u);
    EXPECT_EQ(merged.runs[0].entry.name, "production-day");
    EXPECT_EQ(merged.runs[1].entry.name, "gui-hour");
    EXPECT_EQ(merged.runs[2].entry.name, "overnight");
    EXPECT_TRUE(missing_shards(merged).empty());
    EXPECT_EQ(suite_report_exit_code(merged), 3) << "a crashed run outranks a failed budget";
    EXPECT_FALSE(merged.interrupted);

    EXPECT_EQ(read_text(dir / "all/gui-hour.log"), "log of gui-hour\n");
    EXPECT_EQ(read_text(dir / "all/overnight.log"), "log of overnight\n");
    EXPECT_FALSE(fs::exists(dir / "all/overnight.json"));
    const SuiteReport written = load_suite_report(dir / "all");
    EXPECT_EQ(suite_report_to_json(written), suite_report_to_json(merged));

    load_run_reports(merged, dir / "all");
    ASSERT_TRUE(merged.runs[0].result.has_value());
    EXPECT_EQ(merged.runs[0].result->verdict, harness::Verdict::fail);
    EXPECT_FALSE(merged.runs[2].result.has_value());
    EXPECT_EQ(merged.runs[2].report_problem, "no report written; see overnight.log");
}

TEST(Merge, AnInterruptedShardMakesTheMergeInterrupted) {
    TempDir dir;
    const SuiteReport suite = fixtures::sample_suite();
    write_shard(dir / "shard-1", 1, 2, {suite.runs[0]});
    write_shard(dir / "shard-2", 2, 2, {suite.runs[1]});
    nlohmann::json shard_two = nlohmann::json::parse(read_text(dir / "shard-2" / kSuiteReportFile));
    EXPECT_EQ(shard_two["interrupted"], false);
    shard_two["interrupted"] = true;
    write_file_atomically(dir / "shard-2" / kSuiteReportFile, shard_two.dump());
    EXPECT_TRUE(merge_shards({dir / "shard-1", dir / "shard-2"}, dir / "all").interrupted);
    EXPECT_TRUE(load_suite_report(dir / "all").interrupted);
    // A suite report written before the field existed reads as not interrupted.
    shard_two.erase("interrupted");
    EXPECT_FALSE(suite_report_from_json(shard_two, "old.json").interrupted);
}

TEST(Merge, AMissingShardCountsAsACrash) {
    TempDir dir;
    const SuiteReport suite = fixtures::sample_suite();
    write_shard(dir / "shard-1", 1, 3, {suite.runs[1]});  // a pass
    write_shard(dir / "shard-3", 3, 3, {});
    const SuiteReport merged = merge_shards({dir / "shard-1", dir / "shard-3"}, dir / "all");
    EXPECT_EQ(missing_shards(merged), std::vector<std::size_t>{2});
    EXPECT_EQ(suite_report_exit_code(merged), 3);

    // The shard's own report lists only itself by design: nothing is missing, and its exit code is its runs'.
    const SuiteReport own = load_suite_report(dir / "shard-1");
    EXPECT_TRUE(missing_shards(own).empty());
    EXPECT_EQ(suite_report_exit_code(own), 0);
}

TEST(Merge, RefusesShardsThatDoNotBelongTogether) {
    TempDir dir;
    const SuiteReport suite = fixtures::sample_suite();
    write_shard(dir / "a", 1, 2, {suite.runs[0]});
    write_shard(dir / "b", 2, 2, {suite.runs[1]}, "weekly");
    write_shard(dir / "c", 2, 3, {suite.runs[1]});
    write_shard(dir / "d", 2, 2, {suite.runs[0]});
    const auto a = (dir / "a").string();
    EXPECT_EQ(message_of<Error>([&] {
                  merge_shards({dir / "a", dir / "b"}, dir / "out");
              }),
              fmt::format("{} and {}: not shards of one suite run: suite nightly and weekly", a, (dir / "b").string()));
    EXPECT_EQ(message_of<Error>([&] {
                  merge_shards({dir / "a", dir / "c"}, dir / "out");
              }),
              fmt::format("{} and {}: not shards of one suite run: shard counts 2 and 3", a, (dir / "c").string()));
    EXPECT_EQ(message_of<Error>([&] {
                  merge_shards({dir / "a", dir / "a"}, dir / "out");
              }),
              fmt::format("{} and {}: both hold shard 1/2", a, a));
    EXPECT_EQ(message_of<Error>([&] {
                  merge_shards({dir / "a", dir / "d"}, dir / "out");
              }),
              fmt::format("{} and {}: both hold the run production-day; merge the shards of each allocator or build "
                          "on their own",
                          a, (dir / "d").string()));
    EXPECT_EQ(message_of<Error>([&] { merge_shards({dir / "a"}, dir / "a"); }),
              fmt::format("{}: the output folder cannot also be a shard", a));
    EXPECT_EQ(message_of<Error>([&] { merge_shards({dir / "none"}, dir / "out"); }),
              fmt::format("{}: cannot open file: No such file or directory",
                          (dir / "none/suite-report.json").string()));
    EXPECT_FALSE(fs::exists(dir / "out")) << "a refused merge made its output folder";
}

TEST(Merge, RefusesAShardWhoseRunReportIsBrokenOrMissingAndWritesNothing) {
    TempDir dir;
    const SuiteReport suite = fixtures::sample_suite();  // runs 0 (fail, with a report), 1 (pass, with a report)
    write_shard(dir / "a", 1, 2, {suite.runs[0]});
    write_shard(dir / "b", 2, 2, {suite.runs[1]});
    const fs::path report = dir / "b" / suite.runs[1].entry.report;
    write_file_atomically(report, "{\"x\":");
    EXPECT_EQ(message_of<Error>([&] {
                  merge_shards({dir / "a", dir / "b"}, dir / "out");
              }),
              report.string() +
                  ":1:6: invalid JSON: syntax error while parsing value - unexpected end of input; "
                  "expected '[', '{', or a literal");
    fs::remove(report);
    EXPECT_EQ(message_of<Error>([&] {
                  merge_shards({dir / "a", dir / "b"}, dir / "out");
              }),
              report.string() + ": cannot open file: No such file or directory");
    fs::remove(dir / "a" / suite.runs[0].entry.log);
    EXPECT_EQ(message_of<Error>([&] { merge_shards({dir / "a"}, dir / "out"); }),
              (dir / "a" / suite.runs[0].entry.log).string() + ": missing; the shard's suite-report.json lists it");
    EXPECT_FALSE(fs::exists(dir / "out")) << "nothing may be copied before every shard was checked";
}

TEST(Merge, PrintsTheSuiteSummary) {
    SuiteReport suite = fixtures::sample_suite();
    suite.merged = true;
    suite.shard_count = 2;
    std::ostringstream out;
    print_suite_summary(out, suite, "all", TerminalStyle{false});
    EXPECT_EQ(out.str(),
              "suite nightly (3 scenarios of 3 planned; shard 1 of 2), reports in all\n"
              "  production-day               fail            2h virtual in 0.50 s (14,400x); issue-1 failed\n"
              "  gui-hour                     pass            2h virtual in 0.50 s (14,400x)\n"
              "  overnight                    crashed         no report written; see overnight.log; killed by "
              "signal 11\n"
              "  shard 2/2 is missing: its runs did not report\n"
              "suite verdict: fail\n");
}

}  // namespace
}  // namespace memsoak::reports
