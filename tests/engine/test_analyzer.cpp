#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "memsoak/engine/analyzer.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/engine/indicators.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

using testing::expect_error;

// Bars one minute apart closing at `closes`: each opens at the previous close (the first at its own close), and its
// high and low are its open and close, so in a trend the close is the window's extreme.
std::vector<Candle> candles_from_closes(const std::vector<double>& closes) {
    std::vector<Candle> candles;
    for (std::size_t i = 0; i < closes.size(); ++i) {
        const double open = i == 0 ? closes[0] : closes[i - 1];
        candles.push_back(Candle{1609459200 + static_cast<std::int64_t>(i) * 60, open, std::max(open, closes[i]),
                                 std::min(open, closes[i]), closes[i], 10});
    }
    return candles;
}

// `count` closes moving by `step` per bar from `first_close`.
std::vector<Candle> steady_candles(std::size_t count, double first_close, double step) {
    std::vector<double> closes(count);
    for (std::size_t i = 0; i < count; ++i) closes[i] = first_close + step * static_cast<double>(i);
    return candles_from_closes(closes);
}

TEST(Analyzer, TradeActionNames) {
    EXPECT_EQ("buy", to_string(TradeAction::buy));
    EXPECT_EQ("sell", to_string(TradeAction::sell));
    EXPECT_EQ("hold", to_string(TradeAction::hold));
}

TEST(Analyzer, UpTrendBuysOnTrendAndMomentumDespiteOverboughtOscillators) {
    // close = 100 + row, 300 rows: close 399, SMA20 399 - 9.5, SMA50 399 - 24.5, MACD 7 at its signal, RSI 100,
    // %K 100; the upper band 389.5 + 2 * 5.77 stays above the close. Votes: buy 2 + 2, sell 1 + 1.
    const std::vector<Candle> candles = steady_candles(300, 100, 1);
    const Analysis analysis = Analyzer(300).analyze(candles);
    EXPECT_EQ(TradeAction::buy, analysis.action);
    EXPECT_DOUBLE_EQ(2.0, analysis.signals.score);
    EXPECT_DOUBLE_EQ(4.0 / 7.0, analysis.confidence);
    EXPECT_EQ((std::vector<std::string>{"close 399.00 > SMA20 389.50 > SMA50 374.50: uptrend",
                                        "MACD 7.00 above zero and at/above signal: bullish momentum",
                                        "RSI 100.0 > 70: overbought", "Stochastic %K 100.0 > 80: overbought"}),
              analysis.signals.reasons);
    EXPECT_EQ(399.0, analysis.last_price);
    EXPECT_EQ(candles.back().timestamp, analysis.timestamp);
    EXPECT_EQ(399.0, analysis.signals.reading("close"));
    EXPECT_NEAR(100.0, analysis.signals.reading("rsi_14").value(), 1e-9);
    EXPECT_EQ(18u, analysis.signals.readings.size());
    EXPECT_FALSE(analysis.signals.reading("no_such_reading").has_value());
}

TEST(Analyzer, DownTrendSells) {
    const std::vector<Candle> candles = steady_candles(300, 400, -1);
    const Analysis analysis = Analyzer(300).analyze(candles);
    EXPECT_EQ(TradeAction::sell, analysis.action);
    EXPECT_DOUBLE_EQ(-2.0, analysis.signals.score);
    EXPECT_DOUBLE_EQ(4.0 / 7.0, analysis.confidence);
    EXPECT_EQ((std::vector<std::string>{"close 101.00 < SMA20 110.50 < SMA50 125.50: downtrend",
                                        "MACD -7.00 below zero and at/below signal: bearish momentum",
                                        "RSI 0.0 < 30: oversold", "Stochastic %K 0.0 < 20: oversold"}),
              analysis.signals.reasons);
    // A short position's stop sits above the price: 2 ATR of 1.
    EXPECT_NEAR(103.0, analysis.risk_metrics.suggested_stop_loss, 1e-9);
}

TEST(Analyzer, FlatMarketHoldsWithFullConfidence) {
    const Analysis analysis = Analyzer(100).analyze(steady_candles(100, 50, 0));
    EXPECT_EQ(TradeAction::hold, analysis.action);
    EXPECT_EQ(0.0, analysis.signals.score);
    EXPECT_EQ(1.0, analysis.confidence);
    EXPECT_TRUE(analysis.signals.reasons.empty());
}

TEST(Analyzer, ReportsAMacdCrossOnTheRowItHappens) {
    // An accelerating decline (300 - 0.005 i^2) keeps the MACD line below its signal; then a rally of +3 a bar turns
    // the histogram positive on some bar, and the reason must appear on exactly that bar.
    std::vector<double> closes;
    for (int i = 0; i < 200; ++i) closes.push_back(300 - 0.005 * i * i);
    const Analyzer analyzer(500);
    bool crossed = false;
    for (int bar = 0; bar < 30 && !crossed; ++bar) {
        closes.push_back(closes.back() + 3);
        const Analysis analysis = analyzer.analyze(candles_from_closes(closes));
        const std::span<const double> histogram = analysis.price_data->column("macd_hist");
        const std::size_t last = histogram.size() - 1;
        const bool reported = std::find(analysis.signals.reasons.begin(), analysis.signals.reasons.end(),
                                        "MACD crossed above signal") != analysis.signals.reasons.end();
        EXPECT_EQ(histogram[last - 1] < 0 && histogram[last] > 0, reported) << "bar " << bar;
        crossed = reported;
    }
    EXPECT_TRUE(crossed);
}

TEST(Analyzer, FrameHoldsTheLastRowsCandlesAndIsNewEveryCall) {
    const std::vector<Candle> candles = steady_candles(500, 100, 0.5);
    const Analyzer analyzer(300);
    Analysis first = analyzer.analyze(candles);
    ASSERT_NE(nullptr, first.price_data);
    EXPECT_EQ(300u, first.price_data->rows());
    EXPECT_EQ(candles[200].timestamp, first.price_data->time_index().front());
    EXPECT_EQ(5u + kIndicatorColumns.size(), first.price_data->column_count());
    EXPECT_EQ(100u, analyzer.analyze(std::span(candles).first(100)).price_data->rows());

    // Whoever keeps an Analysis keeps its frame: the study's issue #1.
    const std::weak_ptr<const PriceFrame> first_frame = first.price_data;
    const Analysis second = analyzer.analyze(candles);
    EXPECT_NE(first.price_data, second.price_data);
    EXPECT_FALSE(first_frame.expired());
    first = Analysis{};
    EXPECT_TRUE(first_frame.expired());
}

TEST(Analyzer, RiskMetricsByHand) {
    // Closes 100, 110, 99, 108.9 an hour apart: log returns a, b, a with a = ln 1.1, b = ln 0.9.
    PriceFrame frame(std::vector<std::int64_t>{0, 3600, 7200, 10800});
    const std::span<double> close = frame.add_column("close");
    const std::span<double> returns = frame.add_column("returns");
    const std::span<double> atr_column = frame.add_column("atr_14");
    const double prices[] = {100, 110, 99, 108.9};
    std::copy(std::begin(prices), std::end(prices), close.begin());
    log_returns(close, returns);
    atr_column[3] = 2.0;

    const double a = std::log(1.1), b = std::log(0.9);
    // Mean (2a + b) / 3; deviations (a-b)/3, -2(a-b)/3, (a-b)/3; sample variance (a-b)^2 * 6/9 / 2 = (a-b)^2 / 3.
    const double deviation = (a - b) / std::sqrt(3.0);
    const double bars_per_year = 365.0 * 24;
    const RiskMetrics risk = assess_risk(frame, TradeAction::buy, 0.01);
    EXPECT_NEAR(deviation * std::sqrt(bars_per_year), risk.volatility, 1e-9);
    EXPECT_NEAR((2 * a + b) / 3 / deviation * std::sqrt(bars_per_year), risk.sharpe, 1e-9);
    EXPECT_NEAR(0.1, risk.max_drawdown, 1e-12);  // 110 -> 99
    // 5th percentile of {b, a, a}: 10% of the way from b to a; VaR is that return as a loss fraction.
    EXPECT_NEAR(-std::expm1(b + 0.1 * (a - b)), risk.value_at_risk_95, 1e-12);
    EXPECT_EQ(2.0, risk.atr);
    EXPECT_NEAR(108.9 - 4.0, risk.suggested_stop_loss, 1e-12);
    // Losing 1% of capital over a 4 / 108.9 fall: 0.01 * 108.9 / 4 of capital.
    EXPECT_NEAR(0.27225, risk.position_size, 1e-12);
    EXPECT_NEAR(108.9 + 4.0, assess_risk(frame, TradeAction::sell, 0.01).suggested_stop_loss, 1e-12);
}

TEST(Analyzer, ProductionFrameIsTwoToFiveMegabytes) {
    // Production: 1-minute candles, a 7-day analysis period.
    constexpr std::size_t kRows = 7 * 24 * 60;
    SyntheticFeed feed(1, 60, 30000.0, 1609459200);
    std::vector<Candle> candles(kRows);
    for (Candle& candle : candles) candle = feed.next();
    const Analysis analysis = Analyzer(kRows).analyze(candles);
    ASSERT_EQ(kRows, analysis.price_data->rows());
    const std::uint64_t frame_bytes = analysis.price_data->retained_bytes();
    EXPECT_GE(frame_bytes, 2'000'000u);
    EXPECT_LE(frame_bytes, 5'000'000u);
    // Everything but the frame is small: dropping it (the study's fix) keeps well under 1% of the bytes.
    const std::uint64_t summary_bytes = retained_bytes(analysis, false);
    EXPECT_EQ(summary_bytes + frame_bytes, retained_bytes(analysis, true));
    EXPECT_LT(summary_bytes * 100, frame_bytes);
    EXPECT_GT(summary_bytes, sizeof(Analysis) + 18 * sizeof(std::pair<std::string, double>));
}

TEST(Analyzer, RejectsBadSettingsAndTooFewCandles) {
    expect_error<Error>([] { Analyzer(1); }, "analyzer: expected an analysis period of at least 2 rows, got 1");
    expect_error<Error>([] { Analyzer(10, 0.0); }, "analyzer: expected risk_per_trade in (0, 1], got 0");
    expect_error<Error>([] { Analyzer(10).analyze(steady_candles(1, 1, 1)); },
                        "analyzer: expected at least 2 candles, got 1");
}

}  // namespace
}  // namespace memsoak::engine
