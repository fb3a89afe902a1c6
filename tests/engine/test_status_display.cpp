#include <gtest/gtest.h>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "memsoak/engine/analyzer.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/engine/market_data.hpp"
#include "memsoak/engine/status_display.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

constexpr std::size_t kFrameRows = 2000;

// A frame of OHLCV columns: 2000 rows, about 100 KB.
std::shared_ptr<const PriceFrame> make_frame(double base_price) {
    std::vector<std::int64_t> times(kFrameRows);
    std::iota(times.begin(), times.end(), std::int64_t{1609459200});
    auto frame = std::make_shared<PriceFrame>(std::move(times));
    for (const char* name : {"open", "high", "low", "close", "volume"}) {
        std::span<double> column = frame->add_column(name);
        for (std::size_t row = 0; row < column.size(); ++row) column[row] = base_price + static_cast<double>(row);
    }
    return frame;
}

// 18 readings whose names fit the small-string buffer, and three reasons of 24, 25 and 33 characters.
constexpr std::uint64_t kSignalsHeapBytes =
    18 * sizeof(std::pair<std::string, double>) + 3 * sizeof(std::string) + (24 + 1) + (25 + 1) + (33 + 1);

Analysis make_analysis(int i, std::shared_ptr<const PriceFrame> frame) {
    Analysis a;
    a.action = i % 2 ? TradeAction::sell : TradeAction::buy;
    a.confidence = 0.5 + i / 100.0;
    a.price_data = std::move(frame);
    for (const char* name :
         {"close", "sma_20", "sma_50", "sma_200", "ema_12", "ema_26", "macd", "macd_signal", "macd_hist", "rsi_14",
          "bb_upper", "bb_middle", "bb_lower", "stoch_k", "stoch_d", "atr_14", "volatility_20", "vwap"}) {
        a.signals.readings.emplace_back(name, 100.0 + i);
    }
    a.signals.reasons = {"RSI 28.1 < 30: oversold", "MACD crossed above signal", "Stochastic %K 12.0 < 20: oversold"};
    a.signals.reasons[0] += "!";  // 24 characters
    a.signals.score = 3;
    a.risk_metrics.atr = 42.5 + i;
    a.risk_metrics.suggested_stop_loss = 28600.0 - i;
    a.timestamp = 1609459200 + i * 900;
    a.last_price = 28712.4 + i;
    return a;
}

struct Shown {
    std::vector<std::shared_ptr<const PriceFrame>> frames;
    ComponentFootprint footprint;
};

// Shows `count` analyses, each with a frame of its own, and returns the frames (held here too) and the footprint.
Shown show_analyses(StatusDisplay& display, int count) {
    Shown shown;
    for (int i = 0; i < count; ++i) {
        shown.frames.push_back(make_frame(1000.0 * i));
        display.update(make_analysis(i, shown.frames.back()), 1609459200 + i * 900 + 5);
    }
    shown.footprint = display.footprint();
    return shown;
}

TEST(StatusDisplay, LeakyKeepsEveryFrameAlive) {
    StatusDisplay display(StatusPolicy::leaky);
    Shown shown = show_analyses(display, 20);
    for (const auto& frame : shown.frames) EXPECT_EQ(frame.use_count(), 2);  // here and in the display
    EXPECT_EQ(display.frames_kept(), 20u);
    EXPECT_EQ(shown.footprint.component, "status_display");
    EXPECT_EQ(shown.footprint.issue, "issue-1");
    EXPECT_EQ(shown.footprint.items, 20u);
    EXPECT_GE(shown.footprint.bytes, 20 * shown.frames[0]->retained_bytes());
}

TEST(StatusDisplay, EveryFixReleasesTheFrames) {
    struct Case {
        StatusPolicy policy;
        std::uint64_t items;
    };
    StatusDisplay leaky(StatusPolicy::leaky);
    std::uint64_t leaky_bytes = show_analyses(leaky, 20).footprint.bytes;
    for (Case c :
         {Case{StatusPolicy::drop_frame, 1}, Case{StatusPolicy::summary, 1}, Case{StatusPolicy::bounded_history, 10}}) {
        StatusDisplay display(c.policy, 10);
        Shown shown = show_analyses(display, 20);
        for (const auto& frame : shown.frames) EXPECT_EQ(frame.use_count(), 1) << to_string(c.policy);
        EXPECT_EQ(display.frames_kept(), 0u) << to_string(c.policy);
        EXPECT_EQ(shown.footprint.items, c.items) << to_string(c.policy);
        EXPECT_GT(leaky_bytes, 10 * shown.footprint.bytes) << to_string(c.policy);
    }
}

TEST(StatusDisplay, FixedFootprintsAreExactAndStopGrowing) {
    StatusDisplay summary(StatusPolicy::summary);
    EXPECT_EQ(show_analyses(summary, 1).footprint.bytes, sizeof(StatusSummary) + kSignalsHeapBytes);
    EXPECT_EQ(show_analyses(summary, 50).footprint.bytes, sizeof(StatusSummary) + kSignalsHeapBytes);

    StatusDisplay bounded(StatusPolicy::bounded_history, 10);
    std::uint64_t at_limit = show_analyses(bounded, 10).footprint.bytes;
    EXPECT_EQ(show_analyses(bounded, 40).footprint.bytes, at_limit);
    EXPECT_EQ(bounded.analyses_kept(), 10u);
}

TEST(StatusDisplay, AFrameSharedByTwoKeptAnalysesCountsOnce) {
    StatusDisplay display(StatusPolicy::leaky);
    auto frame = make_frame(0);
    display.update(make_analysis(0, frame), 100);
    std::uint64_t once = display.footprint().bytes;
    display.update(make_analysis(1, frame), 200);
    EXPECT_EQ(display.frames_kept(), 1u);
    EXPECT_EQ(frame.use_count(), 3);
    // The second analysis adds its signals (its slot was already allocated), not a second frame.
    EXPECT_EQ(display.footprint().bytes - once, kSignalsHeapBytes);
}

TEST(StatusDisplay, EveryPolicyShowsTheLatestAnalysis) {
    for (StatusPolicy policy :
         {StatusPolicy::leaky, StatusPolicy::drop_frame, StatusPolicy::summary, StatusPolicy::bounded_history}) {
        StatusDisplay display(policy, 3);
        show_analyses(display, 5);
        EXPECT_EQ(display.action(), TradeAction::buy) << to_string(policy);
        EXPECT_DOUBLE_EQ(display.confidence(), 0.54) << to_string(policy);
        EXPECT_DOUBLE_EQ(display.current_price(), 28716.4) << to_string(policy);
        EXPECT_EQ(display.signals().reasons[1], "MACD crossed above signal") << to_string(policy);
        EXPECT_DOUBLE_EQ(display.signals().readings[9].second, 104.0) << to_string(policy);
        EXPECT_DOUBLE_EQ(display.risk_metrics().atr, 46.5) << to_string(policy);
        EXPECT_EQ(display.updated_at(), 1609459200 + 4 * 900 + 5) << to_string(policy);
    }
}

TEST(StatusDisplay, RealAnalysesLeakTheirFramesUnlessFixed) {
    // One day of 1-minute candles per frame, re-analysed every 15 minutes for 3 hours.
    constexpr std::size_t kRows = 1440;
    SyntheticFeed feed(7, 60, 30000.0, 1609459200);
    std::vector<Candle> candles;
    for (std::size_t i = 0; i < kRows + 12 * 15; ++i) candles.push_back(feed.next());
    Analyzer analyzer(kRows);
    StatusDisplay leaky(StatusPolicy::leaky);
    StatusDisplay summary(StatusPolicy::summary);
    std::uint64_t frame_bytes = 0;
    for (std::size_t step = 0; step < 12; ++step) {
        Analysis analysis = analyzer.analyze(std::span(candles).subspan(step * 15, kRows));
        frame_bytes = analysis.price_data->retained_bytes();
        leaky.update(analysis, analysis.timestamp);
        summary.update(analysis, analysis.timestamp);
    }
    EXPECT_EQ(leaky.frames_kept(), 12u);
    EXPECT_GE(leaky.footprint().bytes, 12 * frame_bytes);
    EXPECT_LT(summary.footprint().bytes, frame_bytes / 10);
    EXPECT_EQ(summary.current_price(), candles[kRows + 11 * 15 - 1].close);
}

TEST(StatusDisplay, ErrorsNameTheProblem) {
    StatusDisplay display(StatusPolicy::summary);
    testing::expect_error<Error>([&] { display.action(); },
                                 "status display: nothing shown yet (update() has not been called)");
    testing::expect_error<Error>([&] { StatusDisplay bounded(StatusPolicy::bounded_history, 0); },
                                 "status display: history_limit must be at least 1, got 0");
}

}  // namespace
}  // namespace memsoak::engine
