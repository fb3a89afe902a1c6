#pragma once
// The periodic market analysis of the study's application: a fresh price frame with every indicator, a trade
// signal and risk metrics. Its result carries the frame (price_data), which is what the study's issue #1 retains.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memsoak/engine/market_data.hpp"
#include "memsoak/engine/price_frame.hpp"

namespace memsoak::engine {

enum class TradeAction { buy, sell, hold };
std::string_view to_string(TradeAction action);  // "buy", "sell", "hold"

// The indicator readings at the frame's last row and the reasons behind the action.
struct Signals {
    // close, sma_20, sma_50, sma_200, ema_12, ema_26, macd, macd_signal, macd_hist, rsi_14, bb_upper, bb_middle,
    // bb_lower, stoch_k, stoch_d, atr_14, volatility_20, vwap: in that order, NaN while in warm-up.
    std::vector<std::pair<std::string, double>> readings;
    // One line per vote cast, e.g. "RSI 28.1 < 30: oversold", "MACD crossed above signal".
    std::vector<std::string> reasons;
    // Buy weight minus sell weight of the votes, in [-7, 7] (see Analyzer).
    double score = 0;

    std::optional<double> reading(std::string_view name) const;
};

// Risk over the whole frame. Returns are log returns per bar; annualised figures assume bars around the clock
// (365 days a year) at the frame's mean bar spacing. NaN where the frame is too short to tell.
struct RiskMetrics {
    double volatility = 0;           // annualised sample standard deviation of returns (0.6 = 60%)
    double atr = 0;                  // ATR(14) at the last row, in price units
    double max_drawdown = 0;         // largest fall of close from a running peak, as a fraction of the peak (0..1)
    double sharpe = 0;               // annualised mean return / standard deviation, risk-free rate 0
    double value_at_risk_95 = 0;     // one-bar historical VaR: the loss (positive fraction) exceeded by 5% of bars
    double suggested_stop_loss = 0;  // price 2 ATR against the position: below the last close, above it for a sell
    double position_size = 0;        // fraction of capital (0..1) that loses risk_per_trade if the stop is hit
};

struct Analysis {
    TradeAction action = TradeAction::hold;
    double confidence = 0;  // 0..1
    // Shared: whoever keeps the Analysis keeps the whole frame alive (the study's issue #1).
    std::shared_ptr<const PriceFrame> price_data;
    Signals signals;
    RiskMetrics risk_metrics;
    std::int64_t timestamp = 0;  // the last candle's, Unix seconds
    double last_price = 0;       // the last close
};

// Bytes an Analysis keeps alive, from its real containers; the frame's retained_bytes() only if include_frame.
std::uint64_t retained_bytes(const Analysis& analysis, bool include_frame);

// Risk metrics of a frame with close, returns and atr_14 columns (see compute_indicators), for a position in the
// direction of `action` (a hold is treated as long).
RiskMetrics assess_risk(const PriceFrame& frame, TradeAction action, double risk_per_trade);

// Builds a new frame from the last `rows` candles on every call (as the original rebuilt its DataFrame), computes
// the indicators and scores five weighted votes at the last row:
//   SMA trend  (weight 2): close > SMA20 > SMA50 buys, close < SMA20 < SMA50 sells.
//   MACD       (weight 2): MACD above zero and at/above its signal buys, below zero and at/below sells.
//   RSI(14)    (weight 1): below 30 (oversold) buys, above 70 (overbought) sells.
//   Bollinger  (weight 1): close below the lower band buys, above the upper band sells.
//   Stochastic (weight 1): %K below 20 buys, above 80 sells.
// score = buy weight - sell weight. Action: buy if score >= 2, sell if score <= -2, else hold. Confidence: the share
// of the total weight (7) that agrees with the action; for a hold, the share that voted neither way.
class Analyzer {
public:
    // rows: the analysis period in candles (>= 2). risk_per_trade: fraction of capital risked per trade (0, 1].
    explicit Analyzer(std::size_t rows, double risk_per_trade = 0.01);

    // Uses the last `rows` candles of `recent` (all of them if fewer, but at least 2; engine::Error otherwise).
    Analysis analyze(std::span<const Candle> recent) const;

    std::size_t rows() const { return rows_; }

private:
    std::size_t rows_;
    double risk_per_trade_;
};

}  // namespace memsoak::engine
