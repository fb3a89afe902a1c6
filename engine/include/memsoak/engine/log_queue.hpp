#pragma once
// Study issue #4 (gui_app.py:250): the queue that carries log messages from background producers to the GUI's log
// pane. The leaky policy is the study's unbounded queue.Queue(); the fix bounds it and, when full, drops the
// OLDEST message and counts the drop, as the study's log_to_queue does.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/policies.hpp"
#include "memsoak/engine/ring_buffer.hpp"

namespace memsoak::engine {

enum class LogLevel { debug, info, warning, error };

// "DEBUG", "INFO", "WARNING", "ERROR".
std::string_view to_string(LogLevel level);

struct LogRecord {
    std::int64_t timestamp = 0;  // Unix seconds (virtual time)
    LogLevel level = LogLevel::info;
    std::string source;   // the producer, e.g. "market_data"
    std::string message;  // ~200 bytes in the study's measurement
};

// Heap bytes the record owns beyond the object itself (its strings' buffers).
std::uint64_t heap_bytes(const LogRecord& record);

// Thread-safe: any number of producers push from any thread while one consumer drains. Every call takes one
// mutex and moves records, so push and drain stay cheap (about a million messages per virtual day).
class LogQueue {
public:
    // capacity bounds the queue under LogQueuePolicy::bounded; the leaky policy ignores it.
    explicit LogQueue(LogQueuePolicy policy, std::size_t capacity = 1000);

    // Appends a record. When the bounded queue is full the oldest record is dropped and counted.
    void push(LogRecord record);

    // Moves up to `max` of the oldest records to the end of `out`; returns how many were moved.
    std::size_t drain(std::size_t max, std::vector<LogRecord>& out);

    // One consistent snapshot: produced == delivered + dropped + size, always.
    struct Counters {
        std::uint64_t produced = 0;   // records pushed
        std::uint64_t delivered = 0;  // records drained
        std::uint64_t dropped = 0;    // records discarded to stay within the capacity
        std::size_t size = 0;         // records waiting now
        std::size_t high_water = 0;   // the largest size ever reached
    };
    Counters counters() const;
    std::uint64_t produced() const { return counters().produced; }
    std::uint64_t delivered() const { return counters().delivered; }
    std::uint64_t dropped() const { return counters().dropped; }
    std::size_t size() const { return counters().size; }

    LogQueuePolicy policy() const { return policy_; }

    // Component "log_queue", issue "issue-4"; items are the records waiting.
    ComponentFootprint footprint() const;

private:
    const LogQueuePolicy policy_;
    mutable std::mutex mutex_;
    RingBuffer<LogRecord> records_;
    std::uint64_t record_heap_bytes_ = 0;  // sum of heap_bytes() over records_
    Counters counters_;                    // size mirrors records_.size()
};

// The producer API handed to background workers. It formats nothing: the record carries the caller's message and
// the GUI thread formats it when it is shown.
class Logger {
public:
    explicit Logger(LogQueue& queue) : queue_(queue) {}

    void log(LogLevel level, std::string_view source, std::string message, std::int64_t timestamp);

private:
    LogQueue& queue_;
};

// The GUI's log pane, the queue's one consumer: on each run of the event loop it shows at most
// drain_rate_per_second * elapsed messages (the GUI's processing speed) and keeps the last max_lines formatted
// lines, like a text widget with a line limit. A frozen GUI drains nothing. Not thread-safe: GUI thread only.
// The queue must outlive the pane.
class LogPane {
public:
    LogPane(LogQueue& queue, double drain_rate_per_second, std::size_t max_lines = 1000);

    // The event loop ran for elapsed_seconds of virtual time. The fraction of a message the rate allows is carried
    // to the next call; capacity left unused because the queue ran empty is not. Returns the lines added.
    std::size_t pump(double elapsed_seconds);

    void set_frozen(bool frozen) { frozen_ = frozen; }
    bool frozen() const { return frozen_; }

    // Lines shown now; 0 is the oldest. A line reads "2021-01-01 00:00:00 INFO    market_data: message".
    std::size_t line_count() const { return lines_.size(); }
    const std::string& line(std::size_t i) const { return lines_[i]; }
    // Lines added since construction, including those since scrolled out.
    std::uint64_t lines_shown() const { return lines_shown_; }

    // Component "log_pane" (no study issue: the pane is bounded); items are the lines shown.
    ComponentFootprint footprint() const;

private:
    void show(const LogRecord& record);
    // "2021-01-01 00:00:00" (UTC), formatted once per distinct second: consecutive messages mostly share one.
    std::string_view time_text(std::int64_t timestamp);

    LogQueue& queue_;
    double drain_rate_per_second_;
    double fractional_budget_ = 0;  // messages the rate allowed but a whole message did not fit, in [0, 1)
    bool frozen_ = false;
    RingBuffer<std::string> lines_;
    std::uint64_t line_heap_bytes_ = 0;  // sum of heap_bytes() over lines_
    std::uint64_t lines_shown_ = 0;
    std::vector<LogRecord> batch_;  // reused between drains so pumping allocates only for new line text
    std::int64_t time_text_second_ = std::numeric_limits<std::int64_t>::min();
    std::array<char, 19> time_text_{};
};

}  // namespace memsoak::engine
