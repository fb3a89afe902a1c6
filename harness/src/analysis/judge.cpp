#include "memsoak/harness/analysis/judge.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "memsoak/harness/analysis/statistics.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view layer_of(std::string_view metric) { return metric.substr(0, metric.find('.')); }

// The samples of a series that are judged: peaks and counts over every sample at or after the configured warm-up;
// growth by the one trend rule of trend.hpp, cached per metric so that a metric's limits share one fit.
class JudgedSeries {
public:
    JudgedSeries(const SampleSeries& series, VirtualDuration warmup, const JudgeOptions& options)
        : series_(series), warmup_(warmup), fitter_(series, warmup, options) {
        first_judged_ = static_cast<std::size_t>(
            std::lower_bound(series.times.begin(), series.times.end(), engine::virtual_epoch + warmup) -
            series.times.begin());
        fits_.resize(series.metrics.size());
    }

    VirtualDuration warmup() const { return warmup_; }
    std::optional<std::size_t> index_of(std::string_view metric) const { return series_.index_of(metric); }

    // The largest value after the warm-up; NaN when there is none.
    double peak(std::size_t metric) const {
        double peak = kNaN;
        const std::vector<double>& values = series_.values[metric];
        for (std::size_t i = std::min(first_judged_, values.size()); i < values.size(); ++i) {
            if (!std::isnan(values[i]) && !(values[i] <= peak)) peak = values[i];  // !(<=) also replaces NaN
        }
        return peak;
    }

    // nullopt when the metric has fewer than min_growth_samples usable points in its window.
    const std::optional<TrendFitter::Fit>& fit(std::size_t metric) {
        if (!fits_[metric]) fits_[metric] = fitter_.fit(series_.metrics[metric]);
        return *fits_[metric];
    }

    std::size_t window_samples(std::size_t metric) const { return fitter_.window_samples(series_.metrics[metric]); }

    // Whether any metric of the layer was sampled: tells "layer not sampled" from "no such metric".
    bool layer_sampled(std::string_view layer) const {
        return std::any_of(series_.metrics.begin(), series_.metrics.end(),
                           [&](const std::string& metric) { return layer_of(metric) == layer; });
    }

    const std::vector<std::string>& metrics() const { return series_.metrics; }

private:
    const SampleSeries& series_;
    VirtualDuration warmup_;
    TrendFitter fitter_;
    std::size_t first_judged_ = 0;
    std::vector<std::optional<std::optional<TrendFitter::Fit>>> fits_;
};

// Numbers of a confidence interval in the unit that format_bytes picks for the slope, so that the interval reads
// "9.1..9.5" next to "9.3 MiB/h".
std::string format_interval(double slope, double low, double high) {
    constexpr double kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
    const double magnitude = std::fabs(slope);
    if (magnitude < 1023.5) return fmt::format("{:.0f}..{:.0f}", low, high);
    const double unit = magnitude / kKiB < 1023.95 ? kKiB : magnitude / kMiB < 1023.95 ? kMiB : kGiB;
    return fmt::format("{:.1f}..{:.1f}", low / unit, high / unit);
}

std::string format_p(double p) { return p < 0.001 ? std::string("p<0.001") : fmt::format("p={:.2g}", p); }

std::string format_hours(double hours) {
    return hours < 10 ? fmt::format("{:.1f} h", hours) : fmt::format("{:.0f} h", hours);
}

// "9.3 MiB/h (95% CI 9.1..9.5, p<0.001)"
std::string describe_trend(const Growth& growth, double confidence) {
    return fmt::format("{} ({:g}% CI {}, {})", format_size_rate(growth.slope_per_hour), confidence * 100,
                       format_interval(growth.slope_per_hour, growth.ci_low_per_hour, growth.ci_high_per_hour),
                       format_p(growth.p_value));
}

void judge_peak(LimitResult& result, JudgedSeries& series, std::size_t metric) {
    result.measured = series.peak(metric);
    const bool exceeded = result.measured > result.limit;
    result.verdict = exceeded ? Verdict::fail : Verdict::pass;
    result.explanation = fmt::format("peak {} {} {}", format_bytes(result.measured), exceeded ? "exceeds" : "is within",
                                     format_bytes(result.limit));
    if (const auto& fit = series.fit(metric)) result.growth = fit->growth;
}

void judge_items(LimitResult& result, const JudgedSeries& series, std::size_t metric) {
    result.measured = series.peak(metric);
    const bool exceeded = result.measured > result.limit;
    result.verdict = exceeded ? Verdict::fail : Verdict::pass;
    result.explanation =
        fmt::format("peak {:.0f} {} {} {:.0f}", result.measured, result.measured == 1 ? "item" : "items",
                    exceeded ? "exceeds" : "is within", result.limit);
}

void judge_growth(LimitResult& result, const LimitSpec& spec, JudgedSeries& series, std::size_t metric,
                  const JudgeOptions& options) {
    const std::optional<TrendFitter::Fit>& fit = series.fit(metric);
    if (!fit) {
        result.explanation = fmt::format("only {} samples of {} after the warm-up; a growth rate needs at least {}",
                                         series.window_samples(metric), result.metric, options.min_growth_samples);
        return;
    }
    const GrowthJudgement judged =
        judge_growth_rate(fit->growth, result.limit, spec.fill, plateau_tail_fraction(spec.metric));
    result.growth = fit->growth;
    result.fill_allowance = spec.fill;
    result.plateau = judged.plateau;
    result.measured = judged.rate;
    result.detection_limit = judged.detection_limit;
    result.verdict = judged.exceeded ? Verdict::fail : Verdict::pass;
    const Growth& growth = fit->growth;
    const std::string where = fit->purged_only ? " at the purged checkpoints" : "";
    const std::string limit = format_size_rate(result.limit);
    if (judged.plateau) {
        result.explanation = fmt::format(
            "filled {} and stopped{}: {} over the second half of the run, a bounded fill within the {} allowance; "
            "limit {}",
            format_bytes(growth.rise), where, format_size_rate(growth.tail_rate_per_hour), format_bytes(*spec.fill),
            limit);
        return;
    }
    const std::string trend = growth.significant ? "trend " + describe_trend(growth, options.confidence)
                                                 : fmt::format("no significant trend at alpha {:g}", options.alpha);
    result.explanation =
        fmt::format("{} {}{} on average ({}), {} the {} limit", growth.mean_rate_per_hour > 0 ? "grows" : "changes",
                    format_size_rate(growth.mean_rate_per_hour), where, trend, judged.exceeded ? "above" : "within",
                    limit);
    if (judged.exceeded && !(growth.mean_rate_per_hour > result.limit)) {
        result.explanation +=
            fmt::format(" (the trend's slope {} exceeds it)", format_size_rate(growth.slope_per_hour));
    }
}

LimitResult judge_limit(const LimitSpec& spec, JudgedSeries& series, const JudgeOptions& options) {
    LimitResult result;
    result.calibration = spec.calibration;
    result.metric = spec.metric;
    result.kind = spec.kind;
    result.limit = spec.limit;
    result.measured = kNaN;
    if (spec.calibrated && !spec.calibration) {
        result.explanation = fmt::format("{} has a calibrated limit and this run applied no calibration", spec.metric);
        return result;
    }

    const std::optional<std::size_t> metric = series.index_of(spec.metric);
    if (!metric) {
        const std::string_view layer = layer_of(spec.metric);
        result.explanation = fmt::format("{} was not measured: the {} layer {}", spec.metric, layer,
                                         series.layer_sampled(layer) ? "has no such metric" : "was not sampled");
        return result;
    }
    if (std::isnan(series.peak(*metric))) {
        result.explanation = fmt::format("{} has no value at or after the {} warm-up", spec.metric,
                                         engine::format_duration(series.warmup()));
        return result;
    }
    switch (spec.kind) {
        case LimitKind::peak: judge_peak(result, series, *metric); break;
        case LimitKind::items: judge_items(result, series, *metric); break;
        case LimitKind::growth: judge_growth(result, spec, series, *metric, options); break;
    }
    return result;
}

// A peak limit is projected only from growth judged as growth: a failed growth limit on the same metric.
void project_peaks(std::vector<BudgetResult>& results) {
    std::vector<std::string> growing;
    for (const BudgetResult& budget : results) {
        for (const LimitResult& limit : budget.limits) {
            if (limit.kind == LimitKind::growth && limit.verdict == Verdict::fail) growing.push_back(limit.metric);
        }
    }
    for (BudgetResult& budget : results) {
        for (LimitResult& limit : budget.limits) {
            if (limit.kind != LimitKind::peak || !limit.growth) continue;
            if (std::find(growing.begin(), growing.end(), limit.metric) == growing.end()) continue;
            const Growth& growth = *limit.growth;
            if (!growth.significant || !(growth.slope_per_hour > 0)) continue;
            // The fitted line's crossing, in virtual hours since the start of the run (the application's uptime).
            limit.hours_to_breach = std::max(0.0, (limit.limit - growth.intercept) / growth.slope_per_hour);
            if (limit.verdict == Verdict::pass) {
                limit.explanation += fmt::format("; at its rate {} is crossed after {}", format_bytes(limit.limit),
                                                 format_hours(*limit.hours_to_breach));
            }
        }
    }
}

Verdict combine(const std::vector<Verdict>& verdicts) {
    if (std::find(verdicts.begin(), verdicts.end(), Verdict::fail) != verdicts.end()) return Verdict::fail;
    if (std::find(verdicts.begin(), verdicts.end(), Verdict::pass) != verdicts.end()) return Verdict::pass;
    return Verdict::not_measured;
}

}  // namespace

double judged_rate_without_fill(const Growth& growth) {
    const double trend = growth.significant ? growth.slope_per_hour : kNaN;
    if (std::isnan(trend)) return growth.mean_rate_per_hour;
    if (std::isnan(growth.mean_rate_per_hour)) return trend;
    return std::max(trend, growth.mean_rate_per_hour);
}

double plateau_tail_fraction(std::string_view metric) { return layer_of_metric(metric) == Layer::os ? 1.0 : 0.5; }

GrowthJudgement judge_growth_rate(const Growth& growth, double limit, std::optional<double> fill_allowance,
                                  double tail_fraction) {
    GrowthJudgement judged;
    judged.plateau =
        fill_allowance && growth.rise <= *fill_allowance && growth.tail_rate_per_hour <= limit * tail_fraction;
    judged.rate = judged.plateau ? growth.tail_rate_per_hour : judged_rate_without_fill(growth);
    judged.exceeded = !judged.plateau && judged.rate > limit;
    double needed = limit - growth.mean_rate_per_hour;
    if (fill_allowance) needed = std::max(needed, limit * tail_fraction - growth.tail_rate_per_hour);
    judged.detection_limit = std::isnan(needed) ? kNaN : std::max(0.0, needed);
    return judged;
}

std::vector<BudgetResult> judge_budgets(const SampleSeries& series, const Ledger& ledger,
                                        const std::vector<std::string>& budget_names, VirtualDuration warmup,
                                        const JudgeOptions& options) {
    JudgedSeries judged(series, warmup, options);
    std::vector<BudgetResult> results;
    results.reserve(budget_names.size());
    for (const std::string& name : budget_names) {
        const BudgetSpec* budget = ledger.find(name);
        if (budget == nullptr) {
            throw Error(fmt::format("{}: $.budgets: expected a budget named \"{}\"", ledger.file, name));
        }
        BudgetResult& result = results.emplace_back();
        result.budget = budget->name;
        result.description = budget->description;
        std::vector<Verdict> verdicts;
        for (const LimitSpec& limit : budget->limits) {
            result.limits.push_back(judge_limit(limit, judged, options));
            verdicts.push_back(result.limits.back().verdict);
        }
        result.verdict = combine(verdicts);
    }
    project_peaks(results);
    return results;
}

Verdict overall_verdict(const std::vector<BudgetResult>& budgets) {
    std::vector<Verdict> verdicts;
    for (const BudgetResult& budget : budgets) verdicts.push_back(budget.verdict);
    return combine(verdicts);
}

std::vector<Attribution> attribute_growth(const SampleSeries& series, VirtualDuration warmup,
                                          const std::map<std::string, std::string>& component_issues,
                                          const JudgeOptions& options) {
    JudgedSeries judged(series, warmup, options);
    // A component or process metric grows when its judged rate (judge_growth_rate, no fill allowance) is positive
    // and the level rose over the window.
    const auto growth_of = [&](std::size_t metric) {
        const std::optional<TrendFitter::Fit>& fit = judged.fit(metric);
        if (!fit || !(fit->growth.rise > 0)) return 0.0;
        const double rate = judged_rate_without_fill(fit->growth);
        return rate > 0 ? rate : 0.0;
    };
    const auto growing = [&](std::size_t metric) { return growth_of(metric) > 0; };

    std::vector<Attribution> attributions;
    double components_growth = 0;
    constexpr std::string_view kPrefix = "engine.", kSuffix = ".bytes";
    for (std::size_t metric = 0; metric < judged.metrics().size(); ++metric) {
        const std::string& name = judged.metrics()[metric];
        if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix) || !growing(metric)) continue;
        Attribution& attribution = attributions.emplace_back();
        attribution.component = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
        if (const auto issue = component_issues.find(attribution.component); issue != component_issues.end()) {
            attribution.issue = issue->second;
        }
        attribution.growth_bytes_per_hour = growth_of(metric);
        components_growth += attribution.growth_bytes_per_hour;
    }

    double process_growth = 0;
    for (std::string_view process_metric : {metrics::allocator::live_bytes, metrics::os::rss_bytes}) {
        if (const std::optional<std::size_t> metric = judged.index_of(process_metric)) {
            process_growth = growth_of(*metric);
            break;
        }
    }
    const double denominator = std::max(process_growth, components_growth);
    for (Attribution& attribution : attributions) attribution.share = attribution.growth_bytes_per_hour / denominator;
    std::sort(attributions.begin(), attributions.end(), [](const Attribution& a, const Attribution& b) {
        return a.growth_bytes_per_hour > b.growth_bytes_per_hour;
    });
    return attributions;
}

}  // namespace memsoak::harness
