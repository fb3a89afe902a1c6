#pragma once
// One trend-fitting rule for everything that judges growth: growth limits (judge.hpp), the layer diagnosis
// (diagnosis.hpp), fix comparisons and calibration (calibration.hpp).
//
// The window: the samples at or after the configured warm-up. For a metric that includes memory the allocator
// caches (the resident set, "os.*", and "allocator.committed_bytes"), only the samples taken right after an
// allocator purge, when at least min_growth_samples of them lie in the window: between purges those metrics hold
// memory freed but cached, which in virtual time no timer returns. Every other metric uses every sample.
//
// In the window, the Theil-Sen trend and its Mann-Kendall test are fitted after the later of the configured warm-up
// and the MSER-5 warm-up (a transient such as caches filling at start-up is not a trend); the level shape (mean
// rate, tail rate, rise: statistics.hpp) is read over the whole window, so that a staircase's early steps count.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

struct JudgeOptions {
    double alpha = 0.01;       // significance level of the Mann-Kendall trend test
    double confidence = 0.95;  // of the slope's confidence interval in reports
    // Fewer samples after the warm-up leave a growth limit not_measured. With 6 points Mann-Kendall can reach
    // p = 0.0085 (S = 15, Var(S) = 28.3): 5 points could never be significant at alpha = 0.01.
    std::size_t min_growth_samples = 6;
    bool detect_warmup = true;  // also trim the MSER-5 warm-up from trend fits
    // A level (statistics.hpp, level_shape) spans at least this much virtual time: the scenario's longest
    // workload cycle (workload_cycle in scenario.hpp), recorded in the report so that re-judging agrees.
    VirtualDuration level_window{};
};

// Whether a metric is fitted on the purged checkpoints (when there are enough of them).
bool fits_purged_checkpoints(std::string_view metric);

class TrendFitter {
public:
    TrendFitter(const SampleSeries& series, VirtualDuration warmup, const JudgeOptions& options);

    // The fit of a sampled metric's column; nullopt when the metric is absent or fewer than min_growth_samples
    // usable points lie in its window. `purged_only` says which samples were used.
    struct Fit {
        Growth growth;
        bool purged_only = false;
    };
    std::optional<Fit> fit(std::string_view metric) const;
    // The same rule for a column computed from the series (e.g. the engine's total), fitted on every sample.
    std::optional<Fit> fit_column(std::span<const double> values, bool prefer_purged) const;

    // The number of usable points in a metric's window (for "only N samples" messages).
    std::size_t window_samples(std::string_view metric) const;

private:
    std::optional<Fit> fit_samples(std::span<const double> values, bool purged_only) const;
    std::vector<std::size_t> window(std::span<const double> values, bool purged_only) const;

    const SampleSeries& series_;
    JudgeOptions options_;
    std::vector<double> hours_;
    std::size_t first_judged_ = 0;
};

}  // namespace memsoak::harness
