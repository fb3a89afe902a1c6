#include "memsoak/engine/analyzer.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/indicators.hpp"

namespace memsoak::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kSecondsPerYear = 365.0 * 86400.0;

constexpr std::array<std::string_view, 18> kReadingColumns{"close",         "sma_20",  "sma_50",   "sma_200",
                                                           "ema_12",        "ema_26",  "macd",     "macd_signal",
                                                           "macd_hist",     "rsi_14",  "bb_upper", "bb_middle",
                                                           "bb_lower",      "stoch_k", "stoch_d",  "atr_14",
                                                           "volatility_20", "vwap"};

constexpr double kTrendWeight = 2;
constexpr double kMacdWeight = 2;
constexpr double kRsiWeight = 1;
constexpr double kBollingerWeight = 1;
constexpr double kStochasticWeight = 1;
constexpr double kTotalWeight = kTrendWeight + kMacdWeight + kRsiWeight + kBollingerWeight + kStochasticWeight;
// |score| needed to act: two agreeing weight units more than the opposing ones.
constexpr double kActionThreshold = 2;
constexpr double kStopLossAtrs = 2;

// Collects weighted votes and their reasons.
class Ballot {
public:
    explicit Ballot(std::vector<std::string>& reasons) : reasons_(reasons) {}

    void buy(double weight, std::string reason) {
        buy_weight_ += weight;
        reasons_.push_back(std::move(reason));
    }
    void sell(double weight, std::string reason) {
        sell_weight_ += weight;
        reasons_.push_back(std::move(reason));
    }
    double buy_weight() const { return buy_weight_; }
    double sell_weight() const { return sell_weight_; }

private:
    std::vector<std::string>& reasons_;
    double buy_weight_ = 0;
    double sell_weight_ = 0;
};

// The value of `name` at `row`. Comparisons with a NaN (warm-up) are false, so an undefined indicator casts no vote.
double at(const PriceFrame& frame, std::string_view name, std::size_t row) { return frame.column(name)[row]; }

void vote_trend(const PriceFrame& frame, std::size_t row, Ballot& ballot) {
    const double close = at(frame, "close", row);
    const double fast = at(frame, "sma_20", row);
    const double slow = at(frame, "sma_50", row);
    if (close > fast && fast > slow) {
        ballot.buy(kTrendWeight, fmt::format("close {:.2f} > SMA20 {:.2f} > SMA50 {:.2f}: uptrend", close, fast, slow));
    } else if (close < fast && fast < slow) {
        ballot.sell(kTrendWeight,
                    fmt::format("close {:.2f} < SMA20 {:.2f} < SMA50 {:.2f}: downtrend", close, fast, slow));
    }
}

void vote_macd(const PriceFrame& frame, std::size_t row, Ballot& ballot) {
    const double line = at(frame, "macd", row);
    const double histogram = at(frame, "macd_hist", row);
    const double previous_histogram = row > 0 ? at(frame, "macd_hist", row - 1) : kNaN;
    // On a steady trend the line and its signal converge, leaving a histogram of rounding noise: differences within
    // a billionth of the price count as "at the signal". Leaving the signal counts as crossing it.
    const double tolerance = 1e-9 * std::abs(at(frame, "close", row));
    if (previous_histogram <= tolerance && histogram > tolerance) {
        ballot.buy(kMacdWeight, "MACD crossed above signal");
    } else if (previous_histogram >= -tolerance && histogram < -tolerance) {
        ballot.sell(kMacdWeight, "MACD crossed below signal");
    } else if (line > 0 && histogram >= -tolerance) {
        ballot.buy(kMacdWeight, fmt::format("MACD {:.2f} above zero and at/above signal: bullish momentum", line));
    } else if (line < 0 && histogram <= tolerance) {
        ballot.sell(kMacdWeight, fmt::format("MACD {:.2f} below zero and at/below signal: bearish momentum", line));
    }
}

void vote_oscillators(const PriceFrame& frame, std::size_t row, Ballot& ballot) {
    const double rsi_value = at(frame, "rsi_14", row);
    if (rsi_value < 30) ballot.buy(kRsiWeight, fmt::format("RSI {:.1f} < 30: oversold", rsi_value));
    if (rsi_value > 70) ballot.sell(kRsiWeight, fmt::format("RSI {:.1f} > 70: overbought", rsi_value));

    const double close = at(frame, "close", row);
    const double lower = at(frame, "bb_lower", row);
    const double upper = at(frame, "bb_upper", row);
    if (close < lower) {
        ballot.buy(kBollingerWeight, fmt::format("close {:.2f} below lower Bollinger band {:.2f}", close, lower));
    }
    if (close > upper) {
        ballot.sell(kBollingerWeight, fmt::format("close {:.2f} above upper Bollinger band {:.2f}", close, upper));
    }

    const double stoch_k = at(frame, "stoch_k", row);
    if (stoch_k < 20) ballot.buy(kStochasticWeight, fmt::format("Stochastic %K {:.1f} < 20: oversold", stoch_k));
    if (stoch_k > 80) ballot.sell(kStochasticWeight, fmt::format("Stochastic %K {:.1f} > 80: overbought", stoch_k));
}

// The loss fraction exceeded by 5% of bars, from the 5th percentile of log returns (linear interpolation between
// order statistics, as numpy's default).
double historical_value_at_risk_95(std::vector<double> returns) {
    if (returns.empty()) return kNaN;
    const double position = 0.05 * static_cast<double>(returns.size() - 1);
    const auto below = static_cast<std::size_t>(position);
    std::nth_element(returns.begin(), returns.begin() + static_cast<std::ptrdiff_t>(below), returns.end());
    const double lower = returns[below];
    double quantile = lower;
    if (below + 1 < returns.size()) {
        const double upper = *std::min_element(returns.begin() + static_cast<std::ptrdiff_t>(below) + 1, returns.end());
        quantile = lower + (position - static_cast<double>(below)) * (upper - lower);
    }
    return -std::expm1(quantile);
}

}  // namespace

std::string_view to_string(TradeAction action) {
    switch (action) {
        case TradeAction::buy: return "buy";
        case TradeAction::sell: return "sell";
        case TradeAction::hold: return "hold";
    }
    return "unknown";
}

std::optional<double> Signals::reading(std::string_view name) const {
    for (const auto& [reading_name, value] : readings) {
        if (reading_name == name) return value;
    }
    return std::nullopt;
}

std::uint64_t retained_bytes(const Analysis& analysis, bool include_frame) {
    const Signals& signals = analysis.signals;
    std::uint64_t bytes = sizeof(Analysis) + heap_bytes(signals.readings) + heap_bytes(signals.reasons);
    for (const auto& [name, value] : signals.readings) bytes += heap_bytes(name);
    for (const std::string& reason : signals.reasons) bytes += heap_bytes(reason);
    if (include_frame && analysis.price_data) bytes += analysis.price_data->retained_bytes();
    return bytes;
}

RiskMetrics assess_risk(const PriceFrame& frame, TradeAction action, double risk_per_trade) {
    if (frame.rows() == 0) throw Error("risk metrics: expected a frame with at least one row, got none");
    RiskMetrics risk;
    const std::span<const double> close = frame.column("close");
    const std::span<const double> atr_column = frame.column("atr_14");
    const std::span<const std::int64_t> times = frame.time_index();

    std::vector<double> returns;
    returns.reserve(frame.rows());
    for (double value : frame.column("returns")) {
        if (!std::isnan(value)) returns.push_back(value);
    }
    const auto count = static_cast<double>(returns.size());
    double mean = kNaN;
    double deviation = kNaN;
    if (returns.size() >= 2) {
        double sum = 0;
        for (double value : returns) sum += value;
        mean = sum / count;
        double squares = 0;
        for (double value : returns) squares += (value - mean) * (value - mean);
        deviation = std::sqrt(squares / (count - 1));
    }
    const double bar_seconds =
        frame.rows() >= 2 ? static_cast<double>(times.back() - times.front()) / static_cast<double>(frame.rows() - 1)
                          : kNaN;
    const double annualisation = std::sqrt(kSecondsPerYear / bar_seconds);
    risk.volatility = deviation * annualisation;
    // A frame without variation has no risk-adjusted return to speak of.
    risk.sharpe = deviation > 0 ? mean / deviation * annualisation : (deviation == 0 ? 0.0 : kNaN);

    double peak = close.front();
    for (double price : close) {
        peak = std::max(peak, price);
        risk.max_drawdown = std::max(risk.max_drawdown, (peak - price) / peak);
    }
    risk.value_at_risk_95 = historical_value_at_risk_95(std::move(returns));

    const double last_price = close.back();
    risk.atr = atr_column.back();
    const double stop_distance = kStopLossAtrs * risk.atr;
    risk.suggested_stop_loss = action == TradeAction::sell ? last_price + stop_distance : last_price - stop_distance;
    risk.position_size = stop_distance > 0 ? std::min(1.0, risk_per_trade * last_price / stop_distance)
                                           : (stop_distance == 0 ? 1.0 : kNaN);
    return risk;
}

Analyzer::Analyzer(std::size_t rows, double risk_per_trade) : rows_(rows), risk_per_trade_(risk_per_trade) {
    if (rows < 2) throw Error(fmt::format("analyzer: expected an analysis period of at least 2 rows, got {}", rows));
    if (!(risk_per_trade > 0 && risk_per_trade <= 1)) {
        throw Error(fmt::format("analyzer: expected risk_per_trade in (0, 1], got {}", risk_per_trade));
    }
}

Analysis Analyzer::analyze(std::span<const Candle> recent) const {
    if (recent.size() < 2) throw Error(fmt::format("analyzer: expected at least 2 candles, got {}", recent.size()));
    const std::span<const Candle> window = recent.last(std::min(rows_, recent.size()));
    auto frame = std::make_shared<PriceFrame>(PriceFrame::from_candles(window));
    compute_indicators(*frame);

    Analysis analysis;
    analysis.timestamp = window.back().timestamp;
    analysis.last_price = window.back().close;
    const std::size_t last_row = frame->rows() - 1;
    Signals& signals = analysis.signals;
    signals.readings.reserve(kReadingColumns.size());
    for (std::string_view name : kReadingColumns) signals.readings.emplace_back(name, at(*frame, name, last_row));

    Ballot ballot(signals.reasons);
    vote_trend(*frame, last_row, ballot);
    vote_macd(*frame, last_row, ballot);
    vote_oscillators(*frame, last_row, ballot);
    signals.score = ballot.buy_weight() - ballot.sell_weight();
    if (signals.score >= kActionThreshold) {
        analysis.action = TradeAction::buy;
        analysis.confidence = ballot.buy_weight() / kTotalWeight;
    } else if (signals.score <= -kActionThreshold) {
        analysis.action = TradeAction::sell;
        analysis.confidence = ballot.sell_weight() / kTotalWeight;
    } else {
        analysis.action = TradeAction::hold;
        analysis.confidence = (kTotalWeight - ballot.buy_weight() - ballot.sell_weight()) / kTotalWeight;
    }
    analysis.risk_metrics = assess_risk(*frame, analysis.action, risk_per_trade_);
    analysis.price_data = std::move(frame);
    return analysis;
}

}  // namespace memsoak::engine
