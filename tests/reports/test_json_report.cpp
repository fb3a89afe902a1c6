#include "memsoak/reports/json_report.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include <gtest/gtest.h>

#include <algorithm>

#include "memsoak/reports/error.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reports {
namespace {

using testing::message_of;

using harness::LimitKind;
using harness::Verdict;
using harness::VirtualDuration;
using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMiB = 1024.0 * 1024.0;

harness::LimitResult limit(std::string metric, LimitKind kind, double limit_value, double measured, Verdict verdict) {
    harness::LimitResult out;
    out.metric = std::move(metric);
    out.kind = kind;
    out.limit = limit_value;
    out.measured = measured;
    out.verdict = verdict;
    out.explanation = "why: " + std::string(to_string(verdict));
    return out;
}

// A run with every optional part present, awkward doubles (1/3, 0.1) and times with microsecond remainders.
// Metric names are in lexicographic order, the order they come back in from JSON.
harness::RunResult fabricated_run() {
    harness::RunResult r;
    harness::RunInfo& info = r.info;
    info.tool_version = "0.1.0";
    info.git_commit = "47d1dc38d502";
    info.build_type = "RelWithDebInfo";
    info.allocator = "mimalloc";
    info.host = "soak-runner-3";
    info.scenario_name = "production-day";
    info.scenario_file = "scenarios/production-day.json";
    info.seed = 18446744073709551615ull;  // the largest seed: must not pass through a signed or double type
    info.virtual_duration = std::chrono::hours(24);
    info.virtual_elapsed = std::chrono::hours(3) + std::chrono::microseconds(1);
    info.warmup = std::chrono::minutes(30);
    info.wall_seconds = 1.0 / 3.0;
    info.analysis_seconds = 0.1;
    info.acceleration = 32400.000003 * 3;
    info.leaks = {"issue-1", "issue-4"};
    info.layers = {"os", "allocator", "engine"};
    info.started_at = "2026-11-27T07:30:34Z";
    info.interrupted = true;
    info.stop_reason = "interrupted by a signal";

    r.samples.metrics = {"allocator.live_bytes", "engine.status_display.bytes", "os.rss_bytes"};
    r.samples.times = {harness::VirtualTime{}, harness::VirtualTime{std::chrono::microseconds(900'000'001)},
                       harness::VirtualTime{std::chrono::hours(3) + std::chrono::microseconds(1)}};
    r.samples.purged = {false, true, false};
    r.samples.values = {{1.5 * kMiB, kNaN, 2.25 * kMiB}, {0, 3145728, 6291456}, {40 * kMiB + 0.1, 41 * kMiB, 1e300}};

    harness::BudgetResult issue1;
    issue1.budget = "issue-1";
    issue1.description = "Status display must not retain analysis frames";
    issue1.limits = {limit("engine.status_display.bytes", LimitKind::peak, kMiB, 6291456, Verdict::fail),
                     limit("engine.status_display.bytes", LimitKind::growth, 65536, 2097152.5, Verdict::fail)};
    issue1.limits[0].hours_to_breach = 0.0;
    issue1.limits[1].growth = harness::Growth{2097152.5, 2000000.25, 2200000.75, -12.5, 1e-9, true, 11};
    issue1.verdict = Verdict::fail;

    harness::BudgetResult issue4;
    issue4.budget = "issue-4";
    issue4.description = "Log queue holds at most 1000 messages";
    issue4.limits = {limit("engine.log_queue.items", LimitKind::items, 1000, 1000, Verdict::pass),
                     limit("engine.log_queue.bytes", LimitKind::peak, kMiB, kNaN, Verdict::not_measured)};
    issue4.verdict = Verdict::pass;

    r.budgets = {issue1, issue4};
    r.attribution = {{"status_display", "issue-1", 2097152.5, 0.875}, {"log_queue", "issue-4", 100, kNaN}};
    r.verdict = Verdict::fail;
    return r;
}

// A field of a serialised fabricated run replaced, to check how the reader rejects it.
harness::RunResult read_with(const Json::json_pointer& where, const Json& replacement) {
    Json document = to_json(fabricated_run());
    document[where] = replacement;
    return run_result_from_json(document, "day.json");
}

harness::RunResult read_without(const Json::json_pointer& where) {
    Json document = to_json(fabricated_run());
    document[where.parent_pointer()].erase(where.back());
    return run_result_from_json(document, "day.json");
}

TEST(JsonReport, LaysOutTheDocumentAsDocumented) {
    const Json j = to_json(fabricated_run());
    EXPECT_EQ(j["schema_version"], 1);
    EXPECT_EQ(j["tool"], Json::parse(R"({"name": "memsoak", "version": "0.1.0", "git_commit": "47d1dc38d502",
                                         "build_type": "RelWithDebInfo"})"));
    EXPECT_EQ(j["host"], Json::parse(R"({"name": "soak-runner-3"})"));
    EXPECT_EQ(j["allocator"], "mimalloc");
    EXPECT_EQ(j["scenario"], Json::parse(R"({"name": "production-day", "file": "scenarios/production-day.json",
                                             "seed": 18446744073709551615, "virtual_duration_s": 86400.0,
                                             "warmup_s": 1800.0})"));
    EXPECT_EQ(j["run"]["virtual_elapsed_s"], 10800.000001);
    EXPECT_EQ(j["run"]["stop_reason"], "interrupted by a signal");
    EXPECT_EQ(j["run"]["leaks"], Json::parse(R"(["issue-1", "issue-4"])"));
    EXPECT_EQ(j["samples"]["t_s"], Json::parse("[0.0, 900.000001, 10800.000001]"));
    EXPECT_EQ(j["samples"]["purged"], Json::parse("[false, true, false]"));
    EXPECT_EQ(j["samples"]["metrics"]["allocator.live_bytes"], Json::parse("[1572864.0, null, 2359296.0]"));
    EXPECT_EQ(j["verdict"], "fail");
    EXPECT_EQ(j["attribution"][1], Json::parse(R"({"component": "log_queue", "issue": "issue-4",
                                                   "growth_bytes_per_hour": 100.0, "share": null})"));
}

TEST(JsonReport, WritesLimitsWithUnitsAndOptionalPartsOnlyWhenPresent) {
    const Json budgets = to_json(fabricated_run())["budgets"];
    EXPECT_EQ(budgets[0]["limits"][1], Json::parse(R"({
        "metric": "engine.status_display.bytes", "kind": "growth", "limit": 65536.0, "measured": 2097152.5,
        "unit": "bytes_per_hour", "verdict": "fail", "explanation": "why: fail",
        "growth": {"slope_per_hour": 2097152.5, "ci_low_per_hour": 2000000.25, "ci_high_per_hour": 2200000.75,
                   "intercept": -12.5, "p_value": 1e-9, "significant": true, "samples": 11,
                   "mean_rate_per_hour": 0.0, "tail_rate_per_hour": 0.0, "rise": 0.0},
        "plateau": false})"));
    EXPECT_EQ(budgets[0]["limits"][0]["unit"], "bytes");
    EXPECT_EQ(budgets[0]["limits"][0]["hours_to_breach"], 0.0);
    EXPECT_FALSE(budgets[0]["limits"][0].contains("growth"));
    EXPECT_EQ(budgets[1]["limits"][0]["unit"], "items");
    EXPECT_FALSE(budgets[1]["limits"][0].contains("hours_to_breach"));
    EXPECT_TRUE(budgets[1]["limits"][1]["measured"].is_null());
}

TEST(JsonReport, RepeatsTheDecidingLimitAtTheBudgetLevel) {
    const Json budgets = to_json(fabricated_run())["budgets"];
    // issue-1: both limits failed; the first failing one decides.
    EXPECT_EQ(budgets[0]["issue"], "issue-1");
    EXPECT_EQ(budgets[0]["metric"], "engine.status_display.bytes");
    EXPECT_EQ(budgets[0]["limit"], kMiB);
    EXPECT_EQ(budgets[0]["measured"], 6291456.0);
    // issue-4: nothing failed; the first limit decides.
    EXPECT_EQ(budgets[1]["metric"], "engine.log_queue.items");
    EXPECT_EQ(budgets[1]["limit"], 1000.0);
    EXPECT_EQ(budgets[1]["measured"], 1000.0);
    EXPECT_EQ(budgets[1]["verdict"], "pass");
}

TEST(JsonReport, DecidingLimitIsTheFirstFailingElseTheFirst) {
    harness::BudgetResult budget;
    EXPECT_EQ(deciding_limit(budget), nullptr);
    budget.limits = {limit("a", LimitKind::peak, 1, 0, Verdict::pass), limit("b", LimitKind::peak, 1, 2, Verdict::fail),
                     limit("c", LimitKind::peak, 1, 2, Verdict::fail)};
    EXPECT_EQ(deciding_limit(budget), &budget.limits[1]);
    budget.limits[1].verdict = Verdict::not_measured;
    budget.limits[2].verdict = Verdict::pass;
    EXPECT_EQ(deciding_limit(budget), &budget.limits[0]);
}

TEST(JsonReport, LeavesOutTheBudgetLevelLimitWhenABudgetHasNone) {
    harness::RunResult r = fabricated_run();
    r.budgets[1].limits.clear();
    const Json budget = to_json(r)["budgets"][1];
    EXPECT_FALSE(budget.contains("metric"));
    EXPECT_FALSE(budget.contains("limit"));
    EXPECT_FALSE(budget.contains("measured"));
}

TEST(JsonReport, RoundTripsThroughTextExactly) {
    const harness::RunResult original = fabricated_run();
    const std::string text = to_json(original).dump(1);
    const harness::RunResult read = run_result_from_json(Json::parse(text), "day.json");
    EXPECT_EQ(to_json(read).dump(1), text);

    EXPECT_EQ(read.info.seed, original.info.seed);
    EXPECT_EQ(read.info.virtual_elapsed, original.info.virtual_elapsed);
    EXPECT_EQ(read.info.wall_seconds, 1.0 / 3.0);  // exact: doubles are written with round-trip precision
    EXPECT_EQ(read.info.leaks, original.info.leaks);
    EXPECT_EQ(read.info.stop_reason, original.info.stop_reason);
    EXPECT_EQ(read.samples.metrics, original.samples.metrics);
    EXPECT_EQ(read.samples.times, original.samples.times);
    EXPECT_EQ(read.samples.purged, original.samples.purged);
    EXPECT_EQ(read.samples.values[2], original.samples.values[2]);
    EXPECT_TRUE(std::isnan(read.samples.values[0][1]));
    EXPECT_TRUE(std::isnan(read.budgets[1].limits[1].measured));
    EXPECT_EQ(read.budgets[0].limits[1].growth->ci_high_per_hour, 2200000.75);
    EXPECT_EQ(read.budgets[0].limits[0].hours_to_breach, 0.0);
    EXPECT_FALSE(read.budgets[1].limits[0].growth.has_value());
    EXPECT_FALSE(read.budgets[1].limits[0].hours_to_breach.has_value());
    EXPECT_EQ(read.verdict, Verdict::fail);
}

TEST(JsonReport, OmitsAnEmptyStopReasonAndReadsItsAbsenceAsEmpty) {
    harness::RunResult r = fabricated_run();
    r.info.stop_reason.clear();
    const Json j = to_json(r);
    EXPECT_FALSE(j["run"].contains("stop_reason"));
    EXPECT_EQ(run_result_from_json(j, "day.json").info.stop_reason, "");
}

TEST(JsonReport, ReadsWhatOtherWritersMayProduce) {
    // Integers where numbers are expected, and fields this version does not know (added in a later minor change).
    Json j = to_json(fabricated_run());
    j["run"]["wall_seconds"] = 2;
    j["scenario"]["virtual_duration_s"] = 7200;
    j["run"]["cpu_seconds"] = 1.5;
    const harness::RunResult r = run_result_from_json(j, "day.json");
    EXPECT_EQ(r.info.wall_seconds, 2.0);
    EXPECT_EQ(r.info.virtual_duration, std::chrono::hours(2));
}

TEST(JsonReport, RejectsAnUnsupportedSchemaVersion) {
    EXPECT_EQ(message_of<Error>([] { read_with("/schema_version"_json_pointer, 2); }),
              "day.json: $.schema_version: unsupported report schema version 2; this memsoak reads version 1 "
              "(docs/report-schema.md)");
    EXPECT_EQ(message_of<Error>([] { read_with("/schema_version"_json_pointer, "1"); }),
              "day.json: $.schema_version: expected an integer, got \"1\"");
    EXPECT_EQ(message_of<Error>([] { read_without("/schema_version"_json_pointer); }),
              "day.json: $.schema_version: missing; expected an integer");
}

TEST(JsonReport, NamesTheMissingField) {
    EXPECT_EQ(message_of<Error>([] { read_without("/run/wall_seconds"_json_pointer); }),
              "day.json: $.run.wall_seconds: missing; expected a number or null");
    EXPECT_EQ(message_of<Error>([] { read_without("/budgets/1/limits/0/kind"_json_pointer); }),
              "day.json: $.budgets[1].limits[0].kind: missing; expected \"peak\", \"growth\" or \"items\"");
    EXPECT_EQ(message_of<Error>([] { read_without("/samples"_json_pointer); }),
              "day.json: $.samples: missing; expected an object");
    EXPECT_EQ(message_of<Error>([] { read_without("/budgets/0/limits/1/growth/samples"_json_pointer); }),
              "day.json: $.budgets[0].limits[1].growth.samples: missing; expected a non-negative integer");
}

TEST(JsonReport, NamesTheMistypedField) {
    EXPECT_EQ(message_of<Error>([] {
                  run_result_from_json(Json::array({1, 2}), "day.json");
              }),
              "day.json: $: expected an object, got [1,2]");
    EXPECT_EQ(message_of<Error>([] { read_with("/tool/name"_json_pointer, "valgrind"); }),
              "day.json: $.tool.name: expected \"memsoak\", got \"valgrind\"");
    EXPECT_EQ(message_of<Error>([] { read_with("/scenario/seed"_json_pointer, -1); }),
              "day.json: $.scenario.seed: expected a non-negative integer, got -1");
    EXPECT_EQ(message_of<Error>([] { read_with("/scenario/warmup_s"_json_pointer, "30m"); }),
              "day.json: $.scenario.warmup_s: expected a number of seconds >= 0, got \"30m\"");
    EXPECT_EQ(message_of<Error>([] { read_with("/run/interrupted"_json_pointer, "no"); }),
              "day.json: $.run.interrupted: expected true or false, got \"no\"");
    EXPECT_EQ(message_of<Error>([] { read_with("/run/layers/1"_json_pointer, "heap"); }),
              "day.json: $.run.layers[1]: expected \"os\", \"allocator\" or \"engine\", got \"heap\"");
    EXPECT_EQ(message_of<Error>([] { read_with("/budgets/0/verdict"_json_pointer, "PASS"); }),
              "day.json: $.budgets[0].verdict: expected \"pass\", \"fail\" or \"not_measured\", got \"PASS\"");
    EXPECT_EQ(message_of<Error>([] { read_with("/budgets/0/limits/1/unit"_json_pointer, "bytes"); }),
              "day.json: $.budgets[0].limits[1].unit: expected \"bytes_per_hour\" for a growth limit, got \"bytes\"");
    EXPECT_EQ(message_of<Error>([] { read_with("/attribution/0/share"_json_pointer, "87%"); }),
              "day.json: $.attribution[0].share: expected a number or null, got \"87%\"");
}

TEST(JsonReport, NamesTheBadSample) {
    EXPECT_EQ(message_of<Error>([] { read_with("/samples/metrics/os.rss_bytes/2"_json_pointer, "1 MiB"); }),
              "day.json: $.samples.metrics[\"os.rss_bytes\"][2]: expected a number or null, got \"1 MiB\"");
    EXPECT_EQ(message_of<Error>([] { read_with("/samples/t_s/1"_json_pointer, nullptr); }),
              "day.json: $.samples.t_s[1]: expected a number of seconds >= 0, got null");
    EXPECT_EQ(message_of<Error>([] { read_with("/samples/purged"_json_pointer, Json::parse("[true, false]")); }),
              "day.json: $.samples.purged: expected 3 values (one per entry of $.samples.t_s), got 2");
    EXPECT_EQ(message_of<Error>(
                  [] { read_with("/samples/metrics/os.rss_bytes"_json_pointer, Json::parse("[1,2,3,4]")); }),
              "day.json: $.samples.metrics[\"os.rss_bytes\"]: expected 3 values (one per entry of $.samples.t_s), "
              "got 4");
}

TEST(JsonReport, ShortensALongMistypedValueInTheMessage) {
    EXPECT_EQ(message_of<Error>([] { read_with("/samples/t_s"_json_pointer, std::string(100, 'x')); }),
              "day.json: $.samples.t_s: expected an array, got \"" + std::string(59, 'x') + "... (102 bytes)");
}

TEST(JsonReport, ReadsTheExampleInTheSchemaDocument) {
    std::ifstream in(fs::path(MEMSOAK_SOURCE_DIR) / "docs" / "report-schema.md");
    const std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::size_t start = doc.find("```json\n");
    ASSERT_NE(start, std::string::npos);
    const std::size_t end = doc.find("```", start + 8);
    const Json example = Json::parse(doc.substr(start + 8, end - start - 8));

    const harness::RunResult r = run_result_from_json(example, "docs/report-schema.md");
    EXPECT_EQ(r.info.virtual_elapsed, std::chrono::hours(24));
    EXPECT_EQ(r.samples.size(), 3u);
    EXPECT_TRUE(std::isnan(r.samples.values[2][1]));
    EXPECT_EQ(r.budgets.at(0).limits.at(1).growth->samples, 95u);
    EXPECT_EQ(to_json(r), example);  // the example's budget-level fields agree with its deciding limit
}

// A report file in a folder of the test's own.
class ReportFile : public ::testing::Test {
protected:
    void write(const std::string& text) { testing::write_text(path_, text); }
    const testing::TempDir dir_;
    const fs::path path_ = dir_ / "report.json";
};

TEST_F(ReportFile, LoadsAWrittenReport) {
    const Json j = to_json(fabricated_run());
    write(j.dump(1));
    EXPECT_EQ(to_json(load_report(path_)), j);
}

TEST_F(ReportFile, GivesLineAndColumnOfInvalidJson) {
    write("{\n  \"schema_version\": 1,\n  x}");
    EXPECT_EQ(message_of<Error>([this] { load_report(path_); }),
              path_.string() +
                  ":3:3: invalid JSON: syntax error while parsing object key - invalid literal; "
                  "last read: '1,<U+000A>  x'; expected string literal");
    write("");
    EXPECT_EQ(message_of<Error>([this] { load_report(path_); }),
              path_.string() +
                  ":1:1: invalid JSON: syntax error while parsing value - unexpected end of input; "
                  "expected '[', '{', or a literal");
}

TEST_F(ReportFile, ANumberBeyondADoubleIsInvalidJsonWithItsPosition) {
    write("{\n  \"schema_version\": 1,\n  \"run\": {\"wall_seconds\": 2e400}}");
    EXPECT_EQ(message_of<Error>([this] { load_report(path_); }),
              path_.string() + ":3:27: invalid JSON: number overflow parsing '2e400'");
}

TEST_F(ReportFile, NamesTheFileInValidationErrors) {
    Json j = to_json(fabricated_run());
    j["verdict"] = true;
    const std::string text = j.dump(1);
    write(text);
    // Line and column are those of the value in the file's text.
    const std::size_t at = text.find("\"verdict\": true") + std::string("\"verdict\": ").size();
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    const std::size_t column = at - text.rfind('\n', at);
    EXPECT_EQ(message_of<Error>([this] { load_report(path_); }),
              path_.string() + ":" + std::to_string(line) + ":" + std::to_string(column) +
                  ": $.verdict: expected \"pass\", \"fail\" or \"not_measured\", got true");
}

TEST_F(ReportFile, NamesAMissingFile) {
    EXPECT_EQ(message_of<Error>([this] { load_report(path_); }),
              path_.string() + ": cannot open file: No such file or directory");
}

}  // namespace
}  // namespace memsoak::reports

namespace memsoak::reports {
namespace {

TEST(JsonReport, RoundTripsTheComponentsFillingAndLeavesThemOutWhenNone) {
    harness::RunResult original = fabricated_run();
    EXPECT_FALSE(to_json(original).contains("filling"));
    original.filling = {{"signals", 160, 500}, {"log_pane", 812, 1000}};
    const Json j = to_json(original);
    EXPECT_EQ(j["filling"], Json::parse(R"([{"component": "signals", "items": 160.0, "capacity": 500.0},
                                            {"component": "log_pane", "items": 812.0, "capacity": 1000.0}])"));
    const harness::RunResult read = run_result_from_json(Json::parse(j.dump(1)), "day.json");
    ASSERT_EQ(read.filling.size(), 2u);
    EXPECT_EQ(read.filling[1].component, "log_pane");
    EXPECT_EQ(read.filling[1].items, 812);
    EXPECT_EQ(read.filling[1].capacity, 1000);
}

TEST(JsonReport, RoundTripsRetentionPerActionWithNullForLayersNotRead) {
    harness::RunResult original = fabricated_run();
    original.retention = std::vector<harness::ActionRetention>{{"toggle_indicator(rsi)", 4, 8, 3051725.5, 3051000.25,
                                                                3052451, 2715648, 2700000, 2731296, true},
                                                               {"analyze", 4, 8, std::nan(""), std::nan(""),
                                                                std::nan(""), 128, -175.5, 431.5, false}};
    original.retention_trigger = "budget process failed on allocator.live_bytes";
    const Json j = to_json(original);
    ASSERT_TRUE(j["retention"].is_array());
    EXPECT_EQ(j["retention"][0]["action"], "toggle_indicator(rsi)");
    EXPECT_EQ(j["retention"][0]["calls_per_round"], 4);
    EXPECT_EQ(j["retention"][0]["live_ci_low"], 3051000.25);
    EXPECT_TRUE(j["retention"][1]["live_bytes_per_call"].is_null());
    EXPECT_EQ(j["retention"][1]["significant"], false);
    EXPECT_EQ(j["retention_trigger"], original.retention_trigger);

    const harness::RunResult read = run_result_from_json(Json::parse(j.dump(1)), "day.json");
    ASSERT_TRUE(read.retention.has_value());
    ASSERT_EQ(read.retention->size(), 2u);
    EXPECT_EQ((*read.retention)[0].rss_ci_high, 2731296);
    EXPECT_TRUE(std::isnan((*read.retention)[1].live_ci_high));
    EXPECT_EQ((*read.retention)[1].rss_ci_low, -175.5);
    EXPECT_EQ(read.retention_trigger, original.retention_trigger);
    EXPECT_EQ(to_json(read), j);
}

TEST(JsonReport, LeavesOutRetentionWhenNotProbedAndNamesABadEntry) {
    Json j = to_json(fabricated_run());
    EXPECT_FALSE(j.contains("retention"));
    EXPECT_FALSE(run_result_from_json(j, "day.json").retention.has_value());
    j["retention"] = Json::array({Json{{"action", "analyze"}}});
    try {
        run_result_from_json(j, "day.json");
        FAIL() << "a retention entry without calls_per_round was read";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "day.json: $.retention[0].calls_per_round: missing; expected a non-negative integer");
    }
}

}  // namespace
}  // namespace memsoak::reports
