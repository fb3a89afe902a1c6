#pragma once
// Verdicts: a recorded series against the ledger's budgets, and growth attributed to engine components. Runs after
// the soak loop (or on a saved series), never inside it.
//
// Rules, per limit of a budget, on the samples at or after the warm-up:
// - peak:   the largest value must not exceed the limit. The growth is fitted too, and when it is significantly
//           positive the fitted line projects when the limit is crossed (hours_to_breach).
// - items:  the largest count must not exceed the limit.
// - growth: judge_growth_rate below, on the fit of trend.hpp (purged checkpoints for os.* and committed bytes).
// - a metric that is not in the series, or has no value after the warm-up: not_measured.
// A budget fails if any limit failed, passes if any passed and none failed, and is otherwise not_measured.
//
// Peaks and counts use the configured warm-up only: memory held during a transient was still held. A peak limit
// projects when it would be crossed (hours_to_breach) only when a growth limit on the same metric failed: a
// projection comes from growth judged as growth, never from a structure filling up.
// A limit the ledger marks "calibrated" that was not resolved (calibration.hpp) is not_measured, saying why.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "memsoak/harness/analysis/trend.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

// The growth rule. A growth "fills and stops" (a plateau) when the limit has a fill allowance, the rise over the
// window is within it and the tail rate (statistics.hpp, level_shape) is at most half the limit (all of it for the
// resident set: plateau_tail_fraction): a bounded
// structure that filled once. A plateau passes and its judged rate is the tail rate. Otherwise the judged rate is
// the larger of the mean rate and, when Mann-Kendall finds the trend significant, the Theil-Sen slope; it fails
// above the limit. The mean rate reads a staircase (capacity doublings) and a ramp over part of the window at their
// mean, where the slope alone reads a staircase by its treads; the slope keeps a steady trend under noise visible.
// A container that doubles its capacity steps up in every interval (t, 2t], so its tail is never flat: a staircase
// is never taken for a plateau.
// detection_limit: the smallest steady leak rate that, added to this run, would have failed the limit: the mean
// rate is additive, so L - mean rate; with a fill allowance the leak must also lift the tail above L/2.
struct GrowthJudgement {
    double rate = 0;
    bool plateau = false;
    bool exceeded = false;
    double detection_limit = 0;
};
// `tail_fraction`: a plateau's tail rate is at most this share of the limit (plateau_tail_fraction).
GrowthJudgement judge_growth_rate(const Growth& growth, double limit, std::optional<double> fill_allowance,
                                  double tail_fraction = 0.5);

// 1/2 for heap metrics, whose staircases the tail must tell from a fill; 1 for the resident set ("os."), which
// follows the pages a container touches rather than its capacity (no staircase) and moves by pages and purges.
double plateau_tail_fraction(std::string_view metric);

// The statistic a calibrated growth limit is set above: the judged rate with no fill allowance.
double judged_rate_without_fill(const Growth& growth);

// Throws harness::Error when a budget name is not in the ledger.
std::vector<BudgetResult> judge_budgets(const SampleSeries& series, const Ledger& ledger,
                                        const std::vector<std::string>& budget_names, VirtualDuration warmup,
                                        const JudgeOptions& options);

// fail if any budget failed, pass if any passed and none failed, not_measured otherwise (also when empty).
Verdict overall_verdict(const std::vector<BudgetResult>& budgets);

// Each engine.<component>.bytes metric whose growth after the warm-up is significantly positive, with its growth
// per hour and its share of the process growth, largest growth first. The process growth is that of
// allocator.live_bytes, else os.rss_bytes; when the components' growth adds up to more than it (noise, or neither
// measured) the shares are of the components' total, so they always lie in 0..1 and add up to at most 1.
// `component_issues` maps a component to its study issue (the series holds names only); unmapped: empty issue.
std::vector<Attribution> attribute_growth(const SampleSeries& series, VirtualDuration warmup,
                                          const std::map<std::string, std::string>& component_issues,
                                          const JudgeOptions& options = {});

}  // namespace memsoak::harness
