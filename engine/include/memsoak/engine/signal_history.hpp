#pragma once
// Study issue #5 (signal_history_widget.py:50): the widget listing past trade signals. The leaky policy is the
// study's list that grows forever; the fix keeps the last `capacity` (500, about five days of 15-minute signals).

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "memsoak/engine/analyzer.hpp"
#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/policies.hpp"
#include "memsoak/engine/ring_buffer.hpp"

namespace memsoak::engine {

// One signal as the widget receives it: about 1 KB with its readings and reasons, the study's "~1 KB".
struct SignalRecord {
    std::int64_t timestamp = 0;  // Unix seconds of the analysed candle
    TradeAction action = TradeAction::hold;
    double confidence = 0;                                 // 0..1
    double price = 0;                                      // the last close
    std::vector<std::string> reasons;                      // e.g. "RSI 28.1 < 30: oversold"
    std::vector<std::pair<std::string, double>> readings;  // indicator values, e.g. {"rsi_14", 28.1}
};

// The record the application hands the widget after an analysis (copies of its readings and reasons).
SignalRecord make_signal_record(const Analysis& analysis);

// Heap bytes the record owns beyond the object itself (vector buffers and string buffers).
std::uint64_t heap_bytes(const SignalRecord& record);

class SignalHistory {
public:
    // capacity bounds the history under SignalPolicy::capped (the leaky policy ignores it); visible_rows is how
    // many of the newest signals the widget's list shows.
    explicit SignalHistory(SignalPolicy policy, std::size_t capacity = 500, std::size_t visible_rows = 50);

    // Appends the signal (dropping the oldest beyond the capacity) and refreshes the display, as the widget does.
    void add(SignalRecord record);
    // Re-formats the visible rows from the newest signals: O(visible rows), whatever the history's length.
    void refresh_display();

    // The signals kept, 0 the oldest.
    std::size_t size() const { return records_.size(); }
    const SignalRecord& operator[](std::size_t i) const { return records_[i]; }
    std::uint64_t total_added() const { return total_added_; }
    SignalPolicy policy() const { return policy_; }

    // The list as displayed, 0 the newest: "2021-01-01 00:15  buy   0.71    29123.45  RSI 28.1 < 30: oversold; ..."
    std::size_t visible_row_count() const { return visible_row_count_; }
    const std::string& row(std::size_t i) const { return rows_[i]; }

    // Component "signals", issue "issue-5"; items are the signals kept. Bytes include the formatted rows.
    ComponentFootprint footprint() const;

private:
    SignalPolicy policy_;
    RingBuffer<SignalRecord> records_;
    std::uint64_t record_heap_bytes_ = 0;  // sum of heap_bytes() over records_
    std::uint64_t total_added_ = 0;
    std::vector<std::string> rows_;  // visible_rows strings, reused by every refresh
    std::size_t visible_row_count_ = 0;
    std::uint64_t row_heap_bytes_ = 0;  // sum of heap_bytes() over rows_
};

}  // namespace memsoak::engine
