#include "memsoak/engine/leak_injector.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

constexpr std::array<std::pair<InjectionTrigger, std::string_view>, 7> kTriggers{{
    {InjectionTrigger::tick, "tick"},
    {InjectionTrigger::analyze, "analyze"},
    {InjectionTrigger::refresh_chart, "refresh_chart"},
    {InjectionTrigger::toggle_indicator, "toggle_indicator"},
    {InjectionTrigger::trade, "trade"},
    {InjectionTrigger::log, "log"},
    {InjectionTrigger::gui_pump, "gui_pump"},
}};

constexpr std::array<std::pair<LeakShape, std::string_view>, 4> kShapes{{
    {LeakShape::per_call, "per_call"},
    {LeakShape::staircase, "staircase"},
    {LeakShape::bounded, "bounded"},
    {LeakShape::mmap, "mmap"},
}};

template <typename Enum, std::size_t N>
Enum parse_name(const std::array<std::pair<Enum, std::string_view>, N>& names, std::string_view text) {
    std::string known;
    for (const auto& [value, name] : names) {
        if (name == text) return value;
        known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
    }
    throw Error(fmt::format("expected one of {}, got \"{}\"", known, text));
}

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
    for (const auto& [v, name] : names) {
        if (v == value) return name;
    }
    return "?";
}

std::size_t page_bytes() {
    static const auto bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return bytes;
}

}  // namespace

std::string_view to_string(InjectionTrigger trigger) { return name_of(kTriggers, trigger); }
std::string_view to_string(LeakShape shape) { return name_of(kShapes, shape); }
InjectionTrigger parse_injection_trigger(std::string_view text) { return parse_name(kTriggers, text); }
LeakShape parse_leak_shape(std::string_view text) { return parse_name(kShapes, text); }

void check_injected_leak(const InjectedLeak& leak) {
    if (leak.bytes == 0) throw Error("bytes: expected a positive number of bytes, got 0");
    if (leak.shape == LeakShape::bounded && leak.capacity < leak.bytes) {
        throw Error(fmt::format("capacity: expected the bounded shape's capacity, at least bytes ({}), got {}",
                                leak.bytes, leak.capacity));
    }
    if (leak.shape != LeakShape::bounded && leak.capacity != 0) {
        throw Error(fmt::format("capacity: only the bounded shape has one, got {} for shape {}", leak.capacity,
                                to_string(leak.shape)));
    }
    if (leak.until && leak.until->count() <= 0) throw Error("until: expected a positive duration");
}

std::string to_string(const InjectedLeak& leak) {
    std::string out = fmt::format("{}:{}:{}", to_string(leak.action), to_string(leak.shape), leak.bytes);
    if (leak.shape == LeakShape::bounded) out += fmt::format(":{}", leak.capacity);
    if (leak.until) out += "@" + format_duration(*leak.until);
    return out;
}

struct LeakInjector::State {
    InjectedLeak leak;
    std::vector<std::unique_ptr<std::byte[]>> blocks;  // per_call and bounded
    std::vector<std::byte> staircase;
    std::vector<std::pair<void*, std::size_t>> mappings;
    std::size_t held = 0;    // heap bytes asked for
    std::size_t mapped = 0;  // bytes mapped
    std::byte fill{0x5a};    // changes per occurrence, so the writes cannot be folded into anything shared
};

LeakInjector::LeakInjector(std::vector<InjectedLeak> leaks) : leaks_(std::move(leaks)) {
    for (const InjectedLeak& leak : leaks_) {
        check_injected_leak(leak);
        states_.push_back(std::make_unique<State>(State{leak, {}, {}, {}, 0, 0, std::byte{0x5a}}));
    }
    any_ = !leaks_.empty();
}

LeakInjector::~LeakInjector() {
    for (const auto& state : states_) {
        for (const auto& [address, length] : state->mappings) ::munmap(address, length);
    }
}

void LeakInjector::on(InjectionTrigger trigger, VirtualTime now) {
    if (!any_) return;  // the default: one branch per call
    for (const auto& state : states_) {
        const InjectedLeak& leak = state->leak;
        if (leak.action != trigger) continue;
        if (leak.until && now.time_since_epoch() > *leak.until) continue;
        state->fill = static_cast<std::byte>(static_cast<unsigned>(state->fill) * 31u + 7u);
        switch (leak.shape) {
            case LeakShape::per_call: leak_per_call(*state); break;
            case LeakShape::staircase: leak_staircase(*state); break;
            case LeakShape::bounded: leak_bounded(*state); break;
            case LeakShape::mmap: leak_mmap(*state); break;
        }
    }
}

void LeakInjector::leak_per_call(State& state) {
    const std::size_t bytes = state.leak.bytes;
    auto block = std::make_unique_for_overwrite<std::byte[]>(bytes);
    std::memset(block.get(), static_cast<int>(state.fill), bytes);  // touch every page
    state.blocks.push_back(std::move(block));
    state.held += bytes;
}

void LeakInjector::leak_staircase(State& state) {
    // resize grows the capacity geometrically (libstdc++ doubles it), so the allocator sees a staircase: a
    // block twice the size each time the vector fills, the old one freed.
    state.staircase.resize(state.staircase.size() + state.leak.bytes, state.fill);
    state.held += state.leak.bytes;
}

void LeakInjector::leak_bounded(State& state) {
    // Fills to exactly `capacity`: the last block is what is left of it.
    const std::size_t room = state.leak.capacity - state.held;
    if (room == 0) return;
    const std::size_t bytes = std::min(state.leak.bytes, room);
    auto block = std::make_unique_for_overwrite<std::byte[]>(bytes);
    std::memset(block.get(), static_cast<int>(state.fill), bytes);
    state.blocks.push_back(std::move(block));
    state.held += bytes;
}

void LeakInjector::leak_mmap(State& state) {
    const std::size_t page = page_bytes();
    const std::size_t length = (state.leak.bytes + page - 1) / page * page;
    void* address = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (address == MAP_FAILED) {
        throw Error(fmt::format("injected leak {}: mmap of {} bytes failed: {}", to_string(state.leak), length,
                                std::strerror(errno)));
    }
    state.mappings.emplace_back(address, length);
    // A mapping costs no RSS until written: one write per page makes each resident.
    auto* bytes = static_cast<std::byte*>(address);
    for (std::size_t offset = 0; offset < length; offset += page) bytes[offset] = state.fill;
    state.mapped += length;
}

std::size_t LeakInjector::held_bytes() const {
    std::size_t total = 0;
    for (const auto& state : states_) total += state->held;
    return total;
}

std::size_t LeakInjector::staircase_capacity() const {
    std::size_t total = 0;
    for (const auto& state : states_) total += state->staircase.capacity();
    return total;
}

std::size_t LeakInjector::mapped_bytes() const {
    std::size_t total = 0;
    for (const auto& state : states_) total += state->mapped;
    return total;
}

const std::vector<InjectedLeak>& LeakInjector::leaks() const { return leaks_; }

}  // namespace memsoak::engine
