#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/price_frame.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

using testing::expect_error;

std::vector<Candle> three_candles() {
    return {Candle{1000, 10, 12, 9, 11, 500}, Candle{1060, 11, 13, 10, 12, 600}, Candle{1120, 12, 12.5, 8, 9, 700}};
}

TEST(PriceFrame, FromCandlesBuildsTheTimeIndexAndOhlcvColumns) {
    const PriceFrame frame = PriceFrame::from_candles(three_candles());
    EXPECT_EQ(3u, frame.rows());
    EXPECT_EQ(5u, frame.column_count());
    EXPECT_EQ((std::vector<std::string_view>{"open", "high", "low", "close", "volume"}), frame.column_names());
    EXPECT_EQ((std::vector<std::int64_t>{1000, 1060, 1120}),
              std::vector<std::int64_t>(frame.time_index().begin(), frame.time_index().end()));
    const auto values = [&frame](std::string_view name) {
        const std::span<const double> column = frame.column(name);
        return std::vector<double>(column.begin(), column.end());
    };
    EXPECT_EQ((std::vector<double>{10, 11, 12}), values("open"));
    EXPECT_EQ((std::vector<double>{12, 13, 12.5}), values("high"));
    EXPECT_EQ((std::vector<double>{9, 10, 8}), values("low"));
    EXPECT_EQ((std::vector<double>{11, 12, 9}), values("close"));
    EXPECT_EQ((std::vector<double>{500, 600, 700}), values("volume"));
}

TEST(PriceFrame, AddedColumnsAreNaNFilledAndWritable) {
    PriceFrame frame = PriceFrame::from_candles(three_candles());
    EXPECT_FALSE(frame.has_column("spread"));
    std::span<double> spread = frame.add_column("spread");
    ASSERT_EQ(3u, spread.size());
    for (double value : spread) EXPECT_TRUE(std::isnan(value));
    spread[1] = 3.0;
    EXPECT_TRUE(frame.has_column("spread"));
    EXPECT_EQ(3.0, std::as_const(frame).column("spread")[1]);
    EXPECT_EQ("spread", frame.column_names().back());
}

TEST(PriceFrame, NamesAreCheckedWithExactMessages) {
    PriceFrame frame = PriceFrame::from_candles(three_candles());
    expect_error<Error>([&] { frame.add_column("close"); }, "price frame: column 'close' already exists");
    expect_error<Error>([&] { frame.add_column(""); }, "price frame: expected a non-empty column name");
    expect_error<Error>([&] { frame.column("sma_20"); },
                        "price frame: no column 'sma_20'; columns are: open, high, low, close, volume");
    expect_error<Error>([&] { std::as_const(frame).column("rsi"); },
                        "price frame: no column 'rsi'; columns are: open, high, low, close, volume");
}

TEST(PriceFrame, ColumnStorageSurvivesMoreColumnsAndMoves) {
    PriceFrame frame = PriceFrame::from_candles(three_candles());
    const double* close_storage = frame.column("close").data();
    // Well past the reserved column table, so the table itself must regrow.
    for (int i = 0; i < 100; ++i) frame.add_column("extra_" + std::to_string(i));
    EXPECT_EQ(close_storage, frame.column("close").data());

    const PriceFrame moved = std::move(frame);
    EXPECT_EQ(close_storage, moved.column("close").data());
    EXPECT_EQ(9.0, moved.column("close")[2]);
    EXPECT_EQ(105u, moved.column_count());
}

TEST(PriceFrame, RetainedBytesCountsEveryBuffer) {
    EXPECT_EQ(sizeof(PriceFrame), PriceFrame().retained_bytes());

    PriceFrame frame(std::vector<std::int64_t>(100));
    const std::uint64_t empty = frame.retained_bytes();
    EXPECT_GE(empty, sizeof(PriceFrame) + 100 * sizeof(std::int64_t));

    // A short name lives in the string object (small-string buffer): only the 100 doubles are added.
    frame.add_column("close");
    EXPECT_EQ(empty + 100 * sizeof(double), frame.retained_bytes());
    // A 40-character name takes a heap buffer of 40 characters plus the terminator.
    frame.add_column(std::string(40, 'x'));
    EXPECT_EQ(empty + 2 * 100 * sizeof(double) + 41, frame.retained_bytes());
}

}  // namespace
}  // namespace memsoak::engine
