#pragma once
// A column-oriented table of prices and indicators: the C++ counterpart of the pandas DataFrame that the study's
// analysis returns as price_data. One time index and named double columns of equal length, in insertion order.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/engine/market_data.hpp"

namespace memsoak::engine {

class PriceFrame {
public:
    PriceFrame() = default;
    // A frame of time_index.size() rows and no columns yet. Times are Unix seconds.
    explicit PriceFrame(std::vector<std::int64_t> time_index);
    // A frame indexed by the candles' timestamps with the columns open, high, low, close, volume.
    static PriceFrame from_candles(std::span<const Candle> candles);

    std::size_t rows() const { return time_index_.size(); }
    std::size_t column_count() const { return columns_.size(); }
    std::span<const std::int64_t> time_index() const { return time_index_; }

    // Appends a column of rows() NaNs for the caller to fill. Throws engine::Error for an empty or taken name.
    // Column storage never moves once created: spans stay valid while the frame (or the frame it was moved into)
    // lives, even as more columns are added.
    std::span<double> add_column(std::string name);
    // Throws engine::Error naming the missing column and the ones present.
    std::span<double> column(std::string_view name);
    std::span<const double> column(std::string_view name) const;
    bool has_column(std::string_view name) const;
    std::vector<std::string_view> column_names() const;  // in insertion order

    // Bytes this frame keeps alive: the object, the capacity of every vector and the heap buffers of the names.
    std::uint64_t retained_bytes() const;

private:
    struct Column {
        std::string name;
        std::vector<double> values;
    };
    static constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);
    std::size_t index_of(std::string_view name) const;  // kNotFound if absent
    [[noreturn]] void throw_missing(std::string_view name) const;

    std::vector<std::int64_t> time_index_;
    std::vector<Column> columns_;
};

}  // namespace memsoak::engine
