#include "memsoak/engine/log_queue.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cmath>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

// A drained queue keeps at least this many slots, so a steady trickle does not reallocate on every drain.
constexpr std::size_t kMinQueueSlots = 16;
// The pane drains in batches of at most this many records: the scratch vector stays small even when a thawed GUI
// works through a long backlog.
constexpr std::size_t kPaneBatch = 256;

}  // namespace

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return "DEBUG";
        case LogLevel::info: return "INFO";
        case LogLevel::warning: return "WARNING";
        case LogLevel::error: return "ERROR";
    }
    return "UNKNOWN";
}

std::uint64_t heap_bytes(const LogRecord& record) { return heap_bytes(record.source) + heap_bytes(record.message); }

LogQueue::LogQueue(LogQueuePolicy policy, std::size_t capacity)
    : policy_(policy), records_(policy == LogQueuePolicy::bounded ? capacity : RingBuffer<LogRecord>::unbounded) {
    if (capacity == 0) throw Error("log queue: capacity must be at least 1, got 0");
}

void LogQueue::push(LogRecord record) {
    std::lock_guard lock(mutex_);
    if (records_.full()) ++counters_.dropped;
    LogRecord& slot = records_.next_slot();  // the oldest record when full
    record_heap_bytes_ -= heap_bytes(slot);
    // A dropped record's string buffers either pass to `record`, which frees them after the lock is released, or
    // stay in the slot holding the new text; either way the slot is measured after the assignment.
    slot = std::move(record);
    record_heap_bytes_ += heap_bytes(slot);
    ++counters_.produced;
    counters_.size = records_.size();
    counters_.high_water = std::max(counters_.high_water, counters_.size);
}

std::size_t LogQueue::drain(std::size_t max, std::vector<LogRecord>& out) {
    std::lock_guard lock(mutex_);
    std::size_t n = std::min(max, records_.size());
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(records_.pop_front());
        record_heap_bytes_ -= heap_bytes(out.back());
    }
    records_.shrink_if_sparse(kMinQueueSlots);
    counters_.delivered += n;
    counters_.size = records_.size();
    return n;
}

LogQueue::Counters LogQueue::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

ComponentFootprint LogQueue::footprint() const {
    std::lock_guard lock(mutex_);
    return {std::string(component_of(StudyIssue::issue_4)), std::string(to_string(StudyIssue::issue_4)),
            records_.slot_bytes() + record_heap_bytes_, records_.size()};
}

void Logger::log(LogLevel level, std::string_view source, std::string message, std::int64_t timestamp) {
    queue_.push(LogRecord{timestamp, level, std::string(source), std::move(message)});
}

LogPane::LogPane(LogQueue& queue, double drain_rate_per_second, std::size_t max_lines)
    : queue_(queue), drain_rate_per_second_(drain_rate_per_second), lines_(max_lines) {
    if (!(drain_rate_per_second > 0)) {
        throw Error(fmt::format("log pane: drain rate must be a positive number of messages per second, got {}",
                                drain_rate_per_second));
    }
    if (max_lines == 0) throw Error("log pane: max_lines must be at least 1, got 0");
}

std::size_t LogPane::pump(double elapsed_seconds) {
    if (frozen_ || !(elapsed_seconds > 0)) return 0;
    double allowed = fractional_budget_ + drain_rate_per_second_ * elapsed_seconds;
    double whole = std::floor(allowed);
    fractional_budget_ = allowed - whole;
    // A budget beyond any queue's size is as good as unlimited; the cast below must not overflow.
    auto remaining = static_cast<std::uint64_t>(std::min(whole, 1e18));
    std::size_t added = 0;
    while (remaining > 0) {
        std::size_t n = queue_.drain(static_cast<std::size_t>(std::min<std::uint64_t>(remaining, kPaneBatch)), batch_);
        if (n == 0) break;
        for (const LogRecord& record : batch_) show(record);
        batch_.clear();
        remaining -= n;
        added += n;
    }
    return added;
}

std::string_view LogPane::time_text(std::int64_t timestamp) {
    if (timestamp != time_text_second_) {
        std::chrono::sys_seconds time{std::chrono::seconds(timestamp)};
        fmt::format_to_n(time_text_.data(), time_text_.size(), "{:%Y-%m-%d %H:%M:%S}", time);
        time_text_second_ = timestamp;
    }
    return {time_text_.data(), time_text_.size()};
}

void LogPane::show(const LogRecord& record) {
    constexpr std::size_t kLevelWidth = 7;  // "WARNING"
    std::string_view level = to_string(record.level);
    std::string& line = lines_.next_slot();  // the oldest line once the pane is full: its buffer is reused
    line_heap_bytes_ -= heap_bytes(line);
    line.clear();
    // Appends rather than fmt: this runs for every message shown, about a million times per virtual day.
    line.reserve(time_text_.size() + 1 + kLevelWidth + 1 + record.source.size() + 2 + record.message.size());
    line.append(time_text(record.timestamp)).append(1, ' ');
    line.append(level).append(kLevelWidth + 1 - std::min(level.size(), kLevelWidth), ' ');
    line.append(record.source).append(": ").append(record.message);
    line_heap_bytes_ += heap_bytes(line);
    ++lines_shown_;
}

ComponentFootprint LogPane::footprint() const {
    std::uint64_t batch_bytes = batch_.capacity() * sizeof(LogRecord);
    return {"log_pane", "", lines_.slot_bytes() + line_heap_bytes_ + batch_bytes, lines_.size()};
}

}  // namespace memsoak::engine
