#pragma once
// Compares a candidate run with a baseline run of the same scenario, limit by limit: the change in peak and in
// growth rate, flagged as a regression only beyond a tolerance that allows for the runs' own noise
// (docs/reports.md "Comparing with a baseline").

#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "memsoak/harness/result.hpp"
#include "memsoak/reports/terminal.hpp"

namespace memsoak::reports {

// The version of the comparison JSON (`memsoak compare --json`, comparison_to_json).
inline constexpr int kComparisonSchemaVersion = 1;

// The defaults were set from re-runs of one build: the same scenario and seed move a peak of RSS by well under
// 1 MiB between re-runs (and by ~3 MiB between allocators: compare like with like), and the RSS slope's interval
// by ~30 KiB/h in a day and ~90 KiB/h in two hours; engine footprints and allocator live bytes repeat exactly.
struct CompareOptions {
    double peak_tolerance_bytes = 1024.0 * 1024;  // a peak may rise this much ...
    double items_tolerance = 10;                  // ... a count this much ...
    double relative_tolerance = 0.10;             // ... or this fraction of the baseline, whichever is larger
    // Bytes per virtual hour (items per hour for .items metrics); at least the peak (count) tolerance spread over
    // the hours the fit spans, and the relative tolerance of the baseline's slope.
    double growth_tolerance_per_hour = 64 * 1024.0;
    // A report on one side with no counterpart on the other fails the comparison unless this is set: a scenario
    // that was never compared must not read as "no regression".
    bool allow_unpaired = false;
};

// How far a limit's measured value and growth slope spread over the baseline's seeds of one scenario: the
// run-to-run variation that a comparison across different seeds must allow (the candidate's own spread is not
// used: a leak in one of its seeds would widen its own tolerance).
struct SeedSpread {
    double measured = 0;
    double slope_per_hour = 0;
};
// Keyed by budget, metric and limit kind (seed_spread_key).
using SeedSpreads = std::map<std::string, SeedSpread>;
std::string seed_spread_key(const std::string& budget, const std::string& metric, harness::LimitKind kind);

enum class Change { same, regressed, improved, not_compared };

// One limit of one budget, in both runs. Peak and items limits compare the measured peak; any limit whose
// metric has a fitted trend in both runs also compares the growth.
struct LimitComparison {
    std::string budget;
    std::string metric;
    harness::LimitKind kind = harness::LimitKind::peak;
    harness::LimitResult baseline;
    harness::LimitResult candidate;
    Change peak = Change::not_compared;    // peak and items limits only
    Change growth = Change::not_compared;  // when both runs fitted a trend
    Change verdict = Change::same;         // regressed: pass -> fail; improved: fail -> pass
    std::string reason;                    // why it regressed or improved, for people; empty when the same

    Change overall() const;  // regressed if anything regressed, else improved if anything improved, else same
};

struct ScenarioComparison {
    std::string scenario;
    std::string baseline_file;
    std::string candidate_file;
    harness::RunResult baseline;
    harness::RunResult candidate;
    std::vector<LimitComparison> limits;
    std::vector<std::string> notes;  // what makes the comparison less like-for-like: allocator, seed, leaks, budgets
    // Why a side cannot be vouched for: it stopped before its duration (a signal, --max-rss). Counts as a
    // regression: an incomplete candidate cannot show that nothing regressed. Empty when both ran whole.
    std::string incomplete;
    std::size_t regressions() const;  // regressed limits, plus one when incomplete
};

struct Comparison {
    CompareOptions options;
    std::vector<ScenarioComparison> scenarios;
    // Reports with no counterpart, as "SCENARIO (seed N, ALLOCATOR): FILE".
    std::vector<std::string> only_in_baseline;
    std::vector<std::string> only_in_candidate;
    std::size_t regressions() const;
    std::size_t unpaired() const;  // reports on either side that were not compared
    // Nothing regressed, and every report was compared (or options.allow_unpaired): exit 0.
    bool passed() const;
};

// Compares two runs (of the same scenario; the names are not checked here). With `spreads` (runs of different
// seeds), each limit's tolerances widen by its spread over the seeds.
ScenarioComparison compare_runs(const harness::RunResult& baseline, const harness::RunResult& candidate,
                                const CompareOptions& options, const SeedSpreads* spreads = nullptr);

// Two report files, or two folders of reports (a folder's suite-report.json and files that are not .json are
// skipped). Folders pair reports by scenario, seed and allocator; the reports of a scenario and allocator left
// over on both sides (other seeds) are then compared across seeds, each report at least once, with tolerances
// widened by the spread over the baseline's seeds. Throws reports::Error for an unreadable report, a folder compared
// with a file, two reports of one scenario, seed and allocator in a folder, or folders that share no scenario.
Comparison compare_paths(const std::filesystem::path& baseline, const std::filesystem::path& candidate,
                         const CompareOptions& options);

// The level of the growth intervals compared (the first fitted trend's: a run fits all at one level); the default
// level without any.
double interval_confidence(const Comparison& comparison);

// The terminal rendering: one table per scenario, the reasons under regressed rows, and a closing line.
void print_comparison(std::ostream& out, const Comparison& comparison, const TerminalStyle& style);

std::string_view to_string(Change change);

// The change of the measured value (peak, slope or count) in percent of the baseline's; NaN when the baseline is 0
// or either side was not measured. "+12.3%", "-4.0%", "+10,300%", "n/a".
double percent_change(const LimitComparison& limit);
std::string format_percent_change(double percent);

// The comparison as JSON (compare --json): every scenario and limit with both sides, the change in the metric's
// unit and in percent, and what regressed. docs/reports.md describes the fields.
nlohmann::json comparison_to_json(const Comparison& comparison);

}  // namespace memsoak::reports
