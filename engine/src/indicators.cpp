#include "memsoak/engine/indicators.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/price_frame.hpp"

namespace memsoak::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void require_period(std::string_view function, std::size_t period, std::size_t minimum = 1) {
    if (period < minimum) throw Error(fmt::format("{}: expected a period >= {}, got {}", function, minimum, period));
}

void require_rows(std::string_view function, std::string_view what, std::size_t rows, std::size_t size) {
    if (size != rows) {
        throw Error(
            fmt::format("{}: expected {} of {} values (one per input row), got {}", function, what, rows, size));
    }
}

// Checks an output span against the input length and fills it with NaN, so only defined rows need writing.
void prepare_output(std::string_view function, std::size_t rows, std::span<double> out) {
    require_rows(function, "an output", rows, out.size());
    std::fill(out.begin(), out.end(), kNaN);
}

void require_same_rows(std::string_view function, std::span<const double> high, std::span<const double> low,
                       std::span<const double> close) {
    require_rows(function, "a low column", high.size(), low.size());
    require_rows(function, "a close column", high.size(), close.size());
}

std::size_t first_non_nan(std::span<const double> values) {
    return static_cast<std::size_t>(
        std::find_if(values.begin(), values.end(), [](double v) { return !std::isnan(v); }) - values.begin());
}

double wilder_rsi(double average_gain, double average_loss) {
    if (average_loss == 0) return average_gain == 0 ? 50.0 : 100.0;
    return 100.0 - 100.0 / (1.0 + average_gain / average_loss);
}

struct Range {
    double highest;
    double lowest;
};

// Highest high and lowest low over a window of `period` rows sliding down the frame one row at a time. Each
// extreme is kept with its row and the window rescanned only when that row slides out, so a row costs O(1) on
// average and O(period) at worst, without the allocation a monotonic queue would need. Maxima and minima are exact,
// so the result does not depend on the order of the comparisons.
class SlidingRange {
public:
    SlidingRange(std::span<const double> high, std::span<const double> low, std::size_t period)
        : high_(high), low_(low), period_(period) {}

    // The range of the `period` rows ending at `last`; `last` starts at period - 1 and grows by one per call.
    Range at(std::size_t last) {
        const std::size_t first = last + 1 - period_;
        if (last + 1 == period_ || highest_row_ < first) {
            highest_row_ = first;
            for (std::size_t row = first + 1; row <= last; ++row) {
                if (high_[row] >= high_[highest_row_]) highest_row_ = row;
            }
        } else if (high_[last] >= high_[highest_row_]) {
            highest_row_ = last;
        }
        if (last + 1 == period_ || lowest_row_ < first) {
            lowest_row_ = first;
            for (std::size_t row = first + 1; row <= last; ++row) {
                if (low_[row] <= low_[lowest_row_]) lowest_row_ = row;
            }
        } else if (low_[last] <= low_[lowest_row_]) {
            lowest_row_ = last;
        }
        return {high_[highest_row_], low_[lowest_row_]};
    }

private:
    std::span<const double> high_;
    std::span<const double> low_;
    std::size_t period_;
    // The latest row holding each extreme: ties move it forward, so it stays in the window longer.
    std::size_t highest_row_ = 0;
    std::size_t lowest_row_ = 0;
};

double typical_price(std::span<const double> high, std::span<const double> low, std::span<const double> close,
                     std::size_t row) {
    // A multiplication, not a division: CCI evaluates this period times per row.
    constexpr double kThird = 1.0 / 3.0;
    return (high[row] + low[row] + close[row]) * kThird;
}

}  // namespace

void sma(std::span<const double> values, std::size_t period, std::span<double> out) {
    require_period("sma", period);
    prepare_output("sma", values.size(), out);
    const std::size_t first = first_non_nan(values);
    double window_sum = 0;
    for (std::size_t row = first; row < values.size(); ++row) {
        window_sum += values[row];
        if (row >= first + period) window_sum -= values[row - period];
        if (row + 1 >= first + period) out[row] = window_sum / static_cast<double>(period);
    }
}

void ema(std::span<const double> values, std::size_t period, std::span<double> out) {
    require_period("ema", period);
    prepare_output("ema", values.size(), out);
    const std::size_t first = first_non_nan(values);
    const std::size_t seed_row = first + period - 1;
    if (seed_row >= values.size()) return;
    double seed = 0;
    for (std::size_t row = first; row <= seed_row; ++row) seed += values[row];
    out[seed_row] = seed / static_cast<double>(period);
    const double alpha = 2.0 / (static_cast<double>(period) + 1.0);
    for (std::size_t row = seed_row + 1; row < values.size(); ++row) {
        out[row] = alpha * values[row] + (1.0 - alpha) * out[row - 1];
    }
}

void macd(std::span<const double> close, std::span<double> line, std::span<double> signal, std::span<double> histogram,
          MacdPeriods periods) {
    require_period("macd", periods.fast);
    require_period("macd", periods.slow);
    require_period("macd", periods.signal);
    require_rows("macd", "a line output", close.size(), line.size());
    require_rows("macd", "a signal output", close.size(), signal.size());
    require_rows("macd", "a histogram output", close.size(), histogram.size());
    // The histogram's storage holds the slow EMA until the histogram itself is computed: no scratch allocation.
    std::span<double> slow_ema = histogram;
    ema(close, periods.fast, line);
    ema(close, periods.slow, slow_ema);
    for (std::size_t row = 0; row < close.size(); ++row) line[row] -= slow_ema[row];
    ema(line, periods.signal, signal);
    for (std::size_t row = 0; row < close.size(); ++row) histogram[row] = line[row] - signal[row];
}

void rsi(std::span<const double> close, std::size_t period, std::span<double> out) {
    require_period("rsi", period);
    prepare_output("rsi", close.size(), out);
    if (close.size() <= period) return;
    double average_gain = 0;
    double average_loss = 0;
    for (std::size_t row = 1; row <= period; ++row) {
        const double change = close[row] - close[row - 1];
        average_gain += std::max(change, 0.0);
        average_loss += std::max(-change, 0.0);
    }
    const auto n = static_cast<double>(period);
    average_gain /= n;
    average_loss /= n;
    out[period] = wilder_rsi(average_gain, average_loss);
    for (std::size_t row = period + 1; row < close.size(); ++row) {
        const double change = close[row] - close[row - 1];
        average_gain = (average_gain * (n - 1) + std::max(change, 0.0)) / n;
        average_loss = (average_loss * (n - 1) + std::max(-change, 0.0)) / n;
        out[row] = wilder_rsi(average_gain, average_loss);
    }
}

void bollinger(std::span<const double> close, std::size_t period, double width, std::span<double> upper,
               std::span<double> middle, std::span<double> lower) {
    require_period("bollinger", period);
    prepare_output("bollinger", close.size(), upper);
    prepare_output("bollinger", close.size(), middle);
    prepare_output("bollinger", close.size(), lower);
    sma(close, period, middle);
    for (std::size_t row = period - 1; row < close.size(); ++row) {
        // Deviations from the window mean rather than a running sum of squares, which would lose the variance to
        // cancellation at prices of ~30000.
        const double mean = middle[row];
        double squares = 0;
        for (std::size_t i = row + 1 - period; i <= row; ++i) squares += (close[i] - mean) * (close[i] - mean);
        const double deviation = std::sqrt(squares / static_cast<double>(period));
        upper[row] = mean + width * deviation;
        lower[row] = mean - width * deviation;
    }
}

void atr(std::span<const double> high, std::span<const double> low, std::span<const double> close, std::size_t period,
         std::span<double> out) {
    require_period("atr", period);
    require_same_rows("atr", high, low, close);
    prepare_output("atr", high.size(), out);
    if (high.size() < period) return;
    const auto true_range = [&](std::size_t row) {
        if (row == 0) return high[0] - low[0];
        const double previous_close = close[row - 1];
        return std::max(
            {high[row] - low[row], std::abs(high[row] - previous_close), std::abs(low[row] - previous_close)});
    };
    const auto n = static_cast<double>(period);
    double average = 0;
    for (std::size_t row = 0; row < period; ++row) average += true_range(row);
    average /= n;
    out[period - 1] = average;
    for (std::size_t row = period; row < high.size(); ++row) {
        average = (average * (n - 1) + true_range(row)) / n;
        out[row] = average;
    }
}

void stochastic(std::span<const double> high, std::span<const double> low, std::span<const double> close,
                std::size_t k_period, std::size_t d_period, std::span<double> k_out, std::span<double> d_out) {
    require_period("stochastic", k_period);
    require_period("stochastic", d_period);
    require_same_rows("stochastic", high, low, close);
    prepare_output("stochastic", high.size(), k_out);
    require_rows("stochastic", "a %D output", high.size(), d_out.size());
    SlidingRange window(high, low, k_period);
    for (std::size_t row = k_period - 1; row < high.size(); ++row) {
        const Range range = window.at(row);
        const double width = range.highest - range.lowest;
        k_out[row] = width > 0 ? 100.0 * (close[row] - range.lowest) / width : 50.0;
    }
    sma(k_out, d_period, d_out);
}

void williams_r(std::span<const double> high, std::span<const double> low, std::span<const double> close,
                std::size_t period, std::span<double> out) {
    require_period("williams_r", period);
    require_same_rows("williams_r", high, low, close);
    prepare_output("williams_r", high.size(), out);
    SlidingRange window(high, low, period);
    for (std::size_t row = period - 1; row < high.size(); ++row) {
        const Range range = window.at(row);
        const double width = range.highest - range.lowest;
        out[row] = width > 0 ? -100.0 * (range.highest - close[row]) / width : -50.0;
    }
}

void cci(std::span<const double> high, std::span<const double> low, std::span<const double> close, std::size_t period,
         std::span<double> out) {
    require_period("cci", period);
    require_same_rows("cci", high, low, close);
    prepare_output("cci", high.size(), out);
    // Lambert's constant: scales CCI so that roughly 70-80% of values fall within +-100.
    constexpr double kLambert = 0.015;
    const auto n = static_cast<double>(period);
    double window_sum = 0;
    for (std::size_t row = 0; row < high.size(); ++row) {
        window_sum += typical_price(high, low, close, row);
        if (row >= period) window_sum -= typical_price(high, low, close, row - period);
        if (row + 1 < period) continue;
        const double mean = window_sum / n;
        double absolute_deviations = 0;
        for (std::size_t i = row + 1 - period; i <= row; ++i) {
            absolute_deviations += std::abs(typical_price(high, low, close, i) - mean);
        }
        const double mean_deviation = absolute_deviations / n;
        const double distance = typical_price(high, low, close, row) - mean;
        out[row] = mean_deviation > 0 ? distance / (kLambert * mean_deviation) : 0.0;
    }
}

void momentum(std::span<const double> values, std::size_t period, std::span<double> out) {
    require_period("momentum", period);
    prepare_output("momentum", values.size(), out);
    for (std::size_t row = period; row < values.size(); ++row) out[row] = values[row] - values[row - period];
}

void rate_of_change(std::span<const double> values, std::size_t period, std::span<double> out) {
    require_period("rate_of_change", period);
    prepare_output("rate_of_change", values.size(), out);
    for (std::size_t row = period; row < values.size(); ++row) {
        out[row] = 100.0 * (values[row] / values[row - period] - 1.0);
    }
}

void obv(std::span<const double> close, std::span<const double> volume, std::span<double> out) {
    require_rows("obv", "a volume column", close.size(), volume.size());
    prepare_output("obv", close.size(), out);
    if (close.empty()) return;
    double balance = 0;
    out[0] = balance;
    for (std::size_t row = 1; row < close.size(); ++row) {
        if (close[row] > close[row - 1]) balance += volume[row];
        if (close[row] < close[row - 1]) balance -= volume[row];
        out[row] = balance;
    }
}

void vwap(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          std::span<const double> volume, std::span<double> out) {
    require_same_rows("vwap", high, low, close);
    require_rows("vwap", "a volume column", high.size(), volume.size());
    prepare_output("vwap", high.size(), out);
    double traded_value = 0;
    double traded_volume = 0;
    for (std::size_t row = 0; row < high.size(); ++row) {
        traded_value += typical_price(high, low, close, row) * volume[row];
        traded_volume += volume[row];
        if (traded_volume > 0) out[row] = traded_value / traded_volume;
    }
}

void log_returns(std::span<const double> close, std::span<double> out) {
    prepare_output("log_returns", close.size(), out);
    for (std::size_t row = 1; row < close.size(); ++row) out[row] = std::log(close[row] / close[row - 1]);
}

void rolling_stddev(std::span<const double> values, std::size_t period, std::span<double> out) {
    require_period("rolling_stddev", period, 2);
    prepare_output("rolling_stddev", values.size(), out);
    const std::size_t first = first_non_nan(values);
    const auto n = static_cast<double>(period);
    double window_sum = 0;
    for (std::size_t row = first; row < values.size(); ++row) {
        window_sum += values[row];
        if (row >= first + period) window_sum -= values[row - period];
        if (row + 1 < first + period) continue;
        // Squared deviations from the window mean, not a running sum of squares, which cancels badly when the
        // values sit far from zero.
        const double mean = window_sum / n;
        double squares = 0;
        for (std::size_t i = row + 1 - period; i <= row; ++i) squares += (values[i] - mean) * (values[i] - mean);
        out[row] = std::sqrt(squares / (n - 1));
    }
}

void compute_indicators(PriceFrame& frame) {
    // Spans into the frame stay valid as columns are added (see PriceFrame::add_column).
    const std::span<const double> high = frame.column("high");
    const std::span<const double> low = frame.column("low");
    const std::span<const double> close = frame.column("close");
    const std::span<const double> volume = frame.column("volume");
    const auto add = [&frame](std::string_view name) { return frame.add_column(std::string(name)); };

    sma(close, 20, add("sma_20"));
    sma(close, 50, add("sma_50"));
    sma(close, 200, add("sma_200"));
    ema(close, 12, add("ema_12"));
    ema(close, 26, add("ema_26"));
    ema(close, 50, add("ema_50"));
    const std::span<double> macd_line = add("macd");
    const std::span<double> macd_signal = add("macd_signal");
    macd(close, macd_line, macd_signal, add("macd_hist"));
    rsi(close, 14, add("rsi_14"));
    const std::span<double> upper = add("bb_upper");
    const std::span<double> middle = add("bb_middle");
    bollinger(close, 20, 2.0, upper, middle, add("bb_lower"));
    atr(high, low, close, 14, add("atr_14"));
    const std::span<double> stoch_k = add("stoch_k");
    stochastic(high, low, close, 14, 3, stoch_k, add("stoch_d"));
    williams_r(high, low, close, 14, add("williams_r_14"));
    cci(high, low, close, 20, add("cci_20"));
    momentum(close, 10, add("momentum_10"));
    rate_of_change(close, 10, add("roc_10"));
    obv(close, volume, add("obv"));
    vwap(high, low, close, volume, add("vwap"));
    const std::span<double> returns = add("returns");
    log_returns(close, returns);
    rolling_stddev(returns, 20, add("volatility_20"));
}

}  // namespace memsoak::engine
