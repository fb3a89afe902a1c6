#pragma once
// Market data for the engine: OHLCV candles from a seeded synthetic market or from a CSV file replayed in a loop.
// Both are endless feeds, so a scenario of any length can run on them.

#include <cstdint>
#include <filesystem>
#include <random>
#include <vector>

namespace memsoak::engine {

// One OHLCV bar. Prices are in the quote currency (e.g. USDT), volume in units of the traded asset.
struct Candle {
    std::int64_t timestamp;  // start of the bar, Unix seconds (UTC)
    double open, high, low, close, volume;
};

// An endless source of candles in time order.
class CandleFeed {
public:
    virtual ~CandleFeed();
    virtual Candle next() = 0;
};

// A synthetic market: geometric Brownian motion whose volatility switches between a calm and a turbulent regime
// (a two-state Markov chain), with occasional jumps. Each bar opens at the previous close; its high and low are
// drawn from the extremes of a Brownian bridge between open and close, so low <= min(open, close) and
// max(open, close) <= high always hold. Volume rises with the size of the move and in the turbulent regime.
//
// Deterministic: the same seed gives the same candles bit for bit on the same platform (std::mt19937_64 with our
// own uniform and normal transforms; the std distributions are implementation-defined).
class SyntheticFeed final : public CandleFeed {
public:
    // interval_seconds: bar length (> 0); start_price (> 0) is the first open; start_timestamp is the first bar's
    // time in Unix seconds. Throws engine::Error for a non-positive interval or price.
    SyntheticFeed(std::uint64_t seed, std::int64_t interval_seconds, double start_price, std::int64_t start_timestamp);

    Candle next() override;

    // The regime of the last candle returned.
    bool turbulent() const { return turbulent_; }

private:
    double uniform_open_closed();  // uniform in (0, 1]
    double standard_normal();

    std::mt19937_64 random_;
    std::int64_t interval_seconds_;
    std::int64_t next_timestamp_;
    double start_price_;
    double last_close_;
    bool turbulent_ = false;
    // The polar method makes normals in pairs; the second waits here.
    double spare_normal_ = 0;
    bool has_spare_normal_ = false;
    // Per-bar parameters, derived once from the interval.
    double calm_sigma_;
    double turbulent_sigma_;
    double calm_to_turbulent_;  // probability per bar
    double turbulent_to_calm_;  // probability per bar
    double calm_jump_probability_;
    double turbulent_jump_probability_;
    double base_volume_;  // asset units per bar at the start price
};

// Reads OHLCV candles from a CSV file with the header "timestamp,open,high,low,close,volume". A timestamp is
// "YYYY-MM-DD HH:MM:SS" (UTC) or integer Unix seconds. CRLF line ends, a UTF-8 byte order mark, spaces around
// fields and blank lines are tolerated. Rows must be in strictly increasing time, prices positive, volume not
// negative, and low <= min(open, close) <= max(open, close) <= high.
// Any other content throws engine::Error "<file>:<line>: <what was expected>, got '<text>'", with the path as given,
// e.g. "data/bad.csv:4: column 'close': expected a number, got 'abc'".
std::vector<Candle> read_candles_csv(const std::filesystem::path& file);

// Replays recorded candles forever. The first pass returns them unchanged. Each later pass shifts the timestamps by
// the recording's span (last - first + the last bar spacing), so time keeps increasing at the recorded pace, and
// scales all prices by one factor so that the pass opens at the previous pass's last close: returns, bar shapes and
// volumes repeat exactly, prices continue without a jump.
class ReplayFeed final : public CandleFeed {
public:
    // Throws engine::Error for fewer than 2 candles or timestamps that do not increase.
    explicit ReplayFeed(std::vector<Candle> candles);

    Candle next() override;

private:
    std::vector<Candle> candles_;
    std::int64_t span_seconds_;
    std::size_t position_ = 0;
    std::int64_t time_shift_ = 0;
    double price_scale_ = 1.0;
};

}  // namespace memsoak::engine
