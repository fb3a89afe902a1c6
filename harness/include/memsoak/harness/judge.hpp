#pragma once
// Verdicts: a recorded series against the ledger's budgets, and growth attributed to engine components. Runs after
// the soak loop (or on a saved series), never inside it.
//
// Rules, per limit of a budget, on the samples at or after the warm-up:
// - peak:   the largest value must not exceed the limit. The growth is fitted too, and when it is significantly
//           positive the fitted line projects when the limit is crossed (hours_to_breach).
// - items:  the largest count must not exceed the limit.
// - growth: fails only when the Mann-Kendall trend is significant AND the Theil-Sen slope exceeds the limit: a
//           significant but slow trend passes, and so does a fast-looking slope that noise could explain.
// - a metric that is not in the series, or has no value after the warm-up: not_measured.
// A budget fails if any limit failed, passes if any passed and none failed, and is otherwise not_measured.
//
// Growth fits start at the later of the configured warm-up and the warm-up detected by MSER-5 on the metric
// (detect_warmup): a transient such as caches filling at start-up is not a trend. Peaks and counts use the
// configured warm-up only: memory held during a transient was still held.
//
// A step (a level that rises once and stays) is significant for Mann-Kendall, and the Theil-Sen slope of a series
// containing one is the step height spread over the run. When the step lies in the first half of the series
// MSER-5 trims it and the growth limit sees the flat level after it; a later step can fail a growth limit, and the
// peak limit is what bounds the level in either case.

#include <map>
#include <string>
#include <vector>

#include "memsoak/harness/ledger.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

struct JudgeOptions {
    double alpha = 0.01;       // significance level of the Mann-Kendall trend test
    double confidence = 0.95;  // of the slope's confidence interval in reports
    // Fewer samples after the warm-up leave a growth limit not_measured. With 6 points Mann-Kendall can reach
    // p = 0.0085 (S = 15, Var(S) = 28.3): 5 points could never be significant at alpha = 0.01.
    std::size_t min_growth_samples = 6;
    bool detect_warmup = true;  // also trim the MSER-5 warm-up from growth fits
};

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
