// The engine's settings as a scenario's "engine" object gives them (engine/config.hpp): a file with every field,
// the defaults, and each refusal with its exact message. The injected leaks' own errors are in
// test_leak_injector.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "memsoak/engine/config.hpp"
#include "memsoak/engine/error.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::message_of;

// Where the settings come from, as the scenario reader names it.
const std::string kWhere = "s.json: $.engine";

Config read(const std::string& text) { return config_from_json(Json::parse(text), "s.json"); }

std::string config_error(const std::string& text) {
    return message_of<Error>([&] { read(text); });
}

// The messages' shapes, each written once: a change of wording is a change here.
std::string expected(const std::string& field, const std::string& what, const std::string& got) {
    return kWhere + "." + field + ": expected " + what + ", got " + got;
}
std::string at_field(const std::string& field, const std::string& message) {
    return kWhere + "." + field + ": " + message;
}
std::string at_settings(const std::string& message) { return kWhere + ": " + message; }

const std::string kDurationForms = "a duration such as \"1m\"";

TEST(EngineConfig, ReadsEveryField) {
    const Config c = read(R"({
        "symbol": "ETHUSDT", "candle_interval": "1h", "analysis_period": "3d", "seed": 7,
        "replay_csv": "data/ETHUSDT_1h.csv", "start_price": 2500.5, "start_timestamp": 1700000000,
        "chart_width": 640, "chart_height": 8192, "chart_indicators": ["vwap", "rsi"],
        "status_policy": "bounded-history", "status_history_limit": 20, "chart_policy": "leaky",
        "transaction_policy": "archive", "transaction_ring_capacity": 50, "archive_threshold": 40,
        "archive_keep": 0, "archive_path": "/tmp/trades.archive", "log_queue_policy": "leaky",
        "log_queue_capacity": 5, "gui_drain_rate": 2.5, "log_pane_lines": 9, "signal_policy": "leaky",
        "signal_capacity": 3, "capital": 5000, "risk_per_trade": 1, "saturate": true,
        "inject": [{"action": "log", "shape": "per_call", "bytes": 64}]
    })");
    EXPECT_EQ(c.symbol, "ETHUSDT");
    EXPECT_EQ(c.candle_interval, 1h);
    EXPECT_EQ(c.analysis_period, 72h);
    EXPECT_EQ(c.frame_rows(), 72u);
    EXPECT_EQ(c.seed, 7u);
    EXPECT_EQ(c.replay_csv, "data/ETHUSDT_1h.csv");
    EXPECT_EQ(c.start_price, 2500.5);
    EXPECT_EQ(c.start_timestamp, 1700000000);
    EXPECT_EQ(c.chart_width, 640);
    EXPECT_EQ(c.chart_height, 8192);
    EXPECT_EQ(c.chart_indicators, (std::vector<std::string>{"vwap", "rsi"}));
    EXPECT_EQ(c.status_policy, StatusPolicy::bounded_history);
    EXPECT_EQ(c.status_history_limit, 20u);
    EXPECT_EQ(c.chart_policy, ChartPolicy::leaky);
    EXPECT_EQ(c.transaction_policy, TransactionPolicy::archive);
    EXPECT_EQ(c.transaction_ring_capacity, 50u);
    EXPECT_EQ(c.archive_threshold, 40u);
    EXPECT_EQ(c.archive_keep, 0u);
    EXPECT_EQ(c.archive_path, "/tmp/trades.archive");
    EXPECT_EQ(c.log_queue_policy, LogQueuePolicy::leaky);
    EXPECT_EQ(c.log_queue_capacity, 5u);
    EXPECT_EQ(c.gui_drain_rate, 2.5);
    EXPECT_EQ(c.log_pane_lines, 9u);
    EXPECT_EQ(c.signal_policy, SignalPolicy::leaky);
    EXPECT_EQ(c.signal_capacity, 3u);
    EXPECT_EQ(c.capital, 5000.0);
    EXPECT_EQ(c.risk_per_trade, 1.0);
    EXPECT_TRUE(c.saturate);
    ASSERT_EQ(c.injected_leaks.size(), 1u);
    EXPECT_EQ(c.injected_leaks[0].bytes, 64u);
}

TEST(EngineConfig, AnEmptyObjectKeepsTheDefaults) { EXPECT_EQ(to_json(read("{}")), to_json(Config{})); }

TEST(EngineConfig, WhatToJsonWritesReadsBackTheSame) {
    const Config c = read(R"({"symbol": "X", "candle_interval": "15m", "analysis_period": "1d", "replay_csv": "a.csv",
                              "transaction_policy": "archive", "archive_path": "t.archive", "saturate": true,
                              "inject": [{"action": "tick", "shape": "bounded", "bytes": 8, "capacity": 64,
                                          "until": "2h"}]})");
    EXPECT_EQ(to_json(config_from_json(to_json(c), kWhere)), to_json(c));
}

TEST(EngineConfig, RefusesWhatIsNotAnObjectAndUnknownSettings) {
    EXPECT_EQ(config_error("[1]"), at_settings("expected an object of engine settings, got [1]"));
    EXPECT_EQ(config_error(R"({"colour": "red"})"),
              at_field("colour",
                       "unknown field; expected one of analysis_period, archive_keep, "
                       "archive_path, archive_threshold, candle_interval, capital, chart_height, "
                       "chart_indicators, chart_policy, chart_width, gui_drain_rate, inject, "
                       "log_pane_lines, log_queue_capacity, log_queue_policy, replay_csv, risk_per_trade, "
                       "saturate, seed, signal_capacity, signal_policy, start_price, start_timestamp, "
                       "status_history_limit, status_policy, symbol, transaction_policy, "
                       "transaction_ring_capacity"));
}

TEST(EngineConfig, RefusesStringsThatAreEmptyOrNotStrings) {
    EXPECT_EQ(config_error(R"({"symbol": ""})"), expected("symbol", "a non-empty string", "\"\""));
    EXPECT_EQ(config_error(R"({"replay_csv": 3})"), expected("replay_csv", "a non-empty string", "3"));
    EXPECT_EQ(config_error(R"({"archive_path": null})"), expected("archive_path", "a non-empty string", "null"));
}

TEST(EngineConfig, RefusesDurationsThatAreNotPositiveDurations) {
    EXPECT_EQ(config_error(R"({"candle_interval": 60})"), expected("candle_interval", kDurationForms, "60"));
    // The place is written once (it was written twice before the one JSON toolkit).
    EXPECT_EQ(config_error(R"({"candle_interval": "0s"})"),
              expected("candle_interval", "a positive duration", "\"0s\""));
    EXPECT_EQ(config_error(R"({"analysis_period": "a week"})"),
              expected("analysis_period", kDurationForms, "\"a week\""));
}

TEST(EngineConfig, RefusesNumbersOutOfTheirRange) {
    EXPECT_EQ(config_error(R"({"seed": -1})"), expected("seed", "a non-negative integer", "-1"));
    EXPECT_EQ(config_error(R"({"seed": 1.5})"), expected("seed", "a non-negative integer", "1.5"));
    EXPECT_EQ(config_error(R"({"start_price": 0})"), expected("start_price", "a positive number", "0"));
    EXPECT_EQ(config_error(R"({"capital": "lots"})"), expected("capital", "a positive number", "\"lots\""));
    EXPECT_EQ(config_error(R"({"gui_drain_rate": -2})"), expected("gui_drain_rate", "a positive number", "-2"));
    EXPECT_EQ(config_error(R"({"risk_per_trade": 1.5})"), expected("risk_per_trade", "a fraction in (0, 1]", "1.5"));
    EXPECT_EQ(config_error(R"({"start_timestamp": "now"})"),
              expected("start_timestamp", "an integer (Unix seconds)", "\"now\""));
    EXPECT_EQ(config_error(R"({"start_timestamp": 7258118400})"),
              expected("start_timestamp", "Unix seconds within the years 1970 to 2199", "7258118400"));
    EXPECT_EQ(config_error(R"({"start_timestamp": -1})"),
              expected("start_timestamp", "Unix seconds within the years 1970 to 2199", "-1"));
}

TEST(EngineConfig, RefusesCountsBelowTheirMinimum) {
    EXPECT_EQ(config_error(R"({"status_history_limit": 0})"), expected("status_history_limit", "an integer >= 1", "0"));
    EXPECT_EQ(config_error(R"({"transaction_ring_capacity": 2.5})"),
              expected("transaction_ring_capacity", "an integer >= 1", "2.5"));
    EXPECT_EQ(config_error(R"({"archive_threshold": 0})"), expected("archive_threshold", "an integer >= 1", "0"));
    EXPECT_EQ(config_error(R"({"archive_keep": -1})"), expected("archive_keep", "an integer >= 0", "-1"));
    EXPECT_EQ(config_error(R"({"log_queue_capacity": "5"})"),
              expected("log_queue_capacity", "an integer >= 1", "\"5\""));
    EXPECT_EQ(config_error(R"({"log_pane_lines": 0})"), expected("log_pane_lines", "an integer >= 1", "0"));
    EXPECT_EQ(config_error(R"({"signal_capacity": 0})"), expected("signal_capacity", "an integer >= 1", "0"));
}

TEST(EngineConfig, RefusesChartSizesOutsideOneHundredTo8192Pixels) {
    EXPECT_EQ(config_error(R"({"chart_width": 99})"), expected("chart_width", "an integer >= 100", "99"));
    EXPECT_EQ(config_error(R"({"chart_height": 8193})"), expected("chart_height", "at most 8192 pixels", "8193"));
    // Checked before narrowing to int: 2^32 + 500 is not 500.
    EXPECT_EQ(config_error(R"({"chart_width": 4294967796})"),
              expected("chart_width", "at most 8192 pixels", "4294967796"));
}

TEST(EngineConfig, RefusesUnknownIndicators) {
    EXPECT_EQ(config_error(R"({"chart_indicators": "sma_20"})"),
              expected("chart_indicators", "an array of indicator names", "\"sma_20\""));
    const std::string message = config_error(R"({"chart_indicators": ["sma_20", "nope"]})");
    EXPECT_TRUE(message.starts_with(kWhere + ".chart_indicators[1]: expected an indicator name: one of ")) << message;
    EXPECT_TRUE(message.ends_with(", got \"nope\"")) << message;
    EXPECT_EQ(config_error(R"({"chart_indicators": [""]})"),
              expected("chart_indicators[0]", "a non-empty string", "\"\""));
}

TEST(EngineConfig, RefusesUnknownPolicies) {
    EXPECT_EQ(config_error(R"({"status_policy": 1})"), expected("status_policy", "a policy name", "1"));
    EXPECT_EQ(config_error(R"({"status_policy": "forget"})"),
              at_field("status_policy",
                       "unknown status display (issue-1) policy \"forget\": expected one of "
                       "\"leaky\", \"drop-frame\", \"summary\", \"bounded-history\""));
    EXPECT_EQ(config_error(R"({"chart_policy": "x"})"),
              at_field("chart_policy",
                       "unknown chart (issue-2) policy \"x\": expected one of \"leaky\", "
                       "\"close-before-redraw\""));
    EXPECT_EQ(config_error(R"({"transaction_policy": "x"})"),
              at_field("transaction_policy",
                       "unknown transaction history (issue-3) policy \"x\": expected one of "
                       "\"leaky\", \"ring-buffer\", \"archive\""));
    EXPECT_EQ(config_error(R"({"log_queue_policy": "x"})"),
              at_field("log_queue_policy",
                       "unknown log queue (issue-4) policy \"x\": expected one of \"leaky\", "
                       "\"bounded\""));
    EXPECT_EQ(config_error(R"({"signal_policy": "x"})"),
              at_field("signal_policy",
                       "unknown signal history (issue-5) policy \"x\": expected one of \"leaky\", "
                       "\"capped\""));
}

TEST(EngineConfig, RefusesOtherTypes) {
    EXPECT_EQ(config_error(R"({"saturate": "yes"})"), expected("saturate", "true or false", "\"yes\""));
    EXPECT_EQ(config_error(R"({"inject": {}})"), expected("inject", "an array of injected leaks", "{}"));
}

TEST(EngineConfig, RefusesSettingsThatContradictEachOther) {
    EXPECT_EQ(config_error(R"({"candle_interval": "1h", "analysis_period": "1h"})"),
              at_field("analysis_period", "expected at least 2 candles of candle_interval"));
    EXPECT_EQ(config_error(R"({"candle_interval": "1s", "analysis_period": "2w"})"),
              expected("analysis_period", "at most 1000000 candles of candle_interval", "1209600"));
    EXPECT_EQ(config_error(R"({"transaction_policy": "archive"})"),
              at_field("archive_path", "missing; expected a file name (required by transaction_policy \"archive\")"));
    EXPECT_EQ(config_error(R"({"archive_threshold": 10, "archive_keep": 10})"),
              at_field("archive_keep", "expected fewer than archive_threshold (10), got 10"));
}

}  // namespace
}  // namespace memsoak::engine
