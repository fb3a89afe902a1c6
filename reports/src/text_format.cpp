#include "text_format.hpp"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "memsoak/harness/soak/heap_sample.hpp"
#include "memsoak/harness/soak/retention_probe.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::reports::text {

using harness::LimitKind;

std::string count(double value) {
    if (!std::isfinite(value)) return "n/a";
    const long long whole = std::llround(value);
    const std::string digits = std::to_string(whole < 0 ? -whole : whole);
    std::string out = whole < 0 ? "-" : "";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string in_unit(double value, LimitKind kind) {
    switch (kind) {
        case LimitKind::peak: return harness::format_bytes(value);
        case LimitKind::growth: return harness::format_size_rate(value);
        case LimitKind::items: return count(value);
    }
    return "n/a";
}

std::string signed_in_unit(double change, LimitKind kind) {
    const std::string magnitude = in_unit(change, kind);
    // format_bytes and count keep a negative sign; a positive change gets an explicit one.
    return std::isfinite(change) && change >= 0 ? "+" + magnitude : magnitude;
}

std::string rate_of(double per_hour, const std::string& metric) {
    if (!std::isfinite(per_hour)) return "n/a";
    if (metric.ends_with(".items")) return fmt::format("{:.1f} items/h", per_hour);
    return harness::format_size_rate(per_hour);
}

std::string confidence_level(double confidence) { return fmt::format("{:g}%", confidence * 100); }

std::string growth_with_interval(const harness::LimitResult& limit) {
    if (!limit.growth) return "-";
    const harness::Growth& g = *limit.growth;
    return fmt::format("{} ({} CI {}..{})", rate_of(g.slope_per_hour, limit.metric), confidence_level(g.confidence),
                       rate_of(g.ci_low_per_hour, limit.metric), rate_of(g.ci_high_per_hour, limit.metric));
}

std::string limit_label(const harness::LimitResult& limit) {
    return fmt::format("{} {}", harness::to_string(limit.kind), limit.metric);
}

std::string retention_note(const harness::RunResult& run, const harness::BudgetResult& budget) {
    if (!run.retention) return "";
    for (const harness::LimitResult& limit : budget.limits) {
        if (limit.verdict == harness::Verdict::fail && harness::is_process_metric(limit.metric)) {
            return harness::retention_summary(*run.retention);
        }
    }
    return "";
}

std::string growth_site_note(const harness::RunResult& run, const harness::BudgetResult& budget) {
    if (!run.heap_profile) return "";
    for (const harness::LimitResult& limit : budget.limits) {
        if (limit.verdict == harness::Verdict::fail && harness::is_process_metric(limit.metric)) {
            return harness::growth_site_summary(*run.heap_profile);
        }
    }
    return "";
}

std::string verdict_word(harness::Verdict verdict) {
    return verdict == harness::Verdict::not_measured ? "not measured" : std::string(harness::to_string(verdict));
}

std::string virtual_duration(harness::VirtualDuration duration) {
    // A day or two is spoken of in hours, as scenarios name them ("24h", "30h"); longer runs in days.
    if (duration < std::chrono::hours(24) || duration >= std::chrono::hours(48)) {
        return engine::format_duration(duration);
    }
    const auto hours = std::chrono::floor<std::chrono::hours>(duration);
    const harness::VirtualDuration rest = duration - hours;
    return fmt::format("{}h{}", hours.count(), rest.count() == 0 ? "" : engine::format_duration(rest));
}

std::string wall_seconds(double seconds) { return std::isfinite(seconds) ? fmt::format("{:.2f} s", seconds) : "n/a"; }

std::string acceleration(double factor) {
    if (!std::isfinite(factor) || factor <= 0) return "n/a";
    // Three significant digits: a speed-up is only that precise from run to run.
    const int digits = static_cast<int>(std::floor(std::log10(factor))) + 1;
    if (digits < 3) return fmt::format("{:.{}f}x", factor, 3 - digits);
    const double unit = std::pow(10.0, digits - 3);
    return count(std::round(factor / unit) * unit) + "x";
}

std::string run_name(const harness::SuiteEntry& entry) {
    const std::string scenario = entry.scenario.stem().string();
    return entry.seed ? fmt::format("{} (seed {})", scenario, *entry.seed) : scenario;
}

}  // namespace memsoak::reports::text
