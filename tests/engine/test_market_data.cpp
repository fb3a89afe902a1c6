#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/market_data.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::engine {
namespace {

using testing::btc_candles_csv;
using testing::expect_error;
using testing::source_file;
using testing::TempDir;

const std::filesystem::path kDataDir = source_file("tests/data");
constexpr std::string_view kHeader = "timestamp,open,high,low,close,volume\n";

// Writes CSV fixtures into a directory of this test's own, removed afterwards.
class ReadCandlesCsvFile : public ::testing::Test {
protected:
    std::filesystem::path write(const std::string& name, std::string_view contents) const {
        const std::filesystem::path file = directory_ / name;
        testing::write_text(file, contents);
        return file;
    }

    TempDir directory_;
};

// --- SyntheticFeed -----------------------------------------------------------------------------------------------

std::vector<Candle> generate(std::uint64_t seed, std::size_t count) {
    SyntheticFeed feed(seed, 60, 30000.0, 1609459200);
    std::vector<Candle> candles(count);
    for (Candle& candle : candles) candle = feed.next();
    return candles;
}

TEST(SyntheticFeed, SameSeedGivesTheSameCandlesBitForBit) {
    const std::vector<Candle> first = generate(42, 2000);
    const std::vector<Candle> second = generate(42, 2000);
    for (std::size_t i = 0; i < first.size(); ++i) {
        ASSERT_EQ(first[i].timestamp, second[i].timestamp) << i;
        ASSERT_EQ(first[i].open, second[i].open) << i;
        ASSERT_EQ(first[i].high, second[i].high) << i;
        ASSERT_EQ(first[i].low, second[i].low) << i;
        ASSERT_EQ(first[i].close, second[i].close) << i;
        ASSERT_EQ(first[i].volume, second[i].volume) << i;
    }
}

TEST(SyntheticFeed, DifferentSeedsGiveDifferentCandles) {
    const std::vector<Candle> first = generate(42, 1000);
    const std::vector<Candle> second = generate(43, 1000);
    const auto same_close = std::count_if(first.begin(), first.end(), [&, i = std::size_t{0}](const Candle& c) mutable {
        return c.close == second[i++].close;
    });
    EXPECT_EQ(0, same_close);
}

TEST(SyntheticFeed, StartsAtTheGivenPriceAndTime) {
    SyntheticFeed feed(7, 300, 1234.5, 1700000000);
    const Candle first = feed.next();
    EXPECT_EQ(1700000000, first.timestamp);
    EXPECT_EQ(1234.5, first.open);
    EXPECT_EQ(1700000300, feed.next().timestamp);
}

TEST(SyntheticFeed, CandleInvariantsAndMarketShapeOver100kCandles) {
    constexpr std::size_t kCount = 100'000;
    SyntheticFeed feed(2024, 60, 30000.0, 1609459200);
    Candle previous = feed.next();
    // Per-regime return statistics, returns' moments, and the volume/|return| correlation.
    double calm_squares = 0, turbulent_squares = 0;
    std::size_t calm_bars = 0, turbulent_bars = 0;
    std::vector<double> returns, volumes;
    returns.reserve(kCount);
    volumes.reserve(kCount);
    for (std::size_t i = 1; i < kCount; ++i) {
        const Candle c = feed.next();
        ASSERT_EQ(previous.timestamp + 60, c.timestamp) << i;
        ASSERT_EQ(previous.close, c.open) << i;
        ASSERT_TRUE(c.low > 0 && std::isfinite(c.high)) << i;
        ASSERT_LE(c.low, std::min(c.open, c.close)) << i;
        ASSERT_LE(std::max(c.open, c.close), c.high) << i;
        ASSERT_GT(c.volume, 0) << i;
        const double r = std::log(c.close / c.open);
        (feed.turbulent() ? turbulent_squares : calm_squares) += r * r;
        ++(feed.turbulent() ? turbulent_bars : calm_bars);
        returns.push_back(r);
        volumes.push_back(c.volume);
        previous = c;
    }

    // Regimes: both occur, turbulence is the minority, and its bars move more than twice as much.
    const double turbulent_share = static_cast<double>(turbulent_bars) / static_cast<double>(kCount - 1);
    EXPECT_GT(turbulent_share, 0.05);
    EXPECT_LT(turbulent_share, 0.40);
    const double volatility_ratio = std::sqrt((turbulent_squares / static_cast<double>(turbulent_bars)) /
                                              (calm_squares / static_cast<double>(calm_bars)));
    EXPECT_GT(volatility_ratio, 2.0);
    EXPECT_LT(volatility_ratio, 4.0);

    // Fat tails: regime mixing and jumps push the kurtosis well above a normal distribution's 3.
    const double n = static_cast<double>(returns.size());
    double mean = 0;
    for (double r : returns) mean += r / n;
    double m2 = 0, m4 = 0;
    for (double r : returns) {
        m2 += (r - mean) * (r - mean) / n;
        m4 += std::pow(r - mean, 4) / n;
    }
    EXPECT_GT(m4 / (m2 * m2), 5.0);

    // Volume follows the size of the move.
    double mean_abs = 0, mean_volume = 0;
    for (std::size_t i = 0; i < returns.size(); ++i) {
        mean_abs += std::abs(returns[i]) / n;
        mean_volume += volumes[i] / n;
    }
    double covariance = 0, abs_variance = 0, volume_variance = 0;
    for (std::size_t i = 0; i < returns.size(); ++i) {
        const double a = std::abs(returns[i]) - mean_abs;
        const double v = volumes[i] - mean_volume;
        covariance += a * v;
        abs_variance += a * a;
        volume_variance += v * v;
    }
    EXPECT_GT(covariance / std::sqrt(abs_variance * volume_variance), 0.3);
}

TEST(SyntheticFeed, RejectsANonPositiveIntervalOrPrice) {
    expect_error<Error>([] { SyntheticFeed(1, 0, 100.0, 0); },
                        "synthetic feed: expected a positive candle interval in seconds, got 0");
    expect_error<Error>([] { SyntheticFeed(1, 60, -1.0, 0); },
                        "synthetic feed: expected a positive start price, got -1");
}

// --- read_candles_csv --------------------------------------------------------------------------------------------

TEST(ReadCandlesCsv, ReadsTheBtcFile) {
    const std::vector<Candle> candles = read_candles_csv(btc_candles_csv());
    ASSERT_EQ(745u, candles.size());
    // 2021-01-01 00:00:00 28923.63,29031.34,28690.17,28995.13,2311.811445
    EXPECT_EQ(1609459200, candles.front().timestamp);
    EXPECT_EQ(28923.63, candles.front().open);
    EXPECT_EQ(29031.34, candles.front().high);
    EXPECT_EQ(28690.17, candles.front().low);
    EXPECT_EQ(28995.13, candles.front().close);
    EXPECT_EQ(2311.811445, candles.front().volume);
    // 2021-02-01 00:00:00, 744 hours later.
    EXPECT_EQ(1609459200 + 744 * 3600, candles.back().timestamp);
    EXPECT_EQ(32546.27, candles.back().close);
}

TEST(ReadCandlesCsv, ReadsTheEthFile) {
    const std::vector<Candle> candles = read_candles_csv(kDataDir / "ETHUSDT_1h.csv");
    ASSERT_EQ(745u, candles.size());
    EXPECT_EQ(734.07, candles.front().close);
    EXPECT_EQ(1279.97, candles.back().close);
}

TEST_F(ReadCandlesCsvFile, ToleratesUnixSecondsCrlfByteOrderMarkBlankLinesAndSpaces) {
    const auto file = write("tolerant.csv",
                            "\xEF\xBB\xBFtimestamp,open,high,low,close,volume\r\n"
                            "1609459200, 1,2 ,0.5,1.5,10\r\n"
                            "\r\n"
                            "2021-01-01 01:00:00,1.5,2,1,1.8,0\r\n"
                            "\n");
    const std::vector<Candle> candles = read_candles_csv(file);
    ASSERT_EQ(2u, candles.size());
    EXPECT_EQ(1609459200, candles[0].timestamp);
    EXPECT_EQ(1.0, candles[0].open);
    EXPECT_EQ(2.0, candles[0].high);
    EXPECT_EQ(1609462800, candles[1].timestamp);
    EXPECT_EQ(1.8, candles[1].close);
    EXPECT_EQ(0.0, candles[1].volume);
}

struct MalformedCase {
    std::string contents;
    std::string expected;  // the message after "<file>"
};

TEST_F(ReadCandlesCsvFile, EveryMalformedKindHasItsExactMessage) {
    const std::string good_row = "2021-01-01 00:00:00,1,2,0.5,1.5,10\n";
    const std::string header(kHeader);
    const std::vector<MalformedCase> cases{
        {header + good_row + "2021-01-01 01:00:00,1,2,0.5,abc,10\n",
         ":3: column 'close': expected a number, got 'abc'"},
        {header + "2021-01-01 00:00:00,1,nan,0.5,1.5,10\n", ":2: column 'high': expected a number, got 'nan'"},
        {header + "2021-01-01 00:00:00,1.5x,2,0.5,1.5,10\n", ":2: column 'open': expected a number, got '1.5x'"},
        {header + "2021-01-01 00:00:00,1,2,,1.5,10\n", ":2: column 'low': expected a number, got ''"},
        {header + "2021-01-01 00:00:00,1,2,0.5,1.5\n",
         ":2: expected 6 columns (timestamp,open,high,low,close,volume), got 5 in '2021-01-01 00:00:00,1,2,0.5,1.5'"},
        {header + "2021-01-01 00:00:00,1,2,0.5,1.5,10,7\n",
         ":2: expected 6 columns (timestamp,open,high,low,close,volume), got 7 in "
         "'2021-01-01 00:00:00,1,2,0.5,1.5,10,7'"},
        {"time,open,high,low,close,volume\n" + good_row,
         ":1: expected the header 'timestamp,open,high,low,close,volume', got 'time,open,high,low,close,volume'"},
        {good_row,
         ":1: expected the header 'timestamp,open,high,low,close,volume', got '2021-01-01 00:00:00,1,2,0.5,1.5,10'"},
        {header + "2021-02-30 00:00:00,1,2,0.5,1.5,10\n",
         ":2: column 'timestamp': expected 'YYYY-MM-DD HH:MM:SS' (UTC) or Unix seconds, from 1970 to 2199, got "
         "'2021-02-30 00:00:00'"},
        {header + "2021-01-01T00:00:00,1,2,0.5,1.5,10\n",
         ":2: column 'timestamp': expected 'YYYY-MM-DD HH:MM:SS' (UTC) or Unix seconds, from 1970 to 2199, got "
         "'2021-01-01T00:00:00'"},
        {header + "2021-01-01 24:00:00,1,2,0.5,1.5,10\n",
         ":2: column 'timestamp': expected 'YYYY-MM-DD HH:MM:SS' (UTC) or Unix seconds, from 1970 to 2199, got "
         "'2021-01-01 24:00:00'"},
        {header + "yesterday,1,2,0.5,1.5,10\n",
         ":2: column 'timestamp': expected 'YYYY-MM-DD HH:MM:SS' (UTC) or Unix seconds, from 1970 to 2199, got "
         "'yesterday'"},
        // Line numbers count blank lines too: the repeated time is on line 4.
        {header + good_row + "\n" + good_row,
         ":4: column 'timestamp': expected a time after the previous row's '2021-01-01 00:00:00', "
         "got '2021-01-01 00:00:00'"},
        {header + "1609462800,1,2,0.5,1.5,10\n1609459200,1,2,0.5,1.5,10\n",
         ":3: column 'timestamp': expected a time after the previous row's '1609462800', got '1609459200'"},
        {header + "2021-01-01 00:00:00,1,0.5,2,1,10\n", ":2: column 'high': expected at least low (2), got '0.5'"},
        {header + "2021-01-01 00:00:00,1,1.2,0.9,1.5,10\n",
         ":2: column 'high': expected at least max(open, close) (1.5), got '1.2'"},
        {header + "2021-01-01 00:00:00,1,2,1.1,1.5,10\n",
         ":2: column 'low': expected at most min(open, close) (1), got '1.1'"},
        {header + "2021-01-01 00:00:00,0,2,0.5,1.5,10\n", ":2: column 'open': expected a positive price, got '0'"},
        {header + "2021-01-01 00:00:00,1,2,0.5,1.5,-1\n", ":2: column 'volume': expected a volume >= 0, got '-1'"},
        {"", ": expected the header 'timestamp,open,high,low,close,volume', got an empty file"},
        {"\r\n\n", ": expected the header 'timestamp,open,high,low,close,volume', got an empty file"},
        {header, ": expected candle rows after the header, got none"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].contents);
        const auto file = write("bad_" + std::to_string(i) + ".csv", cases[i].contents);
        expect_error<Error>([&] { read_candles_csv(file); }, file.string() + cases[i].expected);
    }
}

TEST_F(ReadCandlesCsvFile, FilesThatCannotBeReadNameThePathAsGivenAndTheSystemError) {
    expect_error<Error>([] { read_candles_csv("no/such/file.csv"); },
                        "no/such/file.csv: cannot open file: No such file or directory");
    expect_error<Error>([&] { read_candles_csv(directory_.path()); },
                        directory_.path().string() + ": expected a regular file, got a folder");
}

// --- ReplayFeed --------------------------------------------------------------------------------------------------

TEST(ReplayFeed, FirstPassIsTheRecordingThenTimeAndPriceContinue) {
    const std::vector<Candle> recorded = read_candles_csv(btc_candles_csv());
    ReplayFeed feed(recorded);
    std::vector<Candle> replayed(recorded.size() * 3);
    for (Candle& candle : replayed) candle = feed.next();

    for (std::size_t i = 0; i < recorded.size(); ++i) {
        ASSERT_EQ(recorded[i].timestamp, replayed[i].timestamp);
        ASSERT_EQ(recorded[i].close, replayed[i].close);
    }
    // Hourly data: every step is one hour, across the wrap-arounds too.
    for (std::size_t i = 1; i < replayed.size(); ++i) {
        ASSERT_EQ(replayed[i - 1].timestamp + 3600, replayed[i].timestamp) << i;
    }
    for (std::size_t pass = 1; pass < 3; ++pass) {
        SCOPED_TRACE(pass);
        const std::size_t start = pass * recorded.size();
        // Opens where the previous pass closed (the recording itself opens a little off its own last close).
        EXPECT_NEAR(1.0, replayed[start].open / replayed[start - 1].close, 1e-12);
        for (std::size_t i = 0; i < recorded.size(); ++i) {
            const Candle& original = recorded[i];
            const Candle& again = replayed[start + i];
            ASSERT_NEAR(original.close / original.open, again.close / again.open, 1e-12) << i;
            ASSERT_NEAR(original.high / original.low, again.high / again.low, 1e-12) << i;
            ASSERT_EQ(original.volume, again.volume) << i;
        }
    }
}

TEST(ReplayFeed, RejectsTooFewOrUnorderedCandles) {
    expect_error<Error>(
        [] {
            ReplayFeed({Candle{100, 1, 1, 1, 1, 1}});
        },
        "replay feed: expected at least 2 candles, got 1");
    expect_error<Error>(
        [] {
            ReplayFeed({Candle{100, 1, 1, 1, 1, 1}, Candle{100, 1, 1, 1, 1, 1}});
        },
        "replay feed: candle 1: expected a timestamp after 100, got 100");
}

}  // namespace
}  // namespace memsoak::engine
