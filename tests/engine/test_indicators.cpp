// Indicators against values worked out by hand (exact fractions in the comments) on inputs small enough to check.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/indicators.hpp"
#include "memsoak/engine/price_frame.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

using testing::expect_error;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTolerance = 1e-9;

// Expects `actual` to match `expected` row by row, NaN where expected is NaN.
void expect_series(const std::vector<double>& expected, const std::vector<double>& actual) {
    ASSERT_EQ(expected.size(), actual.size());
    for (std::size_t row = 0; row < expected.size(); ++row) {
        if (std::isnan(expected[row])) {
            EXPECT_TRUE(std::isnan(actual[row])) << "row " << row << " = " << actual[row] << ", expected NaN";
        } else {
            EXPECT_NEAR(expected[row], actual[row], kTolerance) << "row " << row;
        }
    }
}

// Candles whose high, low and close are given; a small set used by several range indicators.
struct Bars {
    std::vector<double> high{10, 12, 11, 13, 12};
    std::vector<double> low{8, 9, 9, 10, 8};
    std::vector<double> close{9, 11, 10, 12, 9};
};

TEST(Indicators, SmaOfOneToTen) {
    const std::vector<double> values{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    std::vector<double> out(values.size());
    sma(values, 3, out);
    expect_series({kNaN, kNaN, 2, 3, 4, 5, 6, 7, 8, 9}, out);
    sma(values, 10, out);
    expect_series({kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, 5.5}, out);
    sma(values, 11, out);
    expect_series(std::vector<double>(10, kNaN), out);
}

TEST(Indicators, SmaSkipsLeadingNaNs) {
    const std::vector<double> values{kNaN, kNaN, 1, 2, 3, 4};
    std::vector<double> out(values.size());
    sma(values, 2, out);
    expect_series({kNaN, kNaN, kNaN, 1.5, 2.5, 3.5}, out);
}

TEST(Indicators, EmaIsSeededWithTheSmaThenSmoothed) {
    // alpha = 2 / (3 + 1) = 0.5: seed (1 + 2 + 3) / 3 = 2, then 0.5 * 10 + 0.5 * 2 = 6, then 0.5 * 10 + 0.5 * 6 = 8.
    const std::vector<double> values{1, 2, 3, 10, 10};
    std::vector<double> out(values.size());
    ema(values, 3, out);
    expect_series({kNaN, kNaN, 2, 6, 8}, out);

    const std::vector<double> shifted{kNaN, kNaN, 1, 2, 3, 10, 10};
    std::vector<double> shifted_out(shifted.size());
    ema(shifted, 3, shifted_out);
    expect_series({kNaN, kNaN, kNaN, kNaN, 2, 6, 8}, shifted_out);
}

TEST(Indicators, MacdWithSmallPeriods) {
    // fast EMA(2), alpha 2/3: -, 3/2, 5/2, 15/2, 55/6, 103/18; slow EMA(3), alpha 1/2: -, -, 2, 6, 8, 6.
    // line = fast - slow: -, -, 1/2, 3/2, 7/6, -5/18. Signal EMA(2) of the line from its first value:
    // (1/2 + 3/2) / 2 = 1, 2/3 * 7/6 + 1/3 * 1 = 10/9, 2/3 * -5/18 + 1/3 * 10/9 = 5/27.
    const std::vector<double> close{1, 2, 3, 10, 10, 4};
    std::vector<double> line(close.size()), signal(close.size()), histogram(close.size());
    macd(close, line, signal, histogram, MacdPeriods{2, 3, 2});
    expect_series({kNaN, kNaN, 0.5, 1.5, 7.0 / 6, -5.0 / 18}, line);
    expect_series({kNaN, kNaN, kNaN, 1, 10.0 / 9, 5.0 / 27}, signal);
    expect_series({kNaN, kNaN, kNaN, 0.5, 1.0 / 18, -25.0 / 54}, histogram);
}

TEST(Indicators, MacdOfALinearRampIsTheLagDifference) {
    // On close = row, an SMA-seeded EMA(n) trails by (n - 1) / 2 from its first row: EMA12 = row - 5.5 and
    // EMA26 = row - 12.5, so the line is 7 from row 25, its signal 7 from row 33, and the histogram 0.
    std::vector<double> close(60);
    for (std::size_t row = 0; row < close.size(); ++row) close[row] = static_cast<double>(row);
    std::vector<double> line(60), signal(60), histogram(60);
    macd(close, line, signal, histogram);
    for (std::size_t row = 0; row < 60; ++row) {
        SCOPED_TRACE(row);
        if (row < 25) {
            EXPECT_TRUE(std::isnan(line[row]));
        } else {
            EXPECT_NEAR(7.0, line[row], kTolerance);
        }
        if (row < 33) {
            EXPECT_TRUE(std::isnan(signal[row]) && std::isnan(histogram[row]));
        } else {
            EXPECT_NEAR(7.0, signal[row], kTolerance);
            EXPECT_NEAR(0.0, histogram[row], kTolerance);
        }
    }
}

TEST(Indicators, RsiWilderSmoothingByHand) {
    // Changes +1 +1 -1 +2. First averages over 3 changes: gain 2/3, loss 1/3, RS 2, RSI 200/3.
    // Then gain (2/3 * 2 + 2) / 3 = 10/9, loss (1/3 * 2 + 0) / 3 = 2/9, RS 5, RSI 100 - 100/6 = 250/3.
    const std::vector<double> close{10, 11, 12, 11, 13};
    std::vector<double> out(close.size());
    rsi(close, 3, out);
    expect_series({kNaN, kNaN, kNaN, 200.0 / 3, 250.0 / 3}, out);
}

TEST(Indicators, RsiOnTheTextbookSequence) {
    // The 14-period example closes of StockCharts' RSI article. Expected values computed in exact rational
    // arithmetic (Python fractions); the article's table (70.53, 66.32, ...) rounds its intermediate averages.
    const std::vector<double> close{44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10, 45.42, 45.84, 46.08, 45.89,
                                    46.03, 45.61, 46.28, 46.28, 46.00, 46.03, 46.41, 46.22, 45.64, 46.21, 46.25,
                                    45.71, 46.45, 45.78, 45.35, 44.03, 44.18, 44.22, 44.57, 43.42, 42.66, 43.13};
    std::vector<double> out(close.size());
    rsi(close, 14, out);
    for (std::size_t row = 0; row < 14; ++row) EXPECT_TRUE(std::isnan(out[row])) << row;
    EXPECT_NEAR(70.46413502109705, out[14], kTolerance);
    EXPECT_NEAR(66.24961855355508, out[15], kTolerance);
    EXPECT_NEAR(57.91502067008556, out[19], kTolerance);
    EXPECT_NEAR(40.01942379131357, out[26], kTolerance);
    EXPECT_NEAR(37.7887719820578, out[32], kTolerance);
}

TEST(Indicators, RsiExtremes) {
    std::vector<double> out(4);
    rsi(std::vector<double>{1, 2, 3, 4}, 2, out);
    expect_series({kNaN, kNaN, 100, 100}, out);
    rsi(std::vector<double>{4, 3, 2, 1}, 2, out);
    expect_series({kNaN, kNaN, 0, 0}, out);
    rsi(std::vector<double>{5, 5, 5, 5}, 2, out);
    expect_series({kNaN, kNaN, 50, 50}, out);
}

TEST(Indicators, BollingerUsesThePopulationStandardDeviation) {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, population variance 32 / 8 = 4, sigma 2.
    const std::vector<double> close{2, 4, 4, 4, 5, 5, 7, 9};
    std::vector<double> upper(8), middle(8), lower(8);
    bollinger(close, 8, 2.0, upper, middle, lower);
    std::vector<double> expected_upper(8, kNaN), expected_middle(8, kNaN), expected_lower(8, kNaN);
    expected_upper[7] = 9;
    expected_middle[7] = 5;
    expected_lower[7] = 1;
    expect_series(expected_upper, upper);
    expect_series(expected_middle, middle);
    expect_series(expected_lower, lower);
}

TEST(Indicators, AtrWilderWithAGap) {
    // True ranges: 10-8 = 2; max(2, |11-9|, |9-9|) = 2; gap up: max(2, |14-10|, |12-10|) = 4;
    // gap down: max(4, |11-13|, |7-13|) = 6. ATR(3): (2+2+4)/3 = 8/3, then (8/3 * 2 + 6) / 3 = 34/9.
    const std::vector<double> high{10, 11, 14, 11}, low{8, 9, 12, 7}, close{9, 10, 13, 8};
    std::vector<double> out(4);
    atr(high, low, close, 3, out);
    expect_series({kNaN, kNaN, 8.0 / 3, 34.0 / 9}, out);
}

TEST(Indicators, StochasticKAndD) {
    // Rows 2..4 over 3 rows: highest 12, 13, 13; lowest 8, 9, 8; %K = 100*(10-8)/4 = 50, 100*(12-9)/4 = 75,
    // 100*(9-8)/5 = 20. %D(2) = (50+75)/2, (75+20)/2.
    const Bars bars;
    std::vector<double> k(5), d(5);
    stochastic(bars.high, bars.low, bars.close, 3, 2, k, d);
    expect_series({kNaN, kNaN, 50, 75, 20}, k);
    expect_series({kNaN, kNaN, kNaN, 62.5, 47.5}, d);

    const std::vector<double> flat(3, 7.0);
    std::vector<double> flat_k(3), flat_d(3);
    stochastic(flat, flat, flat, 3, 1, flat_k, flat_d);
    expect_series({kNaN, kNaN, 50}, flat_k);
}

TEST(Indicators, WilliamsR) {
    // -100 * (highest - close) / (highest - lowest): -100*2/4, -100*1/4, -100*4/5.
    const Bars bars;
    std::vector<double> out(5);
    williams_r(bars.high, bars.low, bars.close, 3, out);
    expect_series({kNaN, kNaN, -50, -25, -80}, out);
}

TEST(Indicators, CommodityChannelIndex) {
    // Typical prices 9, 32/3, 10, 35/3, 29/3. Row 2: mean 89/9, mean deviation (8/9 + 7/9 + 1/9) / 3 = 16/27,
    // CCI = (1/9) / (0.015 * 16/27) = 12.5. Row 3: mean 97/9, deviation 16/27, CCI = (8/9) / (0.015 * 16/27) = 100.
    // Row 4: mean 94/9, deviation 22/27, CCI = (-7/9) / (0.015 * 22/27) = -21 / 0.33.
    const Bars bars;
    std::vector<double> out(5);
    cci(bars.high, bars.low, bars.close, 3, out);
    expect_series({kNaN, kNaN, 12.5, 100, -21 / 0.33}, out);
}

TEST(Indicators, MomentumAndRateOfChange) {
    const std::vector<double> close{100, 110, 121, 99};
    std::vector<double> out(4);
    momentum(close, 2, out);
    expect_series({kNaN, kNaN, 21, -11}, out);
    rate_of_change(close, 2, out);
    expect_series({kNaN, kNaN, 21, -10}, out);
}

TEST(Indicators, OnBalanceVolume) {
    const std::vector<double> close{10, 11, 10.5, 10.5, 12}, volume{100, 200, 150, 120, 300};
    std::vector<double> out(5);
    obv(close, volume, out);
    expect_series({0, 200, 50, 50, 350}, out);
}

TEST(Indicators, VwapIsCumulative) {
    // Typical prices 10 and 12: (10*100 + 12*300) / 400 = 11.5.
    const std::vector<double> high{11, 13}, low{9, 11}, close{10, 12};
    std::vector<double> out(2);
    vwap(high, low, close, std::vector<double>{100, 300}, out);
    expect_series({10, 11.5}, out);
    vwap(high, low, close, std::vector<double>{0, 300}, out);
    expect_series({kNaN, 12}, out);
}

TEST(Indicators, LogReturns) {
    const std::vector<double> close{100, 110, 99};
    std::vector<double> out(3);
    log_returns(close, out);
    expect_series({kNaN, std::log(1.1), std::log(0.9)}, out);
}

TEST(Indicators, RollingStddevIsTheSampleDeviation) {
    // 0.01, 0.02, -0.01: mean 1/150, deviations 1/300, 4/300, -5/300, squares 42/90000, / (3-1) -> sqrt(21)/300.
    // 0.02, -0.01, 0.03: mean 2/150, deviations 2/300, -7/300, 5/300, squares 78/90000 -> sqrt(39)/300.
    const std::vector<double> returns{kNaN, 0.01, 0.02, -0.01, 0.03};
    std::vector<double> out(5);
    rolling_stddev(returns, 3, out);
    expect_series({kNaN, kNaN, kNaN, std::sqrt(21.0) / 300, std::sqrt(39.0) / 300}, out);
}

TEST(Indicators, RejectBadArguments) {
    const std::vector<double> values{1, 2, 3, 4};
    std::vector<double> short_out(3), out(4);
    expect_error<Error>([&] { sma(values, 2, short_out); },
                        "sma: expected an output of 4 values (one per input row), got 3");
    expect_error<Error>([&] { ema(values, 0, out); }, "ema: expected a period >= 1, got 0");
    expect_error<Error>([&] { rolling_stddev(values, 1, out); }, "rolling_stddev: expected a period >= 2, got 1");
    expect_error<Error>(
        [&] {
            atr(values, std::vector<double>{1, 2, 3}, values, 2, out);
        },
        "atr: expected a low column of 4 values (one per input row), got 3");
    expect_error<Error>([&] { macd(values, out, out, short_out); },
                        "macd: expected a histogram output of 4 values (one per input row), got 3");
    expect_error<Error>([&] { obv(values, std::vector<double>{1}, out); },
                        "obv: expected a volume column of 4 values (one per input row), got 1");
}

// A frame of `rows` rising candles: close = 100 + row, opening at the previous close, high at the close.
PriceFrame rising_frame(std::size_t rows) {
    std::vector<Candle> candles;
    for (std::size_t row = 0; row < rows; ++row) {
        const double close = 100.0 + static_cast<double>(row);
        candles.push_back(Candle{static_cast<std::int64_t>(row) * 60, close - 1, close, close - 1, close, 10});
    }
    return PriceFrame::from_candles(candles);
}

TEST(Indicators, ComputeIndicatorsAddsTheDocumentedColumnsWithTheirWarmUps) {
    PriceFrame frame = rising_frame(300);
    compute_indicators(frame);

    std::vector<std::string_view> expected_names{"open", "high", "low", "close", "volume"};
    expected_names.insert(expected_names.end(), kIndicatorColumns.begin(), kIndicatorColumns.end());
    EXPECT_EQ(expected_names, frame.column_names());
    EXPECT_GE(kIndicatorColumns.size(), 20u);

    // Rows of NaN before each column's first value.
    const std::vector<std::pair<std::string_view, std::size_t>> warm_ups{
        {"sma_20", 19},   {"sma_50", 49},        {"sma_200", 199},    {"ema_12", 11},       {"ema_26", 25},
        {"ema_50", 49},   {"macd", 25},          {"macd_signal", 33}, {"macd_hist", 33},    {"rsi_14", 14},
        {"bb_upper", 19}, {"bb_middle", 19},     {"bb_lower", 19},    {"atr_14", 13},       {"stoch_k", 13},
        {"stoch_d", 15},  {"williams_r_14", 13}, {"cci_20", 19},      {"momentum_10", 10},  {"roc_10", 10},
        {"obv", 0},       {"vwap", 0},           {"returns", 1},      {"volatility_20", 20}};
    ASSERT_EQ(kIndicatorColumns.size(), warm_ups.size());
    for (const auto& [name, warm_up] : warm_ups) {
        const std::span<const double> column = std::as_const(frame).column(name);
        for (std::size_t row = 0; row < column.size(); ++row) {
            ASSERT_EQ(row < warm_up, std::isnan(column[row])) << name << " row " << row;
        }
    }

    // On close = 100 + row with unit bars: the SMA(n) trails by (n-1)/2, every true range is 1, every bar rises by
    // the same volume, and the close is the highest high.
    const std::size_t last = 299;
    EXPECT_NEAR(399.0 - 9.5, frame.column("sma_20")[last], kTolerance);
    EXPECT_NEAR(399.0 - 99.5, frame.column("sma_200")[last], kTolerance);
    EXPECT_NEAR(7.0, frame.column("macd")[last], kTolerance);
    EXPECT_NEAR(100.0, frame.column("rsi_14")[last], kTolerance);
    EXPECT_NEAR(1.0, frame.column("atr_14")[last], kTolerance);
    EXPECT_NEAR(100.0, frame.column("stoch_k")[last], kTolerance);
    EXPECT_NEAR(0.0, frame.column("williams_r_14")[last], kTolerance);
    EXPECT_NEAR(10.0, frame.column("momentum_10")[last], kTolerance);
    EXPECT_NEAR(299.0 * 10, frame.column("obv")[last], kTolerance);
    EXPECT_NEAR(std::log(399.0 / 398.0), frame.column("returns")[last], kTolerance);
}

TEST(Indicators, ComputeIndicatorsRejectsIncompleteOrComputedFrames) {
    PriceFrame close_only(std::vector<std::int64_t>{0, 60});
    close_only.add_column("close");
    expect_error<Error>([&] { compute_indicators(close_only); }, "price frame: no column 'high'; columns are: close");

    PriceFrame frame = rising_frame(30);
    compute_indicators(frame);
    expect_error<Error>([&] { compute_indicators(frame); }, "price frame: column 'sma_20' already exists");
}

}  // namespace
}  // namespace memsoak::engine
