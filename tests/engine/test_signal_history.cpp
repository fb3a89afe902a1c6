#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/market_data.hpp"
#include "memsoak/engine/signal_history.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

// A signal every 15 minutes, made as the application makes it: from an analysis's readings and reasons.
SignalRecord make_signal(int i) {
    Analysis analysis;
    analysis.timestamp = 1609459200 + i * 900;
    analysis.action = i % 3 == 0 ? TradeAction::sell : TradeAction::buy;
    analysis.confidence = 0.71;
    analysis.last_price = 29123.45 + i;
    analysis.signals.reasons = {fmt::format("RSI {:.1f} < 30: oversold", 28.1), "MACD crossed above signal"};
    for (const char* name :
         {"close", "sma_20", "sma_50", "sma_200", "ema_12", "ema_26", "macd", "macd_signal", "macd_hist", "rsi_14",
          "bb_upper", "bb_middle", "bb_lower", "stoch_k", "stoch_d", "atr_14", "volatility_20", "vwap"}) {
        analysis.signals.readings.emplace_back(name, 29000.0 + i);
    }
    return make_signal_record(analysis);
}

TEST(SignalHistory, ASignalRetainsAboutOneKilobyte) {
    SignalRecord s = make_signal(0);
    std::uint64_t retained = sizeof(SignalRecord) + heap_bytes(s);
    EXPECT_GE(retained, 800u);
    EXPECT_LE(retained, 1200u);
    // Copied vectors hold exactly their elements: 2 reason strings of 23 and 25 characters, and 18 readings whose
    // names fit the small-string buffer.
    EXPECT_EQ(heap_bytes(s), 2 * sizeof(std::string) + 23 + 1 + 25 + 1 + 18 * sizeof(std::pair<std::string, double>));
}

TEST(SignalHistory, CappedKeepsTheLastCapacityExactly) {
    SignalHistory history(SignalPolicy::capped, 500, 5);  // the study's 500; few visible rows keep the test quick
    for (int i = 0; i < 5000; ++i) history.add(make_signal(i));
    EXPECT_EQ(history.size(), 500u);
    EXPECT_EQ(history.footprint().items, 500u);
    EXPECT_EQ(history[0].timestamp, make_signal(4500).timestamp);
    EXPECT_EQ(history[499].timestamp, make_signal(4999).timestamp);
    EXPECT_EQ(history.total_added(), 5000u);
}

TEST(SignalHistory, LeakyGrowsWhileCappedStaysBounded) {
    // Five visible rows: the display is the same for both and refreshes on every add.
    SignalHistory leaky(SignalPolicy::leaky, 200, 5);
    SignalHistory capped(SignalPolicy::capped, 200, 5);
    std::uint64_t capped_when_full = 0;
    for (int i = 0; i < 5000; ++i) {
        leaky.add(make_signal(i));
        capped.add(make_signal(i));
        if (i == 199) capped_when_full = capped.footprint().bytes;
    }
    ComponentFootprint grown = leaky.footprint();
    ComponentFootprint bounded = capped.footprint();
    EXPECT_EQ(grown.component, "signals");
    EXPECT_EQ(grown.issue, "issue-5");
    EXPECT_EQ(grown.items, 5000u);
    EXPECT_EQ(bounded.items, 200u);
    EXPECT_EQ(bounded.bytes, capped_when_full);
    EXPECT_GT(grown.bytes, 10 * bounded.bytes);
    EXPECT_GT(grown.bytes, 5000u * 900u);  // the study's ~1 KB per signal
}

TEST(SignalHistory, DisplaysTheNewestRowsFirst) {
    SignalHistory history(SignalPolicy::capped, 500, 50);
    history.add(make_signal(0));
    ASSERT_EQ(history.visible_row_count(), 1u);
    EXPECT_EQ(history.row(0),
              "2021-01-01 00:00  sell  0.71    29123.45  RSI 28.1 < 30: oversold; MACD crossed above signal");
    for (int i = 1; i < 120; ++i) history.add(make_signal(i));
    ASSERT_EQ(history.visible_row_count(), 50u);
    EXPECT_EQ(history.row(0),
              "2021-01-02 05:45  buy   0.71    29242.45  RSI 28.1 < 30: oversold; MACD crossed above signal");
    EXPECT_EQ(history.row(49).substr(0, 16), "2021-01-01 17:30");  // signal 70
}

TEST(SignalHistory, RecordFromAnAnalysisCopiesWhatTheWidgetShows) {
    Analysis analysis;
    analysis.action = TradeAction::buy;
    analysis.confidence = 0.857;
    analysis.timestamp = 1609459200;
    analysis.last_price = 29001.5;
    analysis.signals.readings = {{"rsi_14", 27.5}, {"macd", 12.25}};
    analysis.signals.reasons = {"RSI 27.5 < 30: oversold"};
    SignalRecord s = make_signal_record(analysis);
    EXPECT_EQ(s.timestamp, 1609459200);
    EXPECT_EQ(s.action, TradeAction::buy);
    EXPECT_EQ(s.confidence, 0.857);
    EXPECT_EQ(s.price, 29001.5);
    EXPECT_EQ(s.reasons, analysis.signals.reasons);
    EXPECT_EQ(s.readings, analysis.signals.readings);
}

TEST(SignalHistory, RejectsZeroCapacity) {
    testing::expect_error<Error>([&] { SignalHistory history(SignalPolicy::capped, 0); },
                                 "signal history: capacity must be at least 1, got 0");
}

}  // namespace
}  // namespace memsoak::engine
