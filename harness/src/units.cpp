#include "memsoak/harness/units.hpp"

#include <fmt/format.h>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/input_file.hpp"
#include "memsoak/engine/time.hpp"
#include "memsoak/harness/error.hpp"

namespace memsoak::harness {
namespace {

struct SizeUnit {
    std::string_view name;
    double bytes;
};

constexpr SizeUnit kKiB{"KiB", 1024.0};
constexpr SizeUnit kMiB{"MiB", 1024.0 * 1024.0};
constexpr SizeUnit kGiB{"GiB", 1024.0 * 1024.0 * 1024.0};

constexpr SizeUnit kSizeUnits[] = {
    {"B", 1.0}, {"KB", 1e3}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, kKiB, kMiB, kGiB,
};

constexpr double kSecondsPerHour = 3600.0;
// No memory size or growth rate memsoak judges comes near it; beyond it a typo ("1e308 GB") would make a limit that
// can never fail.
constexpr double kMaxSizeBytes = 1024.0 * 1024.0 * 1024.0 * 1024.0;

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

// A finite, non-negative number at the start of `text`; `rest` receives what follows it.
std::optional<double> leading_number(std::string_view text, std::string_view& rest) {
    // from_chars accepts a minus sign, "inf" and "nan"; none of them is a quantity here.
    if (text.empty() || text.front() == '-') return std::nullopt;
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
    rest = text.substr(static_cast<std::size_t>(end - text.data()));
    return value;
}

// A bare number is refused: "100" for --max-rss meant 100 MiB, not 100 bytes. "100 B" says bytes.
std::optional<double> try_parse_size(std::string_view text) {
    std::string_view unit;
    const std::optional<double> value = leading_number(trim(text), unit);
    if (!value) return std::nullopt;
    unit = trim(unit);
    for (const SizeUnit& candidate : kSizeUnits) {
        if (candidate.name == unit) return *value * candidate.bytes;
    }
    return std::nullopt;
}

// The period of a rate in seconds: a bare unit ("h") or a duration ("15m"); nullopt unless positive.
std::optional<double> try_parse_period_seconds(std::string_view text) {
    text = trim(text);
    if (text.empty()) return std::nullopt;
    const bool has_count = std::isdigit(static_cast<unsigned char>(text.front())) || text.front() == '.';
    try {
        const engine::VirtualDuration period =
            engine::parse_duration(has_count ? std::string(text) : "1" + std::string(text));
        if (period.count() <= 0) return std::nullopt;
        return engine::to_seconds(period);
    } catch (const engine::Error&) {
        return std::nullopt;
    }
}

struct Ratio {
    std::string_view amount;
    std::string_view period;
};

// "<amount>/<period>" with exactly one slash.
std::optional<Ratio> split_ratio(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) return std::nullopt;
    return Ratio{text.substr(0, slash), text.substr(slash + 1)};
}

}  // namespace

double parse_size(std::string_view text) {
    const std::optional<double> bytes = try_parse_size(text);
    if (bytes && *bytes <= kMaxSizeBytes) return *bytes;
    if (bytes) {
        throw Error(fmt::format("expected a size of at most 1 TiB, got \"{}\"", engine::excerpt(text)));
    }
    throw Error(
        fmt::format("expected a size with its unit such as \"50 MiB\", \"512KiB\" or \"4096 B\" (units B, KB, "
                    "MB, GB, KiB, MiB, GiB), got \"{}\"",
                    engine::excerpt(text)));
}

double parse_rate(std::string_view text) {
    if (const std::optional<Ratio> ratio = split_ratio(text)) {
        std::string_view rest;
        const std::optional<double> count = leading_number(trim(ratio->amount), rest);
        const std::optional<double> seconds = try_parse_period_seconds(ratio->period);
        if (count && rest.empty() && seconds && std::isfinite(*count / *seconds)) return *count / *seconds;
    }
    throw Error(fmt::format("expected a rate such as \"10/s\", \"4/h\" or \"1/15m\" (events per period), got \"{}\"",
                            engine::excerpt(text)));
}

double parse_size_rate(std::string_view text) {
    if (const std::optional<Ratio> ratio = split_ratio(text)) {
        const std::optional<double> bytes = try_parse_size(ratio->amount);
        const std::optional<double> seconds = try_parse_period_seconds(ratio->period);
        if (bytes && seconds) {
            const double per_hour = *bytes * (kSecondsPerHour / *seconds);
            if (per_hour <= kMaxSizeBytes) return per_hour;
            throw Error(fmt::format("expected a growth rate of at most 1 TiB/h, got \"{}\"", engine::excerpt(text)));
        }
    }
    throw Error(
        fmt::format("expected a growth rate such as \"1 MiB/h\" or \"500 KiB/d\" (a size per period), "
                    "got \"{}\"",
                    engine::excerpt(text)));
}

std::string format_bytes(double bytes) {
    if (!std::isfinite(bytes)) return "n/a";
    // Below what rounds to 1024 B, whole bytes; llround also keeps a tiny negative from printing as "-0".
    if (std::fabs(bytes) < 1023.5) return fmt::format("{} B", std::llround(bytes));
    for (const SizeUnit& unit : {kKiB, kMiB}) {
        const double scaled = bytes / unit.bytes;
        // 1023.95 and above would print as "1024.0": the next unit reads better.
        if (std::fabs(scaled) < 1023.95) return fmt::format("{:.1f} {}", scaled, unit.name);
    }
    return fmt::format("{:.1f} {}", bytes / kGiB.bytes, kGiB.name);
}

std::string format_size_rate(double bytes_per_hour) {
    if (!std::isfinite(bytes_per_hour)) return "n/a";
    return format_bytes(bytes_per_hour) + "/h";
}

}  // namespace memsoak::harness
