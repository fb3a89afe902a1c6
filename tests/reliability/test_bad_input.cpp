// Bad input, end to end: each kind of bad file or option is refused with exit 2 and a message that names the
// file, the place (a JSON path or a line) and what was expected, before anything is written: no report, no
// output folder. The readers' own tests (tests/harness, tests/engine, tests/reports) check their messages in
// depth; these cover what they do not: engine settings and replay CSV files reached through a scenario, suite
// files, the command line's options, and a report cut short.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"
#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reliability {
namespace {

using namespace memsoak::testing;

namespace fs = std::filesystem;

// Scenarios written by tests have no calibration: the shipped ledger with hand-set process limits.
const fs::path kShippedLedger = uncalibrated_ledger();

class BadInput : public ::testing::Test {
protected:
    // `memsoak run` refuses the input with exactly `message` (the whole output) and writes no report.
    void expect_run_refused(std::vector<std::string> args, const std::string& message) const {
        args.insert(args.begin(), "run");
        args.insert(args.end(), {"--out", report().string(), "--quiet"});
        const ProcessResult result = run_memsoak(args);
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_EQ(result.output, message);
        EXPECT_FALSE(fs::exists(report())) << "a report was written for bad input";
    }

    // A two-hour scenario whose engine object is `engine`, with the shipped ledger beside it.
    fs::path scenario_with_engine(const std::string& engine) const {
        write_text(dir_ / "budgets.json", read_text(kShippedLedger));
        write_text(dir_ / "s.json",
                   R"({"schema_version": 1, "name": "s", "duration": "2h", "seed": 1, "sample_interval": "1m",
            "warmup": "0s", "engine": )" +
                       engine + R"(, "workload": [{"action": "tick", "every": "1h"}], "budgets": ["process"]})");
        return dir_ / "s.json";
    }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    fs::path report() const { return dir_ / "report.json"; }

    TempDir dir_;
};

// --- Engine settings: checked when the scenario is loaded, named by their JSON path under $.engine ---

TEST_F(BadInput, EngineSettingOfTheWrongType) {
    const fs::path s = scenario_with_engine(R"({"chart_width": "wide"})");
    expect_run_refused({s.string()}, "memsoak: error: " + s.string() +
                                         ":2:55: $.engine.chart_width: expected an integer >= 100, got "
                                         "\"wide\"\n");
}

TEST_F(BadInput, UnknownEngineSettingListsTheKnownOnes) {
    const fs::path s = scenario_with_engine(R"({"chart_widht": 900})");
    expect_run_refused(
        {s.string()},
        "memsoak: error: " + s.string() +
            ":2:55: $.engine.chart_widht: unknown field; expected one of "
            "analysis_period, archive_keep, archive_path, archive_threshold, candle_interval, capital, "
            "chart_height, chart_indicators, chart_policy, chart_width, gui_drain_rate, inject, log_pane_lines, "
            "log_queue_capacity, log_queue_policy, replay_csv, risk_per_trade, saturate, seed, signal_capacity, "
            "signal_policy, start_price, start_timestamp, status_history_limit, status_policy, symbol, "
            "transaction_policy, transaction_ring_capacity\n");
}

TEST_F(BadInput, UnknownPolicyNameListsTheSitesPolicies) {
    const fs::path s = scenario_with_engine(R"({"status_policy": "sumary"})");
    expect_run_refused({s.string()}, "memsoak: error: " + s.string() +
                                         ":2:57: $.engine.status_policy: unknown status display (issue-1) policy "
                                         "\"sumary\": expected one of \"leaky\", \"drop-frame\", \"summary\", "
                                         "\"bounded-history\"\n");
}

TEST_F(BadInput, ArchivePolicyNeedsAnArchivePath) {
    const fs::path s = scenario_with_engine(R"({"transaction_policy": "archive"})");
    expect_run_refused({s.string()}, "memsoak: error: " + s.string() +
                                         ":2:39: $.engine.archive_path: missing; expected a file name (required "
                                         "by transaction_policy \"archive\")\n");
}

TEST_F(BadInput, ChartSizeBeyondTheIntegerRangeIsNotWrappedIntoRange) {
    // 2^32 + 500 would read as 500 pixels if narrowed to int before the check.
    const fs::path s = scenario_with_engine(R"({"chart_width": 4294967796})");
    expect_run_refused({s.string()}, "memsoak: error: " + s.string() +
                                         ":2:55: $.engine.chart_width: expected at most 8192 pixels, got "
                                         "4294967796\n");
}

TEST_F(BadInput, AnalysisPeriodMustSpanTwoCandles) {
    const fs::path s = scenario_with_engine(R"({"candle_interval": "1h", "analysis_period": "1h"})");
    expect_run_refused({s.string()}, "memsoak: error: " + s.string() +
                                         ":2:84: $.engine.analysis_period: expected at least 2 candles of "
                                         "candle_interval\n");
}

TEST_F(BadInput, AnalysisFrameOfMoreThanAMillionCandles) {
    // 30 days of 1-second candles: 2.6 million rows of ~30 doubles in every analysis.
    const fs::path s = scenario_with_engine(R"({"candle_interval": "1s", "analysis_period": "30d"})");
    expect_run_refused({s.string()}, "memsoak: error: " + s.string() +
                                         ":2:84: $.engine.analysis_period: expected at most 1000000 candles of "
                                         "candle_interval, got 2592000\n");
}

TEST_F(BadInput, MoreThanAMillionSampleIntervals) {
    write_text(dir_ / "budgets.json", read_text(kShippedLedger));
    write_text(dir_ / "s.json",
               R"({"schema_version": 1, "name": "s", "duration": "24h", "seed": 1, "sample_interval": "1us",
        "warmup": "0s",
        "workload": [{"action": "tick", "every": "1h"}], "budgets": ["process"]})");
    expect_run_refused({path("s.json")}, "memsoak: error: " + path("s.json") +
                                             ":1:85: $.sample_interval: expected at least 86ms400us (at most 1000000 "
                                             "sample intervals in a run), got \"1us\"\n");
}

TEST_F(BadInput, StartTimestampBeyondTheEnginesCalendar) {
    // The synthetic feed adds each candle's interval to it: near 2^63 that would overflow (undefined behaviour).
    const fs::path s = scenario_with_engine(R"({"start_timestamp": 9223372036854775000})");
    expect_run_refused({s.string()},
                       "memsoak: error: " + s.string() +
                           ":2:59: $.engine.start_timestamp: expected Unix seconds within the years 1970 to "
                           "2199, got 9223372036854775000\n");
}

TEST_F(BadInput, NotANumberIsNotADuration) {
    // from_chars reads "nan" as a number; cast to microseconds it was undefined behaviour (float-cast-overflow).
    const fs::path s = scenario_with_engine(R"({"candle_interval": "nan m"})");
    expect_run_refused({s.string()}, "memsoak: error: " + s.string() +
                                         ":2:59: $.engine.candle_interval: expected a duration such as \"1m\", got "
                                         "\"nan m\"\n");
}

// --- Replay CSV files: read when the run starts, named by file and line ---

TEST_F(BadInput, ReplayCsvWithOneCandleNamesTheFile) {
    write_text(dir_ / "prices.csv",
               "timestamp,open,high,low,close,volume\n"
               "2021-01-01 00:00:00,1,2,0.5,1.5,10\n");
    const fs::path s = scenario_with_engine(R"({"replay_csv": "prices.csv", "candle_interval": "1h",
                                                "analysis_period": "2h"})");
    expect_run_refused({s.string()}, "memsoak: error: " + path("prices.csv") +
                                         ": expected at least 2 candle rows to replay, got 1\n");
}

TEST_F(BadInput, ControlBytesInAReplayCsvAreShownEscaped) {
    write_text(dir_ / "prices.csv", std::string("timestamp,open,high,low,close,volume\n"
                                                "2021-01-01 00:00:00,1,2,0.5,1.5,10\n"
                                                "2021-01-01 01:00:00,1.5,2,1,1\0\x1b[2J,10\n",
                                                110));
    const fs::path s = scenario_with_engine(R"({"replay_csv": "prices.csv", "candle_interval": "1h",
                                                "analysis_period": "2h"})");
    expect_run_refused({s.string()}, "memsoak: error: " + path("prices.csv") +
                                         ":3: column 'close': expected a number, got '1\\x00\\x1b[2J'\n");
}

TEST_F(BadInput, MalformedReplayCsvRowNamesItsLineAndColumn) {
    write_text(dir_ / "prices.csv",
               "timestamp,open,high,low,close,volume\n"
               "2021-01-01 00:00:00,1,2,0.5,1.5,10\n"
               "2021-01-01 01:00:00,1.5,2,1,abc,10\n");
    const fs::path s = scenario_with_engine(R"({"replay_csv": "prices.csv", "candle_interval": "1h",
                                                "analysis_period": "2h"})");
    expect_run_refused({s.string()},
                       "memsoak: error: " + path("prices.csv") + ":3: column 'close': expected a number, got 'abc'\n");
}

TEST_F(BadInput, ReplayCsvTimestampsBeyondTheEnginesCalendar) {
    // Replaying shifts times by the recording's span: 9e18 - -9e18 overflowed (UBSan, fuzz_csv).
    write_text(dir_ / "prices.csv",
               "timestamp,open,high,low,close,volume\n"
               "-9000000000000000000,1,2,0.5,1.5,10\n"
               "9000000000000000000,1,2,0.5,1.5,10\n");
    const fs::path s = scenario_with_engine(R"({"replay_csv": "prices.csv"})");
    expect_run_refused({s.string()}, "memsoak: error: " + path("prices.csv") +
                                         ":2: column 'timestamp': expected 'YYYY-MM-DD HH:MM:SS' (UTC) or Unix "
                                         "seconds, from 1970 to 2199, got '-9000000000000000000'\n");
}

TEST_F(BadInput, MissingReplayCsvIsNamed) {
    const fs::path s = scenario_with_engine(R"({"replay_csv": "missing.csv"})");
    expect_run_refused({s.string()},
                       "memsoak: error: " + path("missing.csv") + ": cannot open file: No such file or directory\n");
}

// --- The ledger and the command line ---

TEST_F(BadInput, MissingLedgerIsNamed) {
    const fs::path s = scenario_with_engine("{}");
    expect_run_refused({s.string(), "--ledger", path("nope.json")},
                       "memsoak: error: " + path("nope.json") + ": cannot open file: No such file or directory\n");
}

TEST_F(BadInput, RunWithoutAScenario) {
    expect_run_refused({}, "memsoak run: missing the scenario file\n(see memsoak run --help)\n");
}

TEST_F(BadInput, UnknownOption) {
    const fs::path s = scenario_with_engine("{}");
    expect_run_refused({s.string(), "--frobnicate"},
                       "memsoak run: unrecognised option '--frobnicate'\n(see memsoak run --help)\n");
}

TEST_F(BadInput, TooManyScenarios) {
    const fs::path s = scenario_with_engine("{}");
    expect_run_refused({s.string(), s.string()},
                       "memsoak run: too many positional options have been specified on the command line\n"
                       "(see memsoak run --help)\n");
}

TEST_F(BadInput, SeedMustBeANonNegativeInteger) {
    const fs::path s = scenario_with_engine("{}");
    // "-1" in particular: read as an unsigned option by boost, it would silently become 2^64 - 1.
    for (const std::string seed : {"-1", "12x", "18446744073709551616"}) {
        expect_run_refused({s.string(), "--seed", seed},
                           "memsoak run: --seed: expected a whole number from 0 to "
                           "2^64 - 1, got \"" +
                               seed + "\"\n(see memsoak run --help)\n");
    }
}

TEST_F(BadInput, MaxRssMustBeAPositiveSize) {
    const fs::path s = scenario_with_engine("{}");
    expect_run_refused({s.string(), "--max-rss", "lots"},
                       "memsoak run: --max-rss: expected a size with its unit such as \"50 MiB\", \"512KiB\" or \"4096 "
                       "B\" (units B, KB, MB, "
                       "GB, KiB, MiB, GiB), got \"lots\"\n(see memsoak run --help)\n");
    // A limit below memsoak's own size would stop every run at its first sample.
    expect_run_refused({s.string(), "--max-rss", "0 B"},
                       "memsoak run: --max-rss: expected at least 1 MiB (memsoak itself takes more), got \"0 B\"\n"
                       "(see memsoak run --help)\n");
}

TEST_F(BadInput, ReportFolderIsCheckedBeforeTheRunNotAfterIt) {
    const fs::path s = scenario_with_engine("{}");
    write_text(dir_ / "plain", "x");
    const ProcessResult under_a_file = run_memsoak({"run", s.string(), "--out", path("plain/report.json"), "--quiet"});
    EXPECT_EQ(under_a_file.exit_code, 2);
    EXPECT_EQ(under_a_file.output, "memsoak run: --out " + path("plain/report.json") + ": " + path("plain") +
                                       " is a file, not a folder\n(see memsoak run --help)\n");
    const ProcessResult folder = run_memsoak({"run", s.string(), "--out", dir_.path().string(), "--quiet"});
    EXPECT_EQ(folder.exit_code, 2);
    EXPECT_EQ(folder.output, "memsoak run: --out " + dir_.path().string() +
                                 ": expected a file name, got a folder\n(see memsoak run --help)\n");
}

// --- Suite files ---

TEST_F(BadInput, SuiteWithoutAFile) {
    const ProcessResult result = run_memsoak({"suite"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output, "memsoak suite: missing the suite file\n(see memsoak suite --help)\n");
}

TEST_F(BadInput, BadSuiteFileCreatesNoOutputFolder) {
    write_text(dir_ / "suite.json", R"({"schema_version": 1, "name": "n", "scenarios": ["nope.json"]})");
    const ProcessResult result = run_memsoak({"suite", path("suite.json"), "--out-dir", path("out")});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output, "memsoak: error: " + path("suite.json") + ":1:50: $.scenarios[0]: no such scenario file " +
                                 path("nope.json") + "\n");
    EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(BadInput, SuiteOptionsAreCheckedBeforeAnyRunOrOutput) {
    // Each would fail every run of the suite; the suite refuses it before creating its folder or starting a run.
    const std::string suite = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios/nightly.json";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"--max-rss=12 parsecs",
         "memsoak suite: --max-rss: expected a size with its unit such as \"50 MiB\", \"512KiB\" or \"4096 B\" (units "
         "B, KB, MB, GB, KiB, MiB, "
         "GiB), got \"12 parsecs\"\n(see memsoak suite --help)\n"},
        {"--max-rss=0",
         "memsoak suite: --max-rss: expected a size with its unit such as \"50 MiB\", \"512KiB\" or "
         "\"4096 B\" (units B, KB, MB, GB, KiB, MiB, GiB), got \"0\"\n(see memsoak suite --help)\n"},
        {"--max-rss=0.1 B",
         "memsoak suite: --max-rss: expected at least 1 MiB (memsoak itself takes more), got \"0.1 B\"\n"
         "(see memsoak suite --help)\n"},
        {"--leak=issue-9",
         "memsoak: error: --leak issue-9: expected one of issue-1, issue-2, issue-3, issue-4, issue-5\n"},
        {"--measure=heap",
         "memsoak suite: --measure: unknown layer \"heap\"; expected a comma-separated list of os, allocator, engine, "
         "or none alone\n(see memsoak suite --help)\n"},
        {"--ledger=" + path("none.json"),
         "memsoak: error: " + path("none.json") + ": cannot open file: No such file or directory\n"},
    };
    for (const auto& [option, message] : cases) {
        const ProcessResult result = run_memsoak({"suite", suite, "--out-dir", path("out"), option});
        EXPECT_EQ(result.exit_code, 2) << option;
        EXPECT_EQ(result.output, message) << option;
        EXPECT_FALSE(fs::exists(dir_ / "out")) << option << ": the suite made its folder for bad input";
    }
}

TEST_F(BadInput, SuiteSeedsMustBeDistinct) {
    const ProcessResult result = run_memsoak({"suite", std::string(MEMSOAK_SOURCE_DIR) + "/scenarios/nightly.json",
                                              "--out-dir", path("out"), "--seeds", "1,2,1"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output,
              "memsoak suite: --seeds: expected distinct seeds, got 1 twice in \"1,2,1\"\n"
              "(see memsoak suite --help)\n");
    EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(BadInput, CompareNamesAMissingReport) {
    const ProcessResult result = run_memsoak({"compare", path("missing.json"), path("missing-too.json")});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output, "memsoak: error: " + path("missing.json") +
                                 ": no such file or folder; expected a report or a folder of reports\n");
}

class BadSuiteFile : public BadInput {
protected:
    // The message harness::load_suite gives for a suite file holding `text`, beside a scenario a.json.
    std::string error_for(const std::string& text) const {
        write_text(dir_ / "a.json", "{}");
        write_text(dir_ / "suite.json", text);
        try {
            harness::load_suite(dir_ / "suite.json");
        } catch (const harness::Error& e) {
            return e.what();
        }
        return "no error";
    }
    std::string suite() const { return path("suite.json"); }
};

TEST_F(BadSuiteFile, InvalidJsonNamesLineAndColumn) {
    EXPECT_EQ(error_for("{\"schema_version\": 1,\n  \"name\": }"),
              suite() +
                  ":2:11: invalid JSON: syntax error while parsing value - unexpected '}'; expected '[', '{', "
                  "or a literal");
}

TEST_F(BadSuiteFile, NotAnObject) {
    EXPECT_EQ(error_for("[\"a.json\"]"), suite() + ":1:1: $: expected a suite object, got [\"a.json\"]");
}

TEST_F(BadSuiteFile, UnknownField) {
    EXPECT_EQ(error_for(R"({"schema_version": 1, "name": "n", "scenario": ["a.json"]})"),
              suite() +
                  ":1:48: $.scenario: unknown field; expected one of description, name, scenarios, "
                  "schema_version");
}

TEST_F(BadSuiteFile, SchemaVersion) {
    EXPECT_EQ(error_for(R"({"name": "n", "scenarios": ["a.json"]})"),
              suite() + ":1:1: $.schema_version: missing; expected 1 (the only schema version this memsoak reads)");
    EXPECT_EQ(error_for(R"({"schema_version": 2, "name": "n", "scenarios": ["a.json"]})"),
              suite() + ":1:20: $.schema_version: expected 1 (the only schema version this memsoak reads), got 2");
}

TEST_F(BadSuiteFile, Name) {
    EXPECT_EQ(error_for(R"({"schema_version": 1, "scenarios": ["a.json"]})"),
              suite() + ":1:1: $.name: missing; expected a non-empty string");
}

TEST_F(BadSuiteFile, ScenariosMustBeANonEmptyListOfFileNames) {
    EXPECT_EQ(error_for(R"({"schema_version": 1, "name": "n", "scenarios": []})"),
              suite() + ":1:49: $.scenarios: expected a non-empty array of scenario files, got []");
    EXPECT_EQ(error_for(R"({"schema_version": 1, "name": "n", "scenarios": ["a.json", 3]})"),
              suite() + ":1:60: $.scenarios[1]: expected a scenario file name, got 3");
}

TEST_F(BadSuiteFile, AScenarioListedTwice) {
    EXPECT_EQ(error_for(R"({"schema_version": 1, "name": "n", "scenarios": ["a.json", "./a.json"]})"),
              suite() + ":1:60: $.scenarios[1]: " + path("./a.json") + " is listed twice");
}

TEST_F(BadInput, UnknownChartIndicatorIsRefusedWhenTheScenarioLoads) {
    const fs::path s = scenario_with_engine(R"({"chart_indicators": ["sma_20", "bogus"]})");
    expect_run_refused(
        {s.string()},
        "memsoak: error: " + s.string() +
            ":2:71: $.engine.chart_indicators[1]: expected an indicator name: "
            "one of sma_20, sma_50, sma_200, ema, bollinger, vwap, rsi, macd, stochastic, got \"bogus\"\n");
}

TEST_F(BadInput, AFolderWhereAJsonFileIsExpected) {
    fs::create_directory(dir_ / "folder.json");
    expect_run_refused({path("folder.json")},
                       "memsoak: error: " + path("folder.json") + ": expected a regular file, got a folder\n");
    const fs::path s = scenario_with_engine("{}");
    expect_run_refused({s.string(), "--ledger", path("folder.json")},
                       "memsoak: error: " + path("folder.json") + ": expected a regular file, got a folder\n");
    // validate goes on to the next file.
    const ProcessResult result = run_memsoak({"validate", path("folder.json"), s.string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output, "memsoak: error: " + path("folder.json") + ": expected a regular file, got a folder\n" +
                                 s.string() + ": ok (scenario s)\n");
}

TEST_F(BadInput, EveryOutputFileIsCheckedBeforeTheRun) {
    const fs::path s = scenario_with_engine("{}");
    fs::create_directory(dir_ / "folder");
    write_text(dir_ / "plain", "x");
    expect_run_refused({s.string(), "--html", path("plain/page.html")},
                       "memsoak run: --html " + path("plain/page.html") + ": " + path("plain") +
                           " is a file, not a folder\n(see memsoak run --help)\n");
    expect_run_refused({s.string(), "--junit", path("folder")}, "memsoak run: --junit " + path("folder") +
                                                                    ": expected a file name, got a folder\n"
                                                                    "(see memsoak run --help)\n");
    const ProcessResult selftest = run_memsoak({"selftest", "--out", path("plain/matrix.json")});
    EXPECT_EQ(selftest.exit_code, 2);
    EXPECT_EQ(selftest.output, "memsoak selftest: --out " + path("plain/matrix.json") + ": " + path("plain") +
                                   " is a file, not a folder\n(see memsoak selftest --help)\n");
}

TEST_F(BadInput, FixcheckWorkDirThatCannotBeAFolder) {
    const fs::path s = scenario_with_engine("{}");
    write_text(dir_ / "a-file", "x");
    const ProcessResult result =
        run_memsoak({"fixcheck", s.string(), "--leak", "issue-1", "--work-dir", path("a-file")});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output, "memsoak fixcheck: --work-dir " + path("a-file") +
                                 ": expected a folder that exists or can be created: Not a directory\n"
                                 "(see memsoak fixcheck --help)\n");
}

TEST_F(BadInput, ListNamesABrokenFileInsteadOfLeavingItOut) {
    write_text(dir_ / "budgets.json", read_text(kShippedLedger));
    write_text(dir_ / "broken.json", "{\"workload\": [1,");
    const ProcessResult result = run_memsoak({"list", dir_.path().string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output, "memsoak: error: " + path("broken.json") +
                                 ":1:17: invalid JSON: syntax error while parsing value - unexpected end of input; "
                                 "expected '[', '{', or a literal\n");
}

TEST_F(BadInput, ValidateReportsAScenarioWithAMisspeltWorkloadAsAScenario) {
    write_text(dir_ / "budgets.json", read_text(kShippedLedger));
    write_text(dir_ / "s.json",
               R"({"schema_version": 1, "name": "s", "duration": "2h", "seed": 1, "sample_interval": "1m",
        "warmup": "0s", "wrokload": [{"action": "tick", "every": "1h"}], "budgets": ["process"]})");
    const ProcessResult result = run_memsoak({"validate", path("s.json")});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output.rfind("memsoak: error: " + path("s.json") + ":2:37: $.wrokload: unknown field", 0), 0u)
        << result.output;
}

TEST_F(BadInput, ALedgerMetricNoLayerHasIsATypoNotAnUnmeasuredBudget) {
    // Judged, the limit would read "not measured" and its budget would pass in silence.
    const fs::path s = scenario_with_engine("{}");
    std::string ledger = read_text(kShippedLedger);
    ledger.replace(ledger.find("\"os.rss_bytes\""), 14, "\"os.rss_byte\"");
    write_text(dir_ / "budgets.json", ledger);
    expect_run_refused({s.string()}, "memsoak: error: " + path("budgets.json") +
                                         ": $.budgets.process.limits[0].metric: no such metric \"os.rss_byte\"; the os "
                                         "layer has os.rss_bytes, os.rss_anon_bytes, os.rss_file_bytes, "
                                         "os.rss_peak_bytes\n");
    ledger = read_text(kShippedLedger);
    ledger.replace(ledger.find("\"engine.status_display.bytes\""), 29, "\"engine.status.bytes\"");
    write_text(dir_ / "budgets.json", ledger);
    write_text(s, read_text(s).replace(read_text(s).find("\"process\""), 9, "\"issue-1\""));
    const ProcessResult result = run_memsoak({"run", s.string(), "--quiet"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.output.rfind("memsoak: error: " + path("budgets.json") +
                                      ": $.budgets.issue-1.limits[0].metric: no such metric \"engine.status.bytes\"; "
                                      "the engine layer has engine.status_display.bytes, ",
                                  0),
              0u)
        << result.output;
}

TEST_F(BadInput, ANumberBeyondADoubleInAScenario) {
    write_text(dir_ / "budgets.json", read_text(kShippedLedger));
    write_text(dir_ / "s.json", "{\"schema_version\": 11e308, \"name\": \"m\"}");
    expect_run_refused({path("s.json")},
                       "memsoak: error: " + path("s.json") + ":1:20: invalid JSON: number overflow parsing '11e308'\n");
}

// --- Reading a report back ---

TEST_F(BadInput, AReportCutShortIsRefusedWithItsPosition) {
    // What a writer without the temporary-file-and-rename protection could leave behind after a kill. Column 21
    // is one past the last byte: where the input ran out.
    write_text(dir_ / "cut.json", "{\n \"schema_version\": 1,\n \"run\": {\n  \"wall_seconds\": 1.");
    try {
        reports::load_report(dir_ / "cut.json");
        FAIL() << "a truncated report was read";
    } catch (const reports::Error& e) {
        EXPECT_EQ(std::string(e.what()), path("cut.json") +
                                             ":4:21: invalid JSON: syntax error while parsing value "
                                             "- invalid number; expected digit after '.'; last read: "
                                             "'1.'");
    }
}

}  // namespace
}  // namespace memsoak::reliability
