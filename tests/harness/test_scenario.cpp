#include "memsoak/harness/inputs/scenario.hpp"

#include <gtest/gtest.h>
#include <filesystem>
#include <string>

#include "memsoak/harness/error.hpp"
#include "support/errors.hpp"

namespace memsoak::harness {
namespace {

using testing::message_of;

using namespace std::chrono_literals;
using engine::virtual_epoch;
using Json = nlohmann::json;

const std::string kFile = "scenarios/x.json";
const std::string kDataDir = MEMSOAK_SOURCE_DIR "/tests/harness/data";

// The smallest valid scenario; each error test breaks one thing in it.
Json minimal() {
    return Json::parse(R"({
        "schema_version": 1, "name": "x", "duration": "24h", "seed": 1, "sample_interval": "1m", "warmup": "0s",
        "workload": [{"action": "tick", "every": "1m"}], "budgets": ["process"]
    })");
}

// The scenario with workload item 0 replaced.
Json with_item(const char* item) {
    Json document = minimal();
    document["workload"][0] = Json::parse(item);
    return document;
}

std::string error_of(const Json& document) {
    return message_of<Error>([&] { parse_scenario(document, kFile); });
}

std::string load_error_of(const std::filesystem::path& file) {
    try {
        load_scenario(file);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(Scenario, AFullFileParsesIntoTheExpectedStructs) {
    const std::string file = kDataDir + "/full_scenario.json";
    const Scenario s = load_scenario(file);
    EXPECT_EQ(s.schema_version, 1);
    EXPECT_EQ(s.file, file);
    EXPECT_EQ(s.name, "production-day");
    EXPECT_EQ(s.description, "A 24-hour production day with every kind of workload item.");
    EXPECT_EQ(s.duration, 24h);
    EXPECT_EQ(s.seed, 42u);
    EXPECT_EQ(s.sample_interval, 1min);
    EXPECT_EQ(s.warmup, 1h);
    EXPECT_EQ(s.purge_interval, 15min);
    EXPECT_EQ(s.engine, Json::parse(R"({"candle_interval": "1m", "analysis_period": "2d", "chart_width": 640})"));
    EXPECT_EQ(s.budgets, (std::vector<std::string>{"issue-1", "process"}));
    ASSERT_EQ(s.workload.size(), 8u);

    const WorkloadItem& tick = s.workload[0];
    EXPECT_EQ(tick.action.kind, ActionKind::tick);
    EXPECT_EQ(tick.action.argument, "");
    EXPECT_EQ(tick.timing, Timing::every);
    EXPECT_EQ(tick.every, 1min);
    EXPECT_EQ(tick.offset, 0s);
    EXPECT_EQ(tick.from, virtual_epoch);
    EXPECT_FALSE(tick.until);
    EXPECT_FALSE(tick.count);
    EXPECT_FALSE(tick.hold);
    EXPECT_EQ(tick.source, file + ": $.workload[0]");

    const WorkloadItem& analyze = s.workload[1];
    EXPECT_EQ(analyze.action.kind, ActionKind::analyze);
    EXPECT_EQ(analyze.every, 15min);
    EXPECT_EQ(analyze.offset, 30s);

    const WorkloadItem& toggle = s.workload[2];
    EXPECT_EQ(toggle.action.kind, ActionKind::toggle_indicator);
    EXPECT_EQ(toggle.action.argument, "rsi");
    EXPECT_EQ(toggle.every, 2min);
    EXPECT_EQ(toggle.from, virtual_epoch + 1h);
    EXPECT_EQ(toggle.count, 24u);

    const WorkloadItem& trade = s.workload[3];
    EXPECT_EQ(trade.action.kind, ActionKind::trade);
    EXPECT_EQ(trade.timing, Timing::rate);
    EXPECT_DOUBLE_EQ(trade.rate_per_second, 60.0 / 86400.0);
    EXPECT_EQ(trade.from, virtual_epoch + 30min);
    EXPECT_EQ(trade.until, virtual_epoch + 23h);

    const WorkloadItem& log = s.workload[4];
    EXPECT_EQ(log.action.kind, ActionKind::log);
    EXPECT_DOUBLE_EQ(log.rate_per_second, 10.0);

    const WorkloadItem& pump = s.workload[5];
    EXPECT_EQ(pump.action.kind, ActionKind::gui_pump);
    EXPECT_EQ(pump.every, 100ms);

    const WorkloadItem& freeze = s.workload[6];
    EXPECT_EQ(freeze.action.kind, ActionKind::gui_freeze);
    EXPECT_EQ(freeze.timing, Timing::at);
    EXPECT_EQ(freeze.at, (std::vector<VirtualTime>{virtual_epoch + 2h, virtual_epoch + 6h}));
    EXPECT_EQ(freeze.hold, 30min);

    const WorkloadItem& refresh = s.workload[7];
    EXPECT_EQ(refresh.action.kind, ActionKind::refresh_chart);
    EXPECT_EQ(refresh.at, (std::vector<VirtualTime>{virtual_epoch + 10min}));
    EXPECT_EQ(refresh.source, file + ": $.workload[7]");
}

TEST(Scenario, OptionalFieldsTakeTheirDefaults) {
    const Scenario s = parse_scenario(minimal(), kFile);
    EXPECT_EQ(s.description, "");
    EXPECT_EQ(s.purge_interval, 0s);  // never purge
    EXPECT_EQ(s.engine, Json::object());
}

TEST(ScenarioErrors, SeedAndWarmupAreRequiredAsDocumented) {
    // A run must state its random arrivals and which samples it judges: no silent default.
    Json without_seed = minimal();
    without_seed.erase("seed");
    EXPECT_EQ(error_of(without_seed), std::string(kFile) + ": $.seed: missing; expected a non-negative integer");
    Json without_warmup = minimal();
    without_warmup.erase("warmup");
    EXPECT_EQ(error_of(without_warmup),
              std::string(kFile) +
                  ": $.warmup: missing; expected a duration such as \"1h\" (\"0s\" judges every sample)");
}

TEST(ScenarioErrors, InvalidJsonNamesLineAndColumn) {
    EXPECT_EQ(load_error_of(kDataDir + "/invalid_json_scenario.json"),
              kDataDir +
                  "/invalid_json_scenario.json:3:18: invalid JSON: syntax error while parsing object separator - "
                  "unexpected string literal; expected ':'");
    EXPECT_EQ(load_error_of(kDataDir + "/empty.json"),
              kDataDir +
                  "/empty.json:1:1: invalid JSON: syntax error while parsing value - unexpected end of input; expected "
                  "'[', '{', or a literal");
}

TEST(ScenarioErrors, ANumberBeyondADoubleIsInvalidJsonAtItsFirstDigit) {
    // nlohmann throws this as out_of_range, not parse_error, and without a position (found by fuzz_scenario).
    try {
        json_input::parse_text("{\"schema_version\": 1,\n \"seed\": -11e308}", "s.json");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "s.json:2:10: invalid JSON: number overflow parsing '-11e308'");
    }
}

TEST(ScenarioErrors, AtMostAHundredMillionEventsPerWorkloadItem) {
    // A message every millisecond for a day, 86.4 million, is allowed; ten times as many is not.
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "every": "1ms"})")), "no error");
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "every": "100us"})")),
              "scenarios/x.json: $.workload[0].every: expected at most 100000000 events of one workload item in a run "
              "(this makes 8.64e+08; a \"count\" or a shorter window also bounds it), got \"100us\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "rate": "1e18/s"})")),
              "scenarios/x.json: $.workload[0].rate: expected at most 100000000 events of one workload item in a run "
              "(this makes 8.64e+22; a \"count\" or a shorter window also bounds it), got \"1e18/s\"");
    // A count or a window bounds it.
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "every": "100us", "count": 1000})")), "no error");
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "rate": "10000/s", "until": "1h"})")), "no error");
}

TEST(ScenarioErrors, AFieldGivenTwiceIsNamedByItsPath) {
    // nlohmann would keep the last in silence.
    const auto error = [](const std::string& text) {
        try {
            json_input::parse_text(text, "s.json");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(error(R"({"name": "a", "name": "b"})"), "s.json: $.name: a field given twice; expected each field once");
    EXPECT_EQ(error(
                  R"({"workload": [{"every": "1h"}, [1, {"x": 1}], {"action": "log", "every": "1m", "every": "2m"}]})"),
              "s.json: $.workload[2].every: a field given twice; expected each field once");
    EXPECT_EQ(error(R"({"a": {"x": 1}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 2}]})"), "no error");
}

TEST(ScenarioErrors, AMissingFileIsNamed) {
    EXPECT_EQ(load_error_of(kDataDir + "/no_such_scenario.json"),
              kDataDir + "/no_such_scenario.json: cannot open file: No such file or directory");
}

TEST(ScenarioErrors, TheDocumentMustBeAnObjectOfKnownFields) {
    EXPECT_EQ(error_of(Json::array({1, 2})), "scenarios/x.json: $: expected a scenario object, got [1,2]");
    Json document = minimal();
    document["durration"] = "1h";
    EXPECT_EQ(error_of(document),
              "scenarios/x.json: $.durration: unknown field; expected one of schema_version, name, description, "
              "duration, seed, sample_interval, warmup, purge_interval, engine, workload, budgets");
}

TEST(ScenarioErrors, SchemaVersionMustBeOne) {
    Json document = minimal();
    document.erase("schema_version");
    EXPECT_EQ(error_of(document),
              "scenarios/x.json: $.schema_version: missing; expected 1 (the only schema version this memsoak reads)");
    document["schema_version"] = 2;
    EXPECT_EQ(error_of(document),
              "scenarios/x.json: $.schema_version: expected 1 (the only schema version this memsoak reads), got 2");
}

TEST(ScenarioErrors, NameMustBeUsableAsAFileName) {
    Json document = minimal();
    document["name"] = "Production Day";
    EXPECT_EQ(error_of(document),
              "scenarios/x.json: $.name: expected a name of lowercase letters, digits, '-' and '_' (it names output "
              "files), got \"Production Day\"");
    document.erase("name");
    EXPECT_EQ(error_of(document),
              "scenarios/x.json: $.name: missing; expected a name of lowercase letters, digits, '-' and '_' (it "
              "names output files)");
}

TEST(ScenarioErrors, WrongTypesAreNamed) {
    Json document = minimal();
    document["description"] = 5;
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.description: expected a string, got 5");
    document = minimal();
    document["seed"] = -3;
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.seed: expected a non-negative integer, got -3");
    document = minimal();
    document["duration"] = 86400;
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.duration: expected a duration such as \"24h\", got 86400");
}

TEST(ScenarioErrors, DurationsMustBePositiveAndFitTheRun) {
    Json document = minimal();
    document["duration"] = "0s";
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.duration: expected a positive duration, got \"0s\"");
    document = minimal();
    document["sample_interval"] = "48h";
    EXPECT_EQ(error_of(document),
              "scenarios/x.json: $.sample_interval: expected at most the scenario's duration (1d), got \"48h\"");
    document = minimal();
    document["warmup"] = "24h";
    EXPECT_EQ(error_of(document),
              "scenarios/x.json: $.warmup: expected less than the scenario's duration (1d), got \"24h\"");
    document = minimal();
    document["purge_interval"] = "0s";
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.purge_interval: expected a positive duration, got \"0s\"");
}

TEST(ScenarioErrors, EngineSettingsAreValidatedOnLoading) {
    Json document = minimal();
    document["engine"] = Json::parse(R"({"chart_width": "wide"})");
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.engine.chart_width: expected an integer >= 100, got \"wide\"");
}

TEST(ScenarioErrors, WorkloadMustBeANonEmptyArrayOfItems) {
    Json document = minimal();
    document["workload"] = Json::array();
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.workload: expected a non-empty array of workload items, got []");
    EXPECT_EQ(error_of(with_item("3")),
              "scenarios/x.json: $.workload[0]: expected a workload item (an object with an \"action\"), got 3");
}

TEST(ScenarioErrors, AMisspeltItemFieldIsReported) {
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "evry": "1m"})")),
              "scenarios/x.json: $.workload[0].evry: unknown field; expected one of action, indicator, every, offset, "
              "at, rate, from, until, count, for");
}

TEST(ScenarioErrors, ActionMustBeAFileAction) {
    EXPECT_EQ(error_of(with_item(R"({"every": "1m"})")),
              "scenarios/x.json: $.workload[0].action: missing; expected one of tick, analyze, refresh_chart, "
              "toggle_indicator, trade, log, gui_pump, gui_freeze");
    EXPECT_EQ(error_of(with_item(R"({"action": "trad", "every": "1m"})")),
              "scenarios/x.json: $.workload[0].action: expected one of tick, analyze, refresh_chart, "
              "toggle_indicator, trade, log, gui_pump, gui_freeze, got \"trad\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "gui_thaw", "at": ["1h"]})")),
              "scenarios/x.json: $.workload[0].action: expected gui_freeze with \"for\" (the freeze schedules its own "
              "thaw), got \"gui_thaw\"");
}

TEST(ScenarioErrors, IndicatorGoesWithToggleIndicatorOnly) {
    EXPECT_EQ(error_of(with_item(R"({"action": "toggle_indicator", "every": "2m"})")),
              "scenarios/x.json: $.workload[0].indicator: missing; expected the indicator to toggle, such as \"rsi\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "toggle_indicator", "indicator": "", "every": "2m"})")),
              "scenarios/x.json: $.workload[0].indicator: expected the indicator to toggle, such as \"rsi\", got \"\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "indicator": "rsi", "every": "1m"})")),
              "scenarios/x.json: $.workload[0].indicator: expected no indicator for action tick (only "
              "toggle_indicator takes one), got \"rsi\"");
}

TEST(ScenarioErrors, ExactlyOneTiming) {
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "1m", "at": ["1h"]})")),
              "scenarios/x.json: $.workload[0]: expected exactly one of \"every\", \"at\" or \"rate\", got "
              "{\"action\":\"tick\",\"at\":[\"1h\"],\"every\":\"1m\"}");
    EXPECT_EQ(error_of(with_item(R"({"action": "tick"})")),
              "scenarios/x.json: $.workload[0]: expected exactly one of \"every\", \"at\" or \"rate\", got "
              "{\"action\":\"tick\"}");
}

TEST(ScenarioErrors, EveryMustBeAPositiveDuration) {
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "fast"})")),
              "scenarios/x.json: $.workload[0].every: expected a duration such as \"15m\", got \"fast\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "0s"})")),
              "scenarios/x.json: $.workload[0].every: expected a positive duration, got \"0s\"");
}

TEST(ScenarioErrors, WindowsMustLieInTheRun) {
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "1m", "from": "30h"})")),
              "scenarios/x.json: $.workload[0].from: expected a time before the end of the run (1d), got \"30h\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "1m", "from": "2h", "until": "1h"})")),
              "scenarios/x.json: $.workload[0].until: expected a time after from (2h) and no later than the end of the "
              "run (1d), got \"1h\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "1m", "until": "25h"})")),
              "scenarios/x.json: $.workload[0].until: expected a time after from (0s) and no later than the end of the "
              "run (1d), got \"25h\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "1h", "from": "20h", "offset": "4h"})")),
              "scenarios/x.json: $.workload[0].offset: expected from + offset before the end of the run (1d), got "
              "\"4h\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "refresh_chart", "at": ["10m", "24h"]})")),
              "scenarios/x.json: $.workload[0].at[1]: expected a time before the end of the run (1d), got \"24h\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "refresh_chart", "at": "10m"})")),
              "scenarios/x.json: $.workload[0].at: expected a non-empty array of times such as [\"2h\", \"6h\"], got "
              "\"10m\"");
}

TEST(ScenarioErrors, WindowFieldsGoWithTheirTimings) {
    EXPECT_EQ(error_of(with_item(R"({"action": "refresh_chart", "at": ["1h"], "from": "30m"})")),
              "scenarios/x.json: $.workload[0].from: expected no window or count with \"at\", got \"30m\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "rate": "1/s", "offset": "5s"})")),
              "scenarios/x.json: $.workload[0].offset: expected \"offset\" only with \"every\", got \"5s\"");
}

TEST(ScenarioErrors, CountMustBeAtLeastOne) {
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "1m", "count": 0})")),
              "scenarios/x.json: $.workload[0].count: expected an integer >= 1, got 0");
    EXPECT_EQ(error_of(with_item(R"({"action": "tick", "every": "1m", "count": 2.5})")),
              "scenarios/x.json: $.workload[0].count: expected an integer >= 1, got 2.5");
}

TEST(ScenarioErrors, RateMustBeAPositiveRate) {
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "rate": "often"})")),
              "scenarios/x.json: $.workload[0].rate: expected a rate such as \"10/s\", \"4/h\" or \"1/15m\" (events "
              "per period), got \"often\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "rate": "0/s"})")),
              "scenarios/x.json: $.workload[0].rate: expected a positive rate, got \"0/s\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "log", "rate": 10})")),
              "scenarios/x.json: $.workload[0].rate: expected a rate such as \"10/s\" (a string), got 10");
}

TEST(ScenarioErrors, GuiFreezeNeedsForAndOnlyIt) {
    EXPECT_EQ(error_of(with_item(R"({"action": "gui_freeze", "at": ["2h"]})")),
              "scenarios/x.json: $.workload[0].for: missing; expected how long each freeze lasts, such as \"30m\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "gui_pump", "every": "1s", "for": "30m"})")),
              "scenarios/x.json: $.workload[0].for: expected no \"for\" for action gui_pump (only gui_freeze takes "
              "one), got \"30m\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "gui_freeze", "at": ["2h"], "for": "0s"})")),
              "scenarios/x.json: $.workload[0].for: expected a positive duration, got \"0s\"");
}

TEST(ScenarioErrors, FreezesMustNotOverlap) {
    EXPECT_EQ(error_of(with_item(R"({"action": "gui_freeze", "at": ["6h", "2h", "3h"], "for": "1h"})")),
              "scenarios/x.json: $.workload[0].for: expected less than the 1h between the freezes at 2h and 3h, got "
              "\"1h\"");
    EXPECT_EQ(error_of(with_item(R"({"action": "gui_freeze", "every": "1h", "for": "2h"})")),
              "scenarios/x.json: $.workload[0].for: expected less than \"every\" (1h), so that each freeze ends "
              "before the next, got \"2h\"");
}

TEST(ScenarioErrors, BudgetsMustBeUniqueNames) {
    Json document = minimal();
    document["budgets"] = Json::array();
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.budgets: expected a non-empty array of budget names, got []");
    document["budgets"] = Json::parse(R"(["issue-1", 7])");
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.budgets[1]: expected a budget name (a non-empty string), got 7");
    document["budgets"] = Json::parse(R"(["issue-1", "process", "issue-1"])");
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.budgets[2]: expected each budget named once, got \"issue-1\"");
    document.erase("budgets");
    EXPECT_EQ(error_of(document), "scenarios/x.json: $.budgets: missing; expected a non-empty array of budget names");
}

}  // namespace
}  // namespace memsoak::harness
