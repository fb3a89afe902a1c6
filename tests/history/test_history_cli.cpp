// memsoak history end to end, through the real binary and the shipped baseline reports: record, check, ack,
// compare, show, bisect --judge, and the bad input each must refuse with exit 2 and nothing recorded.

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "postgres_server.hpp"
#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBaseline = std::string(MEMSOAK_SOURCE_DIR) + "/reports/baselines/production-day.json";

// The production-day baseline with issue-2's chart peak scaled: 2.6 MiB -> 3.4 MiB stays inside its 4 MiB budget.
std::string write_report(const TempDir& dir, const std::string& name, double chart_scale) {
    nlohmann::json report = nlohmann::json::parse(read_text(kBaseline));
    for (auto& budget : report["budgets"]) {
        if (budget["issue"] != "issue-2") continue;
        for (auto& limit : budget["limits"]) {
            if (limit["metric"] == "engine.chart.bytes" && limit["kind"] == "peak") {
                limit["measured"] = limit["measured"].get<double>() * chart_scale;
            }
        }
    }
    const std::string path = dir.file(name);
    write_text(path, report.dump());
    return path;
}

ProcessResult record_night(const std::string& db, const std::string& report, int night, const std::string& label) {
    return run_memsoak({"history", "record", db, report, "--commit", fmt::format("commit{:02d}", night), "--time",
                        fmt::format("2026-10-{:02d}", night), "--label", label});
}

TEST(HistoryCli, RecordCheckAckCompareAndShowAnInBudgetRegression) {
    TempDir dir;
    const std::string db = dir.file("history.sqlite");
    const std::string good = write_report(dir, "good.json", 1.0);
    const std::string bad = write_report(dir, "bad.json", 1.3);
    for (int night = 1; night <= 12; ++night) {
        const ProcessResult r = record_night(db, night <= 6 ? good : bad, night, night <= 6 ? "v1.3.0" : "v1.4.0");
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    const ProcessResult again = record_night(db, bad, 12, "v1.4.0");
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("0 figures recorded, 8 already there"), std::string::npos) << again.output;

    const ProcessResult check = run_memsoak({"history", "check", db, "--json", dir.file("check.json")});
    EXPECT_EQ(check.exit_code, 1) << check.output;
    EXPECT_NE(check.output.find("REGRESSED"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("commit06..commit07"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("+30.0%"), std::string::npos) << check.output;
    const auto found = nlohmann::json::parse(read_text(dir.file("check.json")));
    ASSERT_EQ(found["changes"].size(), 1u) << found.dump(2);
    EXPECT_EQ(found["changes"][0]["budget"], "issue-2");
    EXPECT_EQ(found["changes"][0]["first_bad"]["commit"], "commit07");
    const std::string id = found["changes"][0]["id"];

    const ProcessResult judge_bad = run_memsoak(
        {"history", "bisect", "--judge", bad, "--budget", "issue-2", "--kind", "peak", "--metric", "engine.chart.bytes",
         "--threshold", fmt::format("{}", found["changes"][0]["before"].get<double>() * 1.15)});
    EXPECT_EQ(judge_bad.exit_code, 1) << judge_bad.output;
    const ProcessResult judge_good = run_memsoak(
        {"history", "bisect", "--judge", good, "--budget", "issue-2", "--kind", "peak", "--metric",
         "engine.chart.bytes", "--threshold", fmt::format("{}", found["changes"][0]["before"].get<double>() * 1.15)});
    EXPECT_EQ(judge_good.exit_code, 0) << judge_good.output;
    const ProcessResult recipe = run_memsoak({"history", "bisect", db, id});
    EXPECT_EQ(recipe.exit_code, 0) << recipe.output;
    EXPECT_NE(recipe.output.find("git bisect start commit07 commit06"), std::string::npos) << recipe.output;

    const ProcessResult ack = run_memsoak({"history", "ack", db, id, "--note", "the chart keeps a larger cache"});
    EXPECT_EQ(ack.exit_code, 0) << ack.output;
    const ProcessResult after_ack = run_memsoak({"history", "check", db});
    EXPECT_EQ(after_ack.exit_code, 0) << after_ack.output;
    EXPECT_NE(after_ack.output.find("acked"), std::string::npos) << after_ack.output;

    const ProcessResult compare = run_memsoak({"history", "compare", db, "--baseline", "v1.3.0", "--candidate",
                                               "v1.4.0", "--json", dir.file("compare.json"), "--markdown",
                                               dir.file("compare.md"), "--html", dir.file("compare.html")});
    EXPECT_EQ(compare.exit_code, 1) << compare.output;
    EXPECT_NE(compare.output.find(
                  "production-day [mimalloc]: issue-2 peak engine.chart.bytes +30.0% (+811.7 KiB), REGRESSED"),
              std::string::npos)
        << compare.output;
    const auto json = nlohmann::json::parse(read_text(dir.file("compare.json")));
    EXPECT_EQ(json["regressions"], 1);
    EXPECT_NE(read_text(dir.file("compare.md")).find("| REGRESSED |"), std::string::npos);

    const ProcessResult unknown = run_memsoak({"history", "compare", db, "--baseline", "v1.3.0", "--candidate", "v9"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
    EXPECT_NE(unknown.output.find(db + ": --candidate \"v9\" matches no night"), std::string::npos) << unknown.output;

    const ProcessResult show = run_memsoak({"history", "show", db, "--html", dir.file("trend.html")});
    EXPECT_EQ(show.exit_code, 0) << show.output;
    const std::string page = read_text(dir.file("trend.html"));
    EXPECT_NE(page.find("commit06..commit07"), std::string::npos);
    EXPECT_NE(page.find("<svg"), std::string::npos);
}

// The generated-history experiment (scripts/history-experiment.sh) in small: real gui-hour runs in virtual time,
// one seed a night, the study's issue-2 switched on from night 6 of 9.
TEST(HistoryCli, GeneratedNightsFindASwitchedOnLeakAtItsNightWithItsCommits) {
    TempDir dir;
    const std::string db = dir.file("history.sqlite");
    const std::string scenario = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios/gui-hour.json";
    for (int night = 0; night < 9; ++night) {
        std::vector<std::string> run{"run",
                                     scenario,
                                     "--seed",
                                     std::to_string(100 + night),
                                     "--quiet",
                                     "--out",
                                     dir.file(fmt::format("night{}.json", night))};
        if (night >= 6) run.insert(run.end(), {"--leak", "issue-2"});
        const ProcessResult soak = run_memsoak(run);
        ASSERT_TRUE(soak.exit_code == 0 || soak.exit_code == 1) << soak.output;
        ASSERT_EQ(record_night(db, dir.file(fmt::format("night{}.json", night)), night + 1, "").exit_code, 0);
    }
    const ProcessResult check = run_memsoak({"history", "check", db, "--json", dir.file("check.json")});
    EXPECT_EQ(check.exit_code, 1) << check.output;
    const auto found = nlohmann::json::parse(read_text(dir.file("check.json")))["changes"];
    bool chart_peak = false;
    for (const auto& change : found) {
        EXPECT_EQ(change["last_good"]["commit"], "commit06") << change.dump();
        EXPECT_EQ(change["first_bad"]["commit"], "commit07") << change.dump();
        chart_peak |= change["budget"] == "issue-2" && change["kind"] == "peak" && change["regression"] == true;
    }
    EXPECT_TRUE(chart_peak) << check.output;
}

TEST(HistoryCli, APostgresqlUrlSelectsTheSameStoreOnPostgresql) {
    PostgresServer& server = PostgresServer::instance();
    if (!server.available()) GTEST_SKIP() << "PostgreSQL tests skipped: " << server.problem();
    TempDir dir;
    const std::string url = server.new_database_url();
    const std::string good = write_report(dir, "good.json", 1.0);
    const std::string bad = write_report(dir, "bad.json", 1.3);
    for (int night = 1; night <= 8; ++night) {
        const ProcessResult r = record_night(url, night <= 4 ? good : bad, night, "");
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    EXPECT_NE(record_night(url, bad, 8, "").output.find("0 figures recorded, 8 already there"), std::string::npos);
    const ProcessResult check = run_memsoak({"history", "check", url});
    EXPECT_EQ(check.exit_code, 1) << check.output;
    EXPECT_NE(check.output.find("commit04..commit05"), std::string::npos) << check.output;
    const ProcessResult unreachable =
        run_memsoak({"history", "check", "postgresql:///nowhere?host=/nonexistent-memsoak-socket-dir"});
    EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;
    EXPECT_NE(unreachable.output.find("postgresql:///nowhere"), std::string::npos) << unreachable.output;
}

TEST(HistoryCli, AReportOfAnotherSchemaOrTruncatedIsRefusedAndNothingIsRecorded) {
    TempDir dir;
    const std::string db = dir.file("history.sqlite");
    nlohmann::json other = nlohmann::json::parse(read_text(kBaseline));
    other["schema_version"] = 2;
    write_text(dir.file("other-schema.json"), other.dump());
    const std::string whole = read_text(kBaseline);
    write_text(dir.file("truncated.json"), whole.substr(0, whole.size() / 2));

    for (const char* name : {"other-schema.json", "truncated.json"}) {
        // The good report first: it must not be recorded either, since the night would be half of what was asked.
        const ProcessResult r = run_memsoak({"history", "record", db, kBaseline, dir.file(name)});
        EXPECT_EQ(r.exit_code, 2) << r.output;
        EXPECT_NE(r.output.find(dir.file(name)), std::string::npos) << "the error names the file: " << r.output;
        EXPECT_FALSE(fs::exists(db)) << "nothing recorded, not even an empty database";
    }
    const ProcessResult other_schema = run_memsoak({"history", "record", db, dir.file("other-schema.json")});
    EXPECT_NE(other_schema.output.find("schema_version"), std::string::npos) << other_schema.output;
}

TEST(HistoryCli, ANewerLockedOrReadOnlyDatabaseIsRefusedByName) {
    TempDir dir;
    const std::string db = dir.file("history.sqlite");
    ASSERT_EQ(record_night(db, kBaseline, 1, "").exit_code, 0);

    sqlite3* holder = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &holder), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    const ProcessResult locked =
        run_memsoak({"history", "record", db, kBaseline, "--commit", "other", "--time", "2026-10-02", "--wait", "0"});
    EXPECT_EQ(locked.exit_code, 2) << locked.output;
    EXPECT_NE(locked.output.find(db + ": the history database is locked"), std::string::npos) << locked.output;
    sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);

    // Root ignores file permissions, so the read-only case opens the file through SQLite's read-only URI.
    const ProcessResult read_only = run_memsoak(
        {"history", "record", "file:" + db + "?mode=ro", kBaseline, "--commit", "other", "--time", "2026-10-02"});
    EXPECT_EQ(read_only.exit_code, 2) << read_only.output;
    EXPECT_NE(read_only.output.find("read-only"), std::string::npos) << read_only.output;
    EXPECT_NE(read_only.output.find(db), std::string::npos) << read_only.output;

    ASSERT_EQ(sqlite3_exec(holder, "UPDATE meta SET value = '7' WHERE key = 'schema_version'", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(holder);
    const ProcessResult newer = run_memsoak({"history", "check", db});
    EXPECT_EQ(newer.exit_code, 2) << newer.output;
    EXPECT_NE(newer.output.find(db + ": the history database has schema version 7"), std::string::npos) << newer.output;

    const ProcessResult nights = run_memsoak({"history", "show", "file:" + db + "?mode=ro"});
    EXPECT_EQ(nights.exit_code, 2) << nights.output;
}

TEST(HistoryCli, UsageErrorsNameWhatIsMissing) {
    TempDir dir;
    const ProcessResult missing_db = run_memsoak({"history", "check", dir.file("none.sqlite")});
    EXPECT_EQ(missing_db.exit_code, 2) << missing_db.output;
    EXPECT_NE(missing_db.output.find("no such history database"), std::string::npos) << missing_db.output;
    const ProcessResult unknown = run_memsoak({"history", "frobnicate"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
    const ProcessResult bad_time =
        run_memsoak({"history", "record", dir.file("h.sqlite"), kBaseline, "--time", "yesterday"});
    EXPECT_EQ(bad_time.exit_code, 2) << bad_time.output;
    EXPECT_NE(bad_time.output.find("--time"), std::string::npos) << bad_time.output;
    EXPECT_FALSE(fs::exists(dir.file("h.sqlite")));
}

}  // namespace
}  // namespace memsoak::testing
