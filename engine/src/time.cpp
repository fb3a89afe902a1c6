#include "memsoak/engine/time.hpp"

#include <fmt/format.h>
#include <cctype>
#include <charconv>
#include <cmath>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

struct Unit {
    std::string_view name;
    std::int64_t micros;
};

// Longest names first so that "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"us", 1},
    {"ms", 1'000},
    {"s", 1'000'000},
    {"m", 60'000'000},
    {"h", 3'600'000'000},
    {"d", 86'400'000'000},
    {"w", 604'800'000'000},
};

[[noreturn]] void bad_duration(std::string_view text) {
    throw Error(
        fmt::format("expected a duration such as \"90s\", \"15m\", \"8h\" or \"30d\" "
                    "(units us, ms, s, m, h, d, w), got \"{}\"",
                    text));
}

}  // namespace

VirtualDuration parse_duration(std::string_view text) {
    std::string_view rest = text;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    if (rest.empty()) bad_duration(text);
    double total_micros = 0;
    while (!rest.empty()) {
        double value = 0;
        auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
        // !(value >= 0) also refuses "nan", which from_chars reads and no comparison below would catch.
        if (ec != std::errc() || !(value >= 0)) bad_duration(text);
        rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        const Unit* unit = nullptr;
        for (const Unit& u : kUnits) {
            if (rest.substr(0, u.name.size()) == u.name &&
                (rest.size() == u.name.size() || !std::isalpha(static_cast<unsigned char>(rest[u.name.size()])))) {
                unit = &u;
                break;
            }
        }
        if (unit == nullptr) bad_duration(text);
        rest.remove_prefix(unit->name.size());
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        total_micros += value * static_cast<double>(unit->micros);
    }
    // Ten thousand years is far beyond any soak and far below int64 microseconds.
    if (total_micros > 3.2e17) bad_duration(text);
    return VirtualDuration(std::llround(total_micros));
}

std::string format_duration(VirtualDuration d) {
    std::int64_t micros = d.count();
    if (micros == 0) return "0s";
    std::string out;
    if (micros < 0) {
        out.push_back('-');  // not out = "-": GCC 12 with ASan warns of a bogus overlap there (-Wrestrict)
        micros = -micros;
    }
    // Largest units first: days, hours, minutes, seconds, then a sub-second remainder.
    for (const Unit* u : {&kUnits[5], &kUnits[4], &kUnits[3], &kUnits[2], &kUnits[1], &kUnits[0]}) {
        if (micros >= u->micros) {
            out += fmt::format("{}{}", micros / u->micros, u->name);
            micros %= u->micros;
        }
    }
    return out;
}

}  // namespace memsoak::engine
