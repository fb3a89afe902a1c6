#pragma once
// Two sets of nights compared limit by limit in percent: `memsoak history compare --baseline v1.3.0 --candidate
// v1.4.0`. Each side pools every run of its nights; the change is the difference of the means with a Welch 95%
// interval, both in percent of the baseline's mean.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "memsoak/history/check.hpp"

namespace memsoak::history {

// The version of the release comparison JSON (release_to_json).
inline constexpr int kReleaseComparisonSchemaVersion = 1;

// The nights a selector names: a label ("v1.4.0"), a commit or its prefix (4 characters at least), or a date range
// "2026-11-01..2026-11-07" (inclusive, UTC; either end may be left open). Throws history::Error naming the
// selector when it matches no night.
std::vector<std::size_t> select_nights(const History& history, const std::string& selector, const std::string& what);

enum class ReleaseChange { regressed, improved, same, not_compared };
std::string_view to_string(ReleaseChange change);

struct LimitChange {
    SeriesKey series;
    std::size_t baseline_runs = 0, candidate_runs = 0;
    double baseline_mean = 0, candidate_mean = 0;
    double limit = 0;                          // the candidate's limit
    double percent = 0;                        // NaN when the baseline mean is 0, or a slope below the growth floor
    double percent_low = 0, percent_high = 0;  // 95% interval of the change; NaN with fewer than 2 runs a side
    std::size_t baseline_failed = 0, candidate_failed = 0;
    ReleaseChange change = ReleaseChange::not_compared;
};

struct ScenarioRollup {
    std::string scenario;
    std::string allocator;
    ReleaseChange change = ReleaseChange::same;  // regressed if any limit did, else improved if any did
    std::optional<std::size_t> headline;  // index into limits: the largest regression (else improvement, else change)
    std::size_t regressed = 0, improved = 0, compared = 0;
};

struct ReleaseComparison {
    std::string baseline_selector, candidate_selector;
    std::vector<std::size_t> baseline_nights, candidate_nights;
    std::vector<LimitChange> limits;
    std::vector<ScenarioRollup> scenarios;
    std::size_t regressions() const;
};

// A limit regresses when its 95% interval lies above zero (or, with a single run a side, its change does) by at
// least the check's minimum magnitude (relative and absolute), or when it fails in the candidate more often than
// in the baseline.
ReleaseComparison compare_releases(const History& history, const std::string& baseline, const std::string& candidate,
                                   const CheckOptions& options);

std::string render_release_text(const History& history, const ReleaseComparison& comparison);
std::string render_release_markdown(const History& history, const ReleaseComparison& comparison);
std::string render_release_html(const History& history, const ReleaseComparison& comparison);
nlohmann::json release_to_json(const History& history, const ReleaseComparison& comparison);

// "production-day [mimalloc]: issue-2 items engine.chart.items +10,300% (+103 items), REGRESSED"; growth without
// a meaningful percent gives the absolute change alone.
std::string rollup_line(const ReleaseComparison& comparison, const ScenarioRollup& rollup);

}  // namespace memsoak::history
