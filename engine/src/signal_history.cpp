#include "memsoak/engine/signal_history.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <chrono>
#include <iterator>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {

SignalRecord make_signal_record(const Analysis& analysis) {
    return SignalRecord{analysis.timestamp,  analysis.action,          analysis.confidence,
                        analysis.last_price, analysis.signals.reasons, analysis.signals.readings};
}

std::uint64_t heap_bytes(const SignalRecord& record) {
    std::uint64_t bytes = heap_bytes(record.reasons) + heap_bytes(record.readings);
    for (const std::string& reason : record.reasons) bytes += heap_bytes(reason);
    for (const auto& [name, value] : record.readings) bytes += heap_bytes(name);
    return bytes;
}

SignalHistory::SignalHistory(SignalPolicy policy, std::size_t capacity, std::size_t visible_rows)
    : policy_(policy),
      records_(policy == SignalPolicy::capped ? capacity : RingBuffer<SignalRecord>::unbounded),
      rows_(visible_rows) {
    if (capacity == 0) throw Error("signal history: capacity must be at least 1, got 0");
}

void SignalHistory::add(SignalRecord record) {
    SignalRecord& slot = records_.next_slot();  // the oldest signal once the capped history is full
    record_heap_bytes_ -= heap_bytes(slot);
    slot = std::move(record);
    record_heap_bytes_ += heap_bytes(slot);
    ++total_added_;
    refresh_display();
}

void SignalHistory::refresh_display() {
    visible_row_count_ = std::min(rows_.size(), records_.size());
    fmt::memory_buffer text;  // formats on the stack; the row then copies it into its reused buffer
    for (std::size_t i = 0; i < visible_row_count_; ++i) {
        const SignalRecord& signal = records_[records_.size() - 1 - i];
        std::chrono::sys_seconds time{std::chrono::seconds(signal.timestamp)};
        text.clear();
        fmt::format_to(std::back_inserter(text), "{:%Y-%m-%d %H:%M}  {:<4}  {:.2f}  {:>10.2f}  {}", time,
                       to_string(signal.action), signal.confidence, signal.price, fmt::join(signal.reasons, "; "));
        std::string& row = rows_[i];
        row_heap_bytes_ -= heap_bytes(row);
        row.assign(text.data(), text.size());
        row_heap_bytes_ += heap_bytes(row);
    }
}

ComponentFootprint SignalHistory::footprint() const {
    std::uint64_t display_bytes = heap_bytes(rows_) + row_heap_bytes_;
    return {std::string(component_of(StudyIssue::issue_5)), std::string(to_string(StudyIssue::issue_5)),
            records_.slot_bytes() + record_heap_bytes_ + display_bytes, records_.size()};
}

}  // namespace memsoak::engine
