#pragma once
// Deliberate leaks outside the five study components, for checking that memsoak catches a leak nobody named.
//
// The memory held here is NOT part of Application::footprint(): the point is a leak outside the engine's own
// bookkeeping, which only the allocator and OS layers can see (the mmap shape only the OS layer). Nothing is
// injected unless Config::injected_leaks asks for it. Everything is released in the destructor, so valgrind and
// LeakSanitizer stay clean: "leaked" means held while the application lives.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/engine/time.hpp"

namespace memsoak::engine {

// The Application calls that can trigger an injected leak, by the scenario's action names.
enum class InjectionTrigger { tick, analyze, refresh_chart, toggle_indicator, trade, log, gui_pump };

enum class LeakShape {
    per_call,   // a new heap block of `bytes` per occurrence, kept
    staircase,  // one vector grown by `bytes` per occurrence: the allocator sees its capacity double
    bounded,    // per_call until `capacity` bytes are held, then nothing more (a cache that fills once)
    mmap,       // `bytes` (whole pages) of anonymous memory mapped and touched per occurrence: only RSS sees it
};

struct InjectedLeak {
    InjectionTrigger action = InjectionTrigger::tick;
    LeakShape shape = LeakShape::per_call;
    std::size_t bytes = 0;     // per occurrence, > 0
    std::size_t capacity = 0;  // bounded only: the most it holds, >= bytes
    // Occurrences later than this virtual time (from the start of the run) leak nothing: a leak that stops with
    // its trigger. None: leaks for the whole run.
    std::optional<VirtualDuration> until;

    bool operator==(const InjectedLeak&) const = default;
};

std::string_view to_string(InjectionTrigger trigger);
std::string_view to_string(LeakShape shape);
// Throw engine::Error "expected one of ..., got \"x\""; the caller adds the place.
InjectionTrigger parse_injection_trigger(std::string_view text);
LeakShape parse_leak_shape(std::string_view text);
// Checks bytes > 0, capacity >= bytes for bounded and capacity 0 otherwise; throws engine::Error saying which.
void check_injected_leak(const InjectedLeak& leak);
// The canonical form "ACTION:SHAPE:BYTES[:CAPACITY][@UNTIL]", e.g. "log:bounded:256:5242880@35m".
std::string to_string(const InjectedLeak& leak);

class LeakInjector {
public:
    explicit LeakInjector(std::vector<InjectedLeak> leaks);
    ~LeakInjector();
    LeakInjector(const LeakInjector&) = delete;
    LeakInjector& operator=(const LeakInjector&) = delete;

    // Called by the Application after the real work of `trigger`. Throws engine::Error when mmap fails.
    void on(InjectionTrigger trigger, VirtualTime now);

    // For tests and diagnosis, never part of the footprint.
    // Heap bytes the injected leaks asked for and hold: blocks of per_call and bounded, staircase vectors' sizes.
    std::size_t held_bytes() const;
    // The staircase vectors' capacities (what the allocator actually holds for them).
    std::size_t staircase_capacity() const;
    // Bytes mapped by mmap leaks (whole pages).
    std::size_t mapped_bytes() const;
    const std::vector<InjectedLeak>& leaks() const;

    // One function per shape, never inlined, so that a heap profile names the allocation site.
    struct State;
    [[gnu::noinline]] static void leak_per_call(State& state);
    [[gnu::noinline]] static void leak_staircase(State& state);
    [[gnu::noinline]] static void leak_bounded(State& state);
    [[gnu::noinline]] static void leak_mmap(State& state);

private:
    std::vector<InjectedLeak> leaks_;
    std::vector<std::unique_ptr<State>> states_;  // one per leak, same order
    bool any_ = false;
};

}  // namespace memsoak::engine
