#include "memsoak/engine/market_data.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/input_file.hpp"
#include "memsoak/engine/time.hpp"

namespace memsoak::engine {

CandleFeed::~CandleFeed() = default;

// ---------------------------------------------------------------------------------------------------------------
// SyntheticFeed

namespace {

// Crypto markets trade around the clock, so a year is 365 full days of bars.
constexpr double kSecondsPerYear = 365.0 * 86400.0;

// Annualised volatility of each regime: roughly what BTC shows in quiet weeks and in sell-offs.
constexpr double kCalmVolatility = 0.45;
constexpr double kTurbulentVolatility = 1.20;
// Mean time spent in a regime before switching.
constexpr double kMeanCalmSeconds = 4 * 86400.0;
constexpr double kMeanTurbulentSeconds = 18 * 3600.0;
// Jumps (news, liquidations): expected count per day and the standard deviation of a jump's log size.
constexpr double kCalmJumpsPerDay = 0.2;
constexpr double kTurbulentJumpsPerDay = 1.0;
constexpr double kCalmJumpSize = 0.008;
constexpr double kTurbulentJumpSize = 0.015;
// Volume in asset units per hour at the start price (the shared BTC data trades ~2500 BTC/hour), rising with the
// size of the move, higher in turbulence, and with lognormal noise of this log standard deviation.
constexpr double kBaseVolumePerHour = 2500.0;
constexpr double kTurbulentVolumeFactor = 1.5;
constexpr double kVolumeNoise = 0.5;

// Probability that an event of the given mean waiting time happens within one bar.
double probability_within(double bar_seconds, double mean_wait_seconds) {
    return 1.0 - std::exp(-bar_seconds / mean_wait_seconds);
}

}  // namespace

SyntheticFeed::SyntheticFeed(std::uint64_t seed, std::int64_t interval_seconds, double start_price,
                             std::int64_t start_timestamp)
    : random_(seed),
      interval_seconds_(interval_seconds),
      next_timestamp_(start_timestamp),
      start_price_(start_price),
      last_close_(start_price) {
    if (interval_seconds <= 0) {
        throw Error(
            fmt::format("synthetic feed: expected a positive candle interval in seconds, got {}", interval_seconds));
    }
    if (!(start_price > 0) || !std::isfinite(start_price)) {
        throw Error(fmt::format("synthetic feed: expected a positive start price, got {}", start_price));
    }
    const auto bar_seconds = static_cast<double>(interval_seconds);
    const double years_per_bar = bar_seconds / kSecondsPerYear;
    calm_sigma_ = kCalmVolatility * std::sqrt(years_per_bar);
    turbulent_sigma_ = kTurbulentVolatility * std::sqrt(years_per_bar);
    calm_to_turbulent_ = probability_within(bar_seconds, kMeanCalmSeconds);
    turbulent_to_calm_ = probability_within(bar_seconds, kMeanTurbulentSeconds);
    calm_jump_probability_ = probability_within(bar_seconds, 86400.0 / kCalmJumpsPerDay);
    turbulent_jump_probability_ = probability_within(bar_seconds, 86400.0 / kTurbulentJumpsPerDay);
    base_volume_ = kBaseVolumePerHour * bar_seconds / 3600.0;
}

double SyntheticFeed::uniform_open_closed() {
    // The top 53 bits fill a double's mantissa exactly; +1 moves [0, 2^53) to (0, 2^53] so log() stays finite.
    return static_cast<double>((random_() >> 11) + 1) * 0x1.0p-53;
}

double SyntheticFeed::standard_normal() {
    if (has_spare_normal_) {
        has_spare_normal_ = false;
        return spare_normal_;
    }
    // Marsaglia's polar method: needs only log and sqrt, no trigonometry.
    double x = 0, y = 0, s = 0;
    do {
        x = 2.0 * uniform_open_closed() - 1.0;
        y = 2.0 * uniform_open_closed() - 1.0;
        s = x * x + y * y;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_normal_ = y * factor;
    has_spare_normal_ = true;
    return x * factor;
}

Candle SyntheticFeed::next() {
    const double switch_probability = turbulent_ ? turbulent_to_calm_ : calm_to_turbulent_;
    if (uniform_open_closed() <= switch_probability) turbulent_ = !turbulent_;

    const double sigma = turbulent_ ? turbulent_sigma_ : calm_sigma_;
    // Zero log drift: the synthetic market has no trend of its own, only volatility.
    double log_return = sigma * standard_normal();
    const double jump_probability = turbulent_ ? turbulent_jump_probability_ : calm_jump_probability_;
    if (uniform_open_closed() <= jump_probability) {
        log_return += (turbulent_ ? kTurbulentJumpSize : kCalmJumpSize) * standard_normal();
    }

    // The maximum M of a Brownian bridge from 0 to b = log_return with variance sigma^2 has
    // P(M > m) = exp(-2m(m - b) / sigma^2) for m >= max(0, b). Inverting it at a uniform u gives
    // M = (b + sqrt(b^2 - 2 sigma^2 ln u)) / 2, always >= max(0, b); the minimum is its mirror image.
    const auto bridge_spread = [&] {
        return std::sqrt(log_return * log_return - 2.0 * sigma * sigma * std::log(uniform_open_closed()));
    };
    const double high_exponent = 0.5 * (log_return + bridge_spread());
    const double low_exponent = 0.5 * (log_return - bridge_spread());
    const double open = last_close_;
    Candle candle{};
    candle.timestamp = next_timestamp_;
    candle.open = open;
    candle.close = open * std::exp(log_return);
    candle.high = open * std::exp(high_exponent);
    candle.low = open * std::exp(low_exponent);

    // Activity grows with the move measured in calm-regime standard deviations. The start_price / close factor keeps
    // the traded value, not the asset count, level as the price wanders. The lognormal noise has mean 1.
    const double activity = 0.5 + std::abs(log_return) / calm_sigma_;
    const double noise = std::exp(kVolumeNoise * standard_normal() - 0.5 * kVolumeNoise * kVolumeNoise);
    candle.volume =
        base_volume_ * (start_price_ / candle.close) * activity * noise * (turbulent_ ? kTurbulentVolumeFactor : 1.0);

    last_close_ = candle.close;
    next_timestamp_ += interval_seconds_;
    return candle;
}

// ---------------------------------------------------------------------------------------------------------------
// CSV reading

namespace {

constexpr std::string_view kHeader = "timestamp,open,high,low,close,volume";
constexpr std::array<std::string_view, 6> kColumns{"timestamp", "open", "high", "low", "close", "volume"};

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Splits on commas into `fields`; returns the number of fields found (more than fields.size() is counted, not kept).
std::size_t split_fields(std::string_view line, std::array<std::string_view, 6>& fields) {
    std::size_t count = 0;
    while (true) {
        const std::size_t comma = line.find(',');
        const std::string_view field = trim(line.substr(0, comma));
        if (count < fields.size()) fields[count] = field;
        ++count;
        if (comma == std::string_view::npos) return count;
        line.remove_prefix(comma + 1);
    }
}

std::optional<double> parse_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text) {
    Integer value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// "YYYY-MM-DD HH:MM:SS" (UTC) or integer Unix seconds, both within the engine's calendar range (1970 to 2199): a
// replay shifts times by the recording's span, which must not overflow (UBSan caught 9e18 - -9e18 in fuzz_csv).
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
    constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
    if (text.size() != kShape.size() || text[4] != '-') {
        const std::optional<std::int64_t> seconds = parse_integer<std::int64_t>(text);
        if (seconds && (*seconds < kEarliestTimestamp || *seconds > kLatestTimestamp)) return std::nullopt;
        return seconds;
    }
    for (std::size_t i = 0; i < kShape.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
    }
    const int year = *parse_integer<int>(text.substr(0, 4));
    const unsigned month = *parse_integer<unsigned>(text.substr(5, 2));
    const unsigned day = *parse_integer<unsigned>(text.substr(8, 2));
    // 64-bit so that the seconds of the day below are summed in the type of the result.
    const auto hour = *parse_integer<std::int64_t>(text.substr(11, 2));
    const auto minute = *parse_integer<std::int64_t>(text.substr(14, 2));
    const auto second = *parse_integer<std::int64_t>(text.substr(17, 2));
    const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
    if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    const auto midnight = std::chrono::sys_days{date}.time_since_epoch();
    const std::int64_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(midnight).count() + hour * 3600 + minute * 60 + second;
    if (seconds < kEarliestTimestamp || seconds > kLatestTimestamp) return std::nullopt;
    return seconds;
}

// Reports problems as "<file>:<line>: <message>".
class CsvRowParser {
public:
    CsvRowParser(const std::string& file, std::size_t line) : file_(file), line_(line) {}

    [[noreturn]] void fail(std::string_view message) const {
        throw Error(fmt::format("{}:{}: {}", file_, line_, message));
    }
    [[noreturn]] void fail_column(std::size_t column, std::string_view expected, std::string_view got) const {
        fail(fmt::format("column '{}': expected {}, got '{}'", kColumns[column], expected, excerpt(got)));
    }

    double number(const std::array<std::string_view, 6>& fields, std::size_t column) const {
        const std::optional<double> value = parse_number(fields[column]);
        if (!value) fail_column(column, "a number", fields[column]);
        return *value;
    }

private:
    const std::string& file_;
    std::size_t line_;
};

// The CSV's lines, read in chunks: memory stays the candles' and one chunk's, whatever the file's size.
class LineReader {
public:
    LineReader(const std::filesystem::path& file) : input_(file, kMaxCsvFileBytes), name_(file.string()) {}

    // The next line without its end of line; false at the end of the file.
    bool next(std::string_view& line) {
        while (true) {
            const std::size_t newline = buffer_.find('\n', start_);
            if (newline != std::string::npos) return take(newline, newline + 1, line);
            if (at_end_) {
                if (start_ == buffer_.size()) return false;
                return take(buffer_.size(), buffer_.size(), line);
            }
            buffer_.erase(0, start_);
            start_ = 0;
            if (buffer_.size() > kMaxLineBytes) {
                throw Error(fmt::format("{}:{}: expected a line of at most {} bytes, got '{}'", name_, line_number_ + 1,
                                        kMaxLineBytes, excerpt(buffer_)));
            }
            char chunk[1 << 16];
            const std::size_t got = input_.read(chunk, sizeof chunk);
            at_end_ = got == 0;
            buffer_.append(chunk, got);
        }
    }
    std::size_t line_number() const { return line_number_; }
    std::uint64_t file_size() const { return input_.size(); }

private:
    // A candle line is about 60 bytes: a longer one is not a candle, and a file with no newline must not be read
    // whole as one line.
    static constexpr std::size_t kMaxLineBytes = 4096;

    bool take(std::size_t end, std::size_t next_start, std::string_view& line) {
        line = std::string_view(buffer_).substr(start_, end - start_);
        if (line.size() > kMaxLineBytes) {
            throw Error(fmt::format("{}:{}: expected a line of at most {} bytes, got '{}'", name_, line_number_ + 1,
                                    kMaxLineBytes, excerpt(line)));
        }
        start_ = next_start;
        ++line_number_;
        return true;
    }

    InputFile input_;
    std::string name_;
    std::string buffer_;
    std::size_t start_ = 0;
    std::size_t line_number_ = 0;
    bool at_end_ = false;
};

}  // namespace

std::vector<Candle> read_candles_csv(const std::filesystem::path& file) {
    const std::string name = file.string();
    LineReader lines(file);
    std::vector<Candle> candles;
    // A CSV candle line is about 60 bytes; reserving avoids most regrowth without a counting pass.
    candles.reserve(std::min<std::size_t>(static_cast<std::size_t>(lines.file_size() / 48 + 1), 1 << 20));
    bool header_seen = false;
    std::string previous_timestamp;
    std::array<std::string_view, 6> fields;
    std::string_view line;
    while (lines.next(line)) {
        const std::size_t line_number = lines.line_number();
        if (line_number == 1) {
            constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";
            if (line.starts_with(kUtf8ByteOrderMark)) line.remove_prefix(kUtf8ByteOrderMark.size());
        }
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (trim(line).empty()) continue;

        const CsvRowParser row(name, line_number);
        const std::size_t field_count = split_fields(line, fields);
        if (!header_seen) {
            const bool header_matches =
                field_count == kColumns.size() && std::equal(kColumns.begin(), kColumns.end(), fields.begin());
            if (!header_matches) row.fail(fmt::format("expected the header '{}', got '{}'", kHeader, excerpt(line)));
            header_seen = true;
            continue;
        }
        if (field_count != kColumns.size()) {
            row.fail(fmt::format("expected {} columns ({}), got {} in '{}'", kColumns.size(), kHeader, field_count,
                                 excerpt(line)));
        }

        Candle candle{};
        const std::optional<std::int64_t> timestamp = parse_timestamp(fields[0]);
        if (!timestamp) {
            row.fail_column(0, "'YYYY-MM-DD HH:MM:SS' (UTC) or Unix seconds, from 1970 to 2199", fields[0]);
        }
        candle.timestamp = *timestamp;
        if (!candles.empty() && candle.timestamp <= candles.back().timestamp) {
            row.fail_column(0, fmt::format("a time after the previous row's '{}'", previous_timestamp), fields[0]);
        }
        previous_timestamp = std::string(fields[0]);

        std::array<double, 6> values{};  // by column; [0] stays unused, the timestamp is an integer
        for (std::size_t column = 1; column < kColumns.size(); ++column) values[column] = row.number(fields, column);
        for (std::size_t price_column = 1; price_column <= 4; ++price_column) {
            if (!(values[price_column] > 0)) row.fail_column(price_column, "a positive price", fields[price_column]);
        }
        if (values[5] < 0) row.fail_column(5, "a volume >= 0", fields[5]);
        candle.open = values[1];
        candle.high = values[2];
        candle.low = values[3];
        candle.close = values[4];
        candle.volume = values[5];
        if (candle.high < candle.low) row.fail_column(2, fmt::format("at least low ({})", candle.low), fields[2]);
        const double body_top = std::max(candle.open, candle.close);
        const double body_bottom = std::min(candle.open, candle.close);
        if (candle.high < body_top) {
            row.fail_column(2, fmt::format("at least max(open, close) ({})", body_top), fields[2]);
        }
        if (candle.low > body_bottom) {
            row.fail_column(3, fmt::format("at most min(open, close) ({})", body_bottom), fields[3]);
        }
        candles.push_back(candle);
    }
    if (!header_seen) throw Error(fmt::format("{}: expected the header '{}', got an empty file", name, kHeader));
    if (candles.empty()) throw Error(fmt::format("{}: expected candle rows after the header, got none", name));
    return candles;
}

// ---------------------------------------------------------------------------------------------------------------
// ReplayFeed

ReplayFeed::ReplayFeed(std::vector<Candle> candles) : candles_(std::move(candles)) {
    if (candles_.size() < 2) {
        throw Error(fmt::format("replay feed: expected at least 2 candles, got {}", candles_.size()));
    }
    for (std::size_t i = 1; i < candles_.size(); ++i) {
        if (candles_[i].timestamp <= candles_[i - 1].timestamp) {
            throw Error(fmt::format("replay feed: candle {}: expected a timestamp after {}, got {}", i,
                                    candles_[i - 1].timestamp, candles_[i].timestamp));
        }
    }
    if (!(candles_.front().open > 0)) {
        throw Error(fmt::format("replay feed: candle 0: expected a positive open, got {}", candles_.front().open));
    }
    const std::int64_t last_spacing = candles_.back().timestamp - candles_[candles_.size() - 2].timestamp;
    span_seconds_ = candles_.back().timestamp - candles_.front().timestamp + last_spacing;
}

Candle ReplayFeed::next() {
    if (position_ == candles_.size()) {
        price_scale_ *= candles_.back().close / candles_.front().open;
        // Each pass moves the recording one span later; past the engine's calendar the times would overflow.
        if (time_shift_ > kLatestTimestamp - candles_.back().timestamp - span_seconds_) {
            throw Error(
                fmt::format("replay feed: replaying the recording again would reach past 2199-12-31 (the "
                            "engine's calendar); expected a recording that is longer, or later in time "
                            "by less, or a shorter run"));
        }
        time_shift_ += span_seconds_;
        position_ = 0;
    }
    const Candle& recorded = candles_[position_++];
    return Candle{recorded.timestamp + time_shift_, recorded.open * price_scale_,  recorded.high * price_scale_,
                  recorded.low * price_scale_,      recorded.close * price_scale_, recorded.volume};
}

}  // namespace memsoak::engine
