// The comparison in percent and as JSON (compare.hpp): `memsoak compare`'s percent column and --json output.

#include <cmath>

#include <fmt/format.h>

#include "memsoak/reports/compare.hpp"

namespace memsoak::reports {
namespace {

nlohmann::json number(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }

nlohmann::json side(const harness::LimitResult& limit) {
    nlohmann::json out = {{"limit", number(limit.limit)},
                          {"measured", number(limit.measured)},
                          {"verdict", harness::to_string(limit.verdict)}};
    if (limit.growth) {
        out["slope_per_hour"] = number(limit.growth->slope_per_hour);
        out["slope_ci_low_per_hour"] = number(limit.growth->ci_low_per_hour);
        out["slope_ci_high_per_hour"] = number(limit.growth->ci_high_per_hour);
    }
    return out;
}

}  // namespace

double percent_change(const LimitComparison& limit) {
    const double before = limit.baseline.measured, after = limit.candidate.measured;
    if (!std::isfinite(before) || !std::isfinite(after) || before == 0) return std::nan("");
    return 100 * (after - before) / std::fabs(before);
}

std::string format_percent_change(double percent) {
    if (!std::isfinite(percent)) return "n/a";
    const double magnitude = std::fabs(percent);
    const std::string digits = magnitude >= 100 ? fmt::format("{:.0f}", magnitude) : fmt::format("{:.1f}", magnitude);
    const std::size_t whole = std::min(digits.find('.'), digits.size());
    std::string grouped = percent < 0 ? "-" : "+";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i < whole && (whole - i) % 3 == 0) grouped += ',';  // "+10,300%"
        grouped += digits[i];
    }
    return grouped + "%";
}

nlohmann::json comparison_to_json(const Comparison& comparison) {
    const CompareOptions& o = comparison.options;
    nlohmann::json out = {{"schema_version", kComparisonSchemaVersion},
                          {"tolerances",
                           {{"peak_bytes", o.peak_tolerance_bytes},
                            {"items", o.items_tolerance},
                            {"growth_per_hour", o.growth_tolerance_per_hour},
                            {"relative", o.relative_tolerance}}},
                          {"regressions", comparison.regressions()},
                          {"only_in_baseline", comparison.only_in_baseline},
                          {"only_in_candidate", comparison.only_in_candidate}};
    out["scenarios"] = nlohmann::json::array();
    for (const ScenarioComparison& s : comparison.scenarios) {
        nlohmann::json scenario = {{"scenario", s.scenario},
                                   {"seed", s.candidate.info.seed},
                                   {"allocator", s.candidate.info.allocator},
                                   {"baseline_file", s.baseline_file},
                                   {"candidate_file", s.candidate_file},
                                   {"notes", s.notes},
                                   {"incomplete", s.incomplete},
                                   {"regressions", s.regressions()}};
        scenario["limits"] = nlohmann::json::array();
        for (const LimitComparison& l : s.limits) {
            scenario["limits"].push_back({{"budget", l.budget},
                                          {"metric", l.metric},
                                          {"kind", harness::to_string(l.kind)},
                                          {"baseline", side(l.baseline)},
                                          {"candidate", side(l.candidate)},
                                          {"change", number(l.candidate.measured - l.baseline.measured)},
                                          {"change_percent", number(percent_change(l))},
                                          {"peak", to_string(l.peak)},
                                          {"growth", to_string(l.growth)},
                                          {"verdict", to_string(l.verdict)},
                                          {"overall", to_string(l.overall())},
                                          {"reason", l.reason}});
        }
        out["scenarios"].push_back(std::move(scenario));
    }
    return out;
}

}  // namespace memsoak::reports
