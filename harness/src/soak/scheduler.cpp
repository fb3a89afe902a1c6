#include "memsoak/harness/soak/scheduler.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "memsoak/harness/error.hpp"

namespace memsoak::harness {
namespace {

constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;

// The splitmix64 generator (Steele, Lea and Flood 2014): a Weyl sequence through a bijective mixer. Its 8-byte
// state suits one generator per stream; the state of stream k is output k+1 of splitmix64(seed).
std::uint64_t splitmix64_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

std::uint64_t splitmix64_next(std::uint64_t& state) {
    state += kGoldenGamma;
    return splitmix64_mix(state);
}

// A uniform double in [0, 1) from the top 53 bits, all of which a double can hold.
double uniform_unit(std::uint64_t& state) { return static_cast<double>(splitmix64_next(state) >> 11) * 0x1.0p-53; }

// Min-heap order for std::push_heap/pop_heap, which keep the "largest" first: later time, then later registration.
struct RunsLater {
    template <typename Event>
    bool operator()(const Event& a, const Event& b) const {
        return a.time_micros != b.time_micros ? a.time_micros > b.time_micros : a.registration > b.registration;
    }
};

}  // namespace

Scheduler::Scheduler(std::uint64_t seed) : seed_(seed) {}

void Scheduler::every(VirtualDuration period, VirtualTime first, std::optional<VirtualTime> until,
                      std::optional<std::uint64_t> count, Callback callback) {
    if (period.count() <= 0) {
        throw Error(
            fmt::format("Scheduler::every: expected a positive period, got {}", engine::format_duration(period)));
    }
    check_not_past(first, "every");
    Stream stream;
    stream.callback = std::move(callback);
    stream.kind = StreamKind::periodic;
    stream.period = period;
    stream.until = until;
    stream.remaining = count;
    queue_or_retire(add_stream(std::move(stream)), first);
}

void Scheduler::at(VirtualTime time, Callback callback) {
    check_not_past(time, "at");
    Stream stream;
    stream.callback = std::move(callback);
    stream.kind = StreamKind::periodic;
    stream.remaining = 1;
    queue_or_retire(add_stream(std::move(stream)), time);
}

void Scheduler::poisson(double rate_per_second, VirtualTime from, std::optional<VirtualTime> until,
                        std::optional<std::uint64_t> count, Callback callback) {
    if (!(rate_per_second > 0) || !std::isfinite(rate_per_second)) {
        throw Error(
            fmt::format("Scheduler::poisson: expected a positive, finite rate, got {} per second", rate_per_second));
    }
    check_not_past(from, "poisson");
    Stream stream;
    stream.callback = std::move(callback);
    stream.kind = StreamKind::poisson;
    stream.mean_gap_micros = 1e6 / rate_per_second;
    stream.exact_arrival_micros = static_cast<double>(from.time_since_epoch().count());
    std::uint64_t seeder = seed_ + kGoldenGamma * poisson_streams_++;
    stream.random_state = splitmix64_next(seeder);
    stream.until = until;
    stream.remaining = count;
    const VirtualTime first = next_poisson_arrival(stream);
    queue_or_retire(add_stream(std::move(stream)), first);
}

RunOutcome Scheduler::run_until(VirtualTime end, const StopPredicate& should_stop) {
    if (end < now_) {
        throw Error(fmt::format("Scheduler::run_until: end {} is before the current virtual time {}",
                                engine::format_duration(end.time_since_epoch()),
                                engine::format_duration(now_.time_since_epoch())));
    }
    const std::int64_t end_micros = end.time_since_epoch().count();
    while (!queue_.empty() && queue_.front().time_micros <= end_micros) {
        if (should_stop && should_stop()) return RunOutcome{now_, true};
        std::pop_heap(queue_.begin(), queue_.end(), RunsLater{});
        const Event event = queue_.back();
        queue_.pop_back();
        now_ = VirtualTime(VirtualDuration(event.time_micros));

        // The deque keeps this reference valid while the callback registers new streams; the slot itself is
        // only freed below, after the callback has returned.
        Stream& stream = streams_[event.stream];
        stream.callback(now_);
        ++events_run_;
        if (stream.remaining && --*stream.remaining == 0) {
            retire(event.stream);
            continue;
        }
        queue_or_retire(event.stream,
                        stream.kind == StreamKind::poisson ? next_poisson_arrival(stream) : now_ + stream.period);
    }
    now_ = end;
    return RunOutcome{end, false};
}

std::uint32_t Scheduler::add_stream(Stream stream) {
    stream.registration = registrations_++;
    if (!free_slots_.empty()) {
        const std::uint32_t slot = free_slots_.back();
        free_slots_.pop_back();
        streams_[slot] = std::move(stream);
        return slot;
    }
    streams_.push_back(std::move(stream));
    return static_cast<std::uint32_t>(streams_.size() - 1);
}

void Scheduler::queue_or_retire(std::uint32_t slot, VirtualTime time) {
    const Stream& stream = streams_[slot];
    if ((stream.until && time >= *stream.until) || (stream.remaining && *stream.remaining == 0)) {
        retire(slot);
        return;
    }
    queue_.push_back(Event{time.time_since_epoch().count(), stream.registration, slot});
    std::push_heap(queue_.begin(), queue_.end(), RunsLater{});
}

void Scheduler::retire(std::uint32_t slot) {
    // Release what the callback captured now rather than when the slot is reused.
    streams_[slot].callback = nullptr;
    free_slots_.push_back(slot);
}

VirtualTime Scheduler::next_poisson_arrival(Stream& stream) {
    // Inverse CDF of the exponential distribution; 1 - u lies in (0, 1], so the logarithm is finite.
    const double gap = -std::log1p(-uniform_unit(stream.random_state)) * stream.mean_gap_micros;
    stream.exact_arrival_micros += gap;
    return VirtualTime(VirtualDuration(std::llround(stream.exact_arrival_micros)));
}

void Scheduler::check_not_past(VirtualTime time, const char* caller) const {
    if (time < now_) {
        throw Error(fmt::format("Scheduler::{}: time {} is before the current virtual time {}", caller,
                                engine::format_duration(time.time_since_epoch()),
                                engine::format_duration(now_.time_since_epoch())));
    }
}

}  // namespace memsoak::harness
