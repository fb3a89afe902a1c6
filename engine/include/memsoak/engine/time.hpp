#pragma once
// Virtual time. The engine never reads a real clock: every time it sees is handed in by its driver,
// so hours of application time can pass in milliseconds of wall time.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace memsoak::engine {

// A clock with no now(): its time points exist only as values handed around, which keeps them from being
// mixed up with std::chrono::steady_clock (wall) time points at compile time.
struct VirtualClock {
    using rep = std::int64_t;
    using period = std::micro;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<VirtualClock>;
    static constexpr bool is_steady = true;
};

using VirtualDuration = VirtualClock::duration;  // microseconds of virtual time
using VirtualTime = VirtualClock::time_point;    // virtual time since the start of a run

inline constexpr VirtualTime virtual_epoch{};

// Calendar times the engine accepts, in Unix seconds: 1970-01-01 to 2199-12-31. Formatting a time goes through
// the system clock's nanoseconds, which end in 2262: the margin holds a run of the longest length below.
inline constexpr std::int64_t kEarliestTimestamp = 0;         // 1970-01-01 00:00:00
inline constexpr std::int64_t kLatestTimestamp = 7258118399;  // 2199-12-31 23:59:59
// The longest run: ten years of virtual time, far beyond any soak.
inline constexpr VirtualDuration kMaxRunDuration{3650LL * 86400 * 1'000'000};

// Seconds as a double, for statistics and reports.
inline double to_seconds(VirtualDuration d) { return std::chrono::duration<double>(d).count(); }
inline double to_seconds(VirtualTime t) { return to_seconds(t.time_since_epoch()); }
inline double to_hours(VirtualDuration d) { return to_seconds(d) / 3600.0; }

// Parses a human duration: a number and a unit, "500ms", "90s", "15m", "8h", "30d", "1w"; "1h30m" sums parts.
// Throws engine::Error whose message says what was expected; the caller adds the file and field.
VirtualDuration parse_duration(std::string_view text);

// "1h30m", "15m", "250ms", "0s": the shortest exact form that parse_duration reads back.
std::string format_duration(VirtualDuration d);

}  // namespace memsoak::engine
