#pragma once
// Technical indicators over price columns, and compute_indicators() which adds them all to a PriceFrame.
//
// Conventions shared by every function:
// - One output value per input row, written into caller-provided spans of the input's length; nothing is allocated.
//   A span of another length, mismatched inputs or a period of 0 throw engine::Error naming the function.
// - Rows where an indicator is not yet defined (its warm-up) are NaN. A period longer than the input gives all NaN.
// - sma, ema and rolling_stddev also run over derived series: leading NaNs in their input (another indicator's
//   warm-up) are skipped, so their warm-up starts at the first non-NaN input. Every other input must be finite.

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace memsoak::engine {

class PriceFrame;

// Simple moving average of the last `period` values.
void sma(std::span<const double> values, std::size_t period, std::span<double> out);

// Exponential moving average with alpha = 2 / (period + 1). Seeded with the SMA of the first `period` values, so the
// first value appears at the same row as the SMA's (not from row 0 as pandas' ewm(adjust=False) would).
void ema(std::span<const double> values, std::size_t period, std::span<double> out);

struct MacdPeriods {
    std::size_t fast = 12;
    std::size_t slow = 26;
    std::size_t signal = 9;
};
// MACD line = EMA(fast) - EMA(slow) of close; signal = EMA(signal) of the line; histogram = line - signal.
// The line starts at row slow-1, the signal and histogram at row slow+signal-2.
void macd(std::span<const double> close, std::span<double> line, std::span<double> signal, std::span<double> histogram,
          MacdPeriods periods = {});

// Wilder's RSI: first average gain and loss are the means of the first `period` changes, later ones are smoothed as
// avg = (avg * (period - 1) + current) / period. First value at row `period`. No losses gives 100, a flat price 50.
void rsi(std::span<const double> close, std::size_t period, std::span<double> out);

// Bollinger bands: middle = SMA(period), upper/lower = middle +- width * the population standard deviation (divide
// by period, as Bollinger defines the bands; pandas' rolling().std() would divide by period - 1).
void bollinger(std::span<const double> close, std::size_t period, double width, std::span<double> upper,
               std::span<double> middle, std::span<double> lower);

// Wilder's average true range. True range is high - low on row 0 and max(high - low, |high - previous close|,
// |low - previous close|) after. First value at row period-1: the mean of the first `period` true ranges; then
// atr = (atr * (period - 1) + true range) / period.
void atr(std::span<const double> high, std::span<const double> low, std::span<const double> close, std::size_t period,
         std::span<double> out);

// Stochastic oscillator: %K = 100 * (close - lowest low) / (highest high - lowest low) over `k_period` rows, 50 when
// the window is flat; %D = SMA(d_period) of %K.
void stochastic(std::span<const double> high, std::span<const double> low, std::span<const double> close,
                std::size_t k_period, std::size_t d_period, std::span<double> k_out, std::span<double> d_out);

// Williams %R = -100 * (highest high - close) / (highest high - lowest low) over `period` rows, in [-100, 0]; -50
// when the window is flat.
void williams_r(std::span<const double> high, std::span<const double> low, std::span<const double> close,
                std::size_t period, std::span<double> out);

// Commodity channel index: (typical price - its SMA) / (0.015 * mean absolute deviation from that SMA), typical
// price = (high + low + close) / 3; 0 when the window is flat.
void cci(std::span<const double> high, std::span<const double> low, std::span<const double> close, std::size_t period,
         std::span<double> out);

// momentum = value - value `period` rows earlier; rate of change = 100 * (value / earlier value - 1) in percent.
void momentum(std::span<const double> values, std::size_t period, std::span<double> out);
void rate_of_change(std::span<const double> values, std::size_t period, std::span<double> out);

// On-balance volume, starting at 0 on row 0: adds the row's volume when close rises, subtracts it when it falls.
void obv(std::span<const double> close, std::span<const double> volume, std::span<double> out);

// Volume-weighted average of the typical price (high + low + close) / 3, cumulative from row 0 of the frame;
// NaN until some volume has traded.
void vwap(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          std::span<const double> volume, std::span<double> out);

// Log returns ln(close / previous close); row 0 is NaN.
void log_returns(std::span<const double> close, std::span<double> out);

// Sample standard deviation (divide by period - 1, period >= 2) of the last `period` values: applied to log returns
// it is the per-bar volatility, not annualised.
void rolling_stddev(std::span<const double> values, std::size_t period, std::span<double> out);

// The columns compute_indicators() adds, in order (periods in the names):
//   sma_20 sma_50 sma_200 ema_12 ema_26 ema_50 macd macd_signal macd_hist (12/26/9) rsi_14
//   bb_upper bb_middle bb_lower (20, 2 sigma) atr_14 stoch_k stoch_d (14, 3) williams_r_14 cci_20
//   momentum_10 roc_10 obv vwap returns (log) volatility_20 (sample stddev of returns)
inline constexpr std::array<std::string_view, 24> kIndicatorColumns{
    "sma_20",        "sma_50", "sma_200",     "ema_12",    "ema_26",   "ema_50", "macd",    "macd_signal",
    "macd_hist",     "rsi_14", "bb_upper",    "bb_middle", "bb_lower", "atr_14", "stoch_k", "stoch_d",
    "williams_r_14", "cci_20", "momentum_10", "roc_10",    "obv",      "vwap",   "returns", "volatility_20"};

// Adds every column of kIndicatorColumns to a frame that has open, high, low, close and volume (as built by
// PriceFrame::from_candles). Throws engine::Error if an input column is missing or an indicator column exists.
void compute_indicators(PriceFrame& frame);

}  // namespace memsoak::engine
