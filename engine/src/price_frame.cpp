#include "memsoak/engine/price_frame.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/footprint.hpp"

namespace memsoak::engine {
namespace {

// OHLCV plus the indicators of compute_indicators() (24): reserving them up front keeps the column table from
// regrowing while an analysis fills it.
constexpr std::size_t kExpectedColumns = 32;

}  // namespace

PriceFrame::PriceFrame(std::vector<std::int64_t> time_index) : time_index_(std::move(time_index)) {
    columns_.reserve(kExpectedColumns);
}

PriceFrame PriceFrame::from_candles(std::span<const Candle> candles) {
    std::vector<std::int64_t> times(candles.size());
    for (std::size_t row = 0; row < candles.size(); ++row) times[row] = candles[row].timestamp;
    PriceFrame frame(std::move(times));
    std::span<double> open = frame.add_column("open");
    std::span<double> high = frame.add_column("high");
    std::span<double> low = frame.add_column("low");
    std::span<double> close = frame.add_column("close");
    std::span<double> volume = frame.add_column("volume");
    for (std::size_t row = 0; row < candles.size(); ++row) {
        open[row] = candles[row].open;
        high[row] = candles[row].high;
        low[row] = candles[row].low;
        close[row] = candles[row].close;
        volume[row] = candles[row].volume;
    }
    return frame;
}

std::span<double> PriceFrame::add_column(std::string name) {
    if (name.empty()) throw Error("price frame: expected a non-empty column name");
    if (has_column(name)) throw Error(fmt::format("price frame: column '{}' already exists", name));
    // Moving a Column moves its vector's buffer, so spans handed out earlier survive the table regrowing.
    Column& added = columns_.emplace_back(
        Column{std::move(name), std::vector<double>(rows(), std::numeric_limits<double>::quiet_NaN())});
    return added.values;
}

std::size_t PriceFrame::index_of(std::string_view name) const {
    // Linear search: a frame has a few dozen columns, and lookups happen per analysis, not per row.
    for (std::size_t index = 0; index < columns_.size(); ++index) {
        if (columns_[index].name == name) return index;
    }
    return kNotFound;
}

void PriceFrame::throw_missing(std::string_view name) const {
    throw Error(fmt::format("price frame: no column '{}'; columns are: {}", name, fmt::join(column_names(), ", ")));
}

std::span<double> PriceFrame::column(std::string_view name) {
    const std::size_t index = index_of(name);
    if (index == kNotFound) throw_missing(name);
    return columns_[index].values;
}

std::span<const double> PriceFrame::column(std::string_view name) const {
    const std::size_t index = index_of(name);
    if (index == kNotFound) throw_missing(name);
    return columns_[index].values;
}

bool PriceFrame::has_column(std::string_view name) const { return index_of(name) != kNotFound; }

std::vector<std::string_view> PriceFrame::column_names() const {
    std::vector<std::string_view> names;
    names.reserve(columns_.size());
    for (const Column& column : columns_) names.push_back(column.name);
    return names;
}

std::uint64_t PriceFrame::retained_bytes() const {
    std::uint64_t bytes = sizeof(PriceFrame) + heap_bytes(time_index_) + heap_bytes(columns_);
    for (const Column& column : columns_) bytes += heap_bytes(column.name) + heap_bytes(column.values);
    return bytes;
}

}  // namespace memsoak::engine
