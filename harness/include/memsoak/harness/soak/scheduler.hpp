#pragma once
// A virtual clock and an event queue: hours of virtual time pass in as long as their events take to run, with no
// sleeping. Single-threaded; callbacks run on the thread that calls run_until.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "memsoak/engine/time.hpp"

namespace memsoak::harness {

using engine::VirtualDuration;
using engine::VirtualTime;

struct RunOutcome {
    VirtualTime reached{};       // the end asked for, or the time of the last event run when stopped early
    bool stopped_early = false;  // the stop predicate returned true before the end
};

// Events run in time order. Events at the same virtual time run in the order their streams were registered
// (every, at and poisson calls, including calls made from callbacks), whatever the order in which the individual
// firings were queued: a sampler registered after the workload always sees the workload's effect at equal times.
//
// Windows: a stream fires at times >= its first time and < `until` (exclusive), at most `count` times. A count of
// 0 fires nothing.
class Scheduler {
public:
    using Callback = std::function<void(VirtualTime now)>;
    using StopPredicate = std::function<bool()>;

    // `seed` drives the Poisson streams; equal seeds and equal registrations give equal event sequences.
    explicit Scheduler(std::uint64_t seed);

    // Fires at first, first + period, first + 2 period, ... Throws harness::Error when period <= 0 or first is
    // before now().
    void every(VirtualDuration period, VirtualTime first, std::optional<VirtualTime> until,
               std::optional<std::uint64_t> count, Callback callback);

    // Fires once at `time`. Throws harness::Error when `time` is before now().
    void at(VirtualTime time, Callback callback);

    // Random arrivals of a Poisson process of `rate_per_second` starting at `from` (the first arrival is one
    // exponential gap after it). Arrival times are rounded to the clock's microsecond, without drift: each is the
    // rounded sum of exact gaps. Each poisson stream draws from its own generator, seeded from the scheduler's seed
    // and the stream's rank among poisson registrations only, so adding an every/at stream anywhere, or a poisson
    // stream after it, leaves its arrivals unchanged. Throws harness::Error when the rate is not positive and
    // finite or `from` is before now().
    void poisson(double rate_per_second, VirtualTime from, std::optional<VirtualTime> until,
                 std::optional<std::uint64_t> count, Callback callback);

    // Runs every event with time <= end (inclusive: an event at exactly `end` runs), then sets now() to `end`.
    // `should_stop` (may be empty) is called before each event; when it returns true the run stops there, now()
    // stays at the last event run and the remaining events stay queued, so a later call can continue.
    // Throws harness::Error when end is before now().
    RunOutcome run_until(VirtualTime end, const StopPredicate& should_stop);

    VirtualTime now() const { return now_; }
    std::uint64_t events_run() const { return events_run_; }

private:
    enum class StreamKind : std::uint8_t { periodic, poisson };

    struct Stream {
        Callback callback;
        StreamKind kind = StreamKind::periodic;
        VirtualDuration period{};                // periodic; unused by a one-shot (at) stream
        double mean_gap_micros = 0;              // poisson
        double exact_arrival_micros = 0;         // poisson: the unrounded time of the latest arrival
        std::uint64_t random_state = 0;          // poisson: splitmix64 state
        std::optional<VirtualTime> until;        // exclusive
        std::optional<std::uint64_t> remaining;  // firings left, counting a queued one
        std::uint64_t registration = 0;          // tie-break rank
    };

    // What the heap holds: small, so that sifting stays cheap. `registration` is copied from the stream to keep
    // comparisons free of indirection.
    struct Event {
        std::int64_t time_micros;
        std::uint64_t registration;
        std::uint32_t stream;
    };

    std::uint32_t add_stream(Stream stream);
    // Queues the stream's firing at `time` if its window and count allow it; otherwise retires the stream.
    void queue_or_retire(std::uint32_t slot, VirtualTime time);
    void retire(std::uint32_t slot);
    static VirtualTime next_poisson_arrival(Stream& stream);
    void check_not_past(VirtualTime time, const char* caller) const;

    std::uint64_t seed_;
    std::uint64_t poisson_streams_ = 0;
    std::uint64_t registrations_ = 0;
    std::uint64_t events_run_ = 0;
    VirtualTime now_{};
    // A deque, so that a callback scheduling new streams never moves the stream whose callback is running.
    std::deque<Stream> streams_;
    std::vector<std::uint32_t> free_slots_;  // finished streams' slots, reused by later registrations
    std::vector<Event> queue_;               // a binary min-heap on (time, registration)
};

}  // namespace memsoak::harness
