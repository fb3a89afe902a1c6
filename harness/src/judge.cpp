#include "memsoak/harness/judge.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/statistics.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view layer_of(std::string_view metric) { return metric.substr(0, metric.find('.')); }

// The samples of a series that are judged: those at or after the configured warm-up. Growth fits are cached per
// metric: a metric's peak and growth limits share one fit.
class JudgedSeries {
public:
    JudgedSeries(const SampleSeries& series, VirtualDuration warmup, const JudgeOptions& options)
        : series_(series), warmup_(warmup), options_(options) {
        hours_.reserve(series.size());
        for (VirtualTime time : series.times) hours_.push_back(engine::to_hours(time.time_since_epoch()));
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
        for (double value : judged(metric)) {
            if (!std::isnan(value) && !(value <= peak)) peak = value;  // !(<=) also replaces the initial NaN
        }
        return peak;
    }

    const Growth& growth(std::size_t metric) {
        std::optional<Growth>& fit = fits_[metric];
        if (!fit) {
            const std::span<const double> values(series_.values[metric]);
            std::size_t start = first_judged_;
            if (options_.detect_warmup) start = std::max(start, detect_warmup(values));
            start = std::min({start, values.size(), hours_.size()});
            fit = fit_growth(std::span<const double>(hours_).subspan(start), values.subspan(start), options_.alpha,
                             options_.confidence);
        }
        return *fit;
    }

    bool has_growth_samples(std::size_t metric) { return growth(metric).samples >= options_.min_growth_samples; }

    // Whether any metric of the layer was sampled: tells "layer not sampled" from "no such metric".
    bool layer_sampled(std::string_view layer) const {
        return std::any_of(series_.metrics.begin(), series_.metrics.end(),
                           [&](const std::string& metric) { return layer_of(metric) == layer; });
    }

    const std::vector<std::string>& metrics() const { return series_.metrics; }

private:
    std::span<const double> judged(std::size_t metric) const {
        const std::vector<double>& values = series_.values[metric];
        return std::span<const double>(values).subspan(std::min(first_judged_, values.size()));
    }

    const SampleSeries& series_;
    VirtualDuration warmup_;
    const JudgeOptions& options_;
    std::vector<double> hours_;
    std::size_t first_judged_ = 0;
    std::vector<std::optional<Growth>> fits_;
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
    result.explanation = fmt::format("peak {} {} {}", format_bytes(result.measured),
                                     exceeded ? "exceeds" : "is within", format_bytes(result.limit));
    if (!series.has_growth_samples(metric)) return;
    const Growth& growth = series.growth(metric);
    result.growth = growth;
    if (!growth.significant || !(growth.slope_per_hour > 0)) return;
    // The fitted line's crossing, in virtual hours since the start of the run (the application's uptime).
    result.hours_to_breach = std::max(0.0, (result.limit - growth.intercept) / growth.slope_per_hour);
    if (!exceeded) {
        result.explanation += fmt::format("; at this rate {} is crossed after {}", format_bytes(result.limit),
                                          format_hours(*result.hours_to_breach));
    }
}

void judge_items(LimitResult& result, const JudgedSeries& series, std::size_t metric) {
    result.measured = series.peak(metric);
    const bool exceeded = result.measured > result.limit;
    result.verdict = exceeded ? Verdict::fail : Verdict::pass;
    result.explanation = fmt::format("peak {:.0f} {} {} {:.0f}", result.measured,
                                     result.measured == 1 ? "item" : "items", exceeded ? "exceeds" : "is within",
                                     result.limit);
}

void judge_growth(LimitResult& result, JudgedSeries& series, std::size_t metric, const JudgeOptions& options) {
    const Growth& growth = series.growth(metric);
    if (!series.has_growth_samples(metric)) {
        result.explanation = fmt::format("only {} samples of {} after the warm-up; a growth rate needs at least {}",
                                         growth.samples, result.metric, options.min_growth_samples);
        return;
    }
    result.growth = growth;
    result.measured = growth.slope_per_hour;
    const std::string trend = describe_trend(growth, options.confidence);
    const std::string limit = format_size_rate(result.limit);
    if (!growth.significant) {
        result.verdict = Verdict::pass;
        result.explanation = fmt::format("no significant trend at alpha {:g}: {}, limit {}", options.alpha, trend,
                                         limit);
        return;
    }
    const bool exceeded = growth.slope_per_hour > result.limit;
    result.verdict = exceeded ? Verdict::fail : Verdict::pass;
    // A significant trend can have a zero or negative median slope (e.g. a few rises among many ties).
    result.explanation = fmt::format("{} {}, {} the {} limit", growth.slope_per_hour > 0 ? "grows" : "trend",
                                     trend, exceeded ? "above" : "within", limit);
}

LimitResult judge_limit(const LimitSpec& spec, JudgedSeries& series, const JudgeOptions& options) {
    LimitResult result;
    result.metric = spec.metric;
    result.kind = spec.kind;
    result.limit = spec.limit;
    result.measured = kNaN;

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
        case LimitKind::growth: judge_growth(result, series, *metric, options); break;
    }
    return result;
}

Verdict combine(const std::vector<Verdict>& verdicts) {
    if (std::find(verdicts.begin(), verdicts.end(), Verdict::fail) != verdicts.end()) return Verdict::fail;
    if (std::find(verdicts.begin(), verdicts.end(), Verdict::pass) != verdicts.end()) return Verdict::pass;
    return Verdict::not_measured;
}

}  // namespace

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
    const auto growing = [&](std::size_t metric) {
        const Growth& growth = judged.growth(metric);
        return judged.has_growth_samples(metric) && growth.significant && growth.slope_per_hour > 0;
    };

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
        attribution.growth_bytes_per_hour = judged.growth(metric).slope_per_hour;
        components_growth += attribution.growth_bytes_per_hour;
    }

    double process_growth = 0;
    for (std::string_view process_metric : {"allocator.live_bytes", "os.rss_bytes"}) {
        if (const std::optional<std::size_t> metric = judged.index_of(process_metric)) {
            if (growing(*metric)) process_growth = judged.growth(*metric).slope_per_hour;
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
