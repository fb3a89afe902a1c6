#include "memsoak/harness/analysis/diagnosis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include <fmt/format.h>

#include "memsoak/harness/analysis/statistics.hpp"
#include "memsoak/harness/analysis/trend.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::string_view kRss = metrics::os::rss_bytes;
constexpr std::string_view kRssAnon = metrics::os::rss_anon_bytes;
constexpr std::string_view kCommitted = metrics::allocator::committed_bytes;
constexpr std::string_view kLive = metrics::allocator::live_bytes;
// The resident set growing this many times faster than live bytes is growth outside the allocator.
constexpr double kOsDominance = 4;

// The sum of every engine.<component>.bytes column at each sample; NaN where any component is NaN. Empty when the
// engine layer was not sampled.
std::vector<double> engine_total(const SampleSeries& series) {
    std::vector<double> total;
    for (std::size_t m = 0; m < series.metrics.size(); ++m) {
        const std::string& name = series.metrics[m];
        if (!name.starts_with("engine.") || !name.ends_with(".bytes")) continue;
        if (total.empty()) total.assign(series.size(), 0.0);
        for (std::size_t i = 0; i < total.size() && i < series.values[m].size(); ++i) total[i] += series.values[m][i];
    }
    return total;
}

// A layer's limit in this run: the smallest growth limit the run judged on the metric, and whether it failed.
struct LayerLimit {
    double limit = 0;
    std::optional<double> fill;
    bool judged = false;
    bool failed = false;
};

LayerLimit limit_for(std::string_view metric, const std::vector<BudgetResult>& budgets, double default_floor) {
    LayerLimit found{default_floor, kDefaultFillAllowance, false, false};
    for (const BudgetResult& budget : budgets) {
        for (const LimitResult& limit : budget.limits) {
            if (limit.kind != LimitKind::growth || limit.metric != metric || limit.verdict == Verdict::not_measured) {
                continue;
            }
            if (!found.judged || limit.limit < found.limit) {
                found.limit = limit.limit;
                found.fill = limit.fill_allowance;
            }
            found.judged = true;
            found.failed = found.failed || limit.verdict == Verdict::fail;
        }
    }
    return found;
}

// Fits one layer with the one trend rule (trend.hpp). A layer whose metric has a growth limit in this run grows
// exactly when that limit failed, so the diagnosis cannot contradict the verdict; another grows when its judged
// rate exceeds the floor (with the default fill allowance, so that a structure filling up is not growth).
LayerTrend fit_layer(std::string_view metric, std::optional<TrendFitter::Fit> fit, const LayerLimit& limit) {
    LayerTrend trend;
    trend.metric = std::string(metric);
    if (!fit) return trend;
    trend.growth = fit->growth;
    trend.purged_only = fit->purged_only;
    trend.growing =
        limit.judged ? limit.failed
                     : judge_growth_rate(fit->growth, limit.limit, limit.fill, plateau_tail_fraction(metric)).exceeded;
    return trend;
}

// The heap's resident memory and the allocator's committed bytes at the last sample holding both: the private
// anonymous resident set (or the whole one) and allocator.committed_bytes. nullopt when either was not sampled.
struct ResidentAndCommitted {
    double resident = 0;
    double committed = 0;
};

std::optional<ResidentAndCommitted> last_resident_and_committed(const SampleSeries& series) {
    std::optional<std::size_t> resident = series.index_of(kRssAnon);
    if (!resident) resident = series.index_of(kRss);
    const std::optional<std::size_t> committed = series.index_of(kCommitted);
    if (!resident || !committed) return std::nullopt;
    const std::vector<double>& r = series.values[*resident];
    const std::vector<double>& c = series.values[*committed];
    for (std::size_t i = std::min(r.size(), c.size()); i-- > 0;) {
        if (!std::isnan(r[i]) && !std::isnan(c[i])) return ResidentAndCommitted{r[i], c[i]};
    }
    return std::nullopt;
}

// A layer's judged rate (no fill allowance): its mean rate, or its trend's slope when significant and larger.
double slope_of(const LayerTrend& trend) { return trend.growth ? judged_rate_without_fill(*trend.growth) : kNaN; }

std::string describe(const LayerTrend& trend) {
    const char* where = trend.purged_only ? " at the purged checkpoints" : "";
    return format_size_rate(slope_of(trend)) + where;
}

std::string explain(const LayerDiagnosis& d, const LayerTrend& rss, const LayerTrend& committed, const LayerTrend& live,
                    const LayerTrend& engine, const std::vector<Attribution>& attribution,
                    const std::optional<ResidentAndCommitted>& heap) {
    switch (d.kind) {
        case GrowthClass::retention: {
            if (!live.growth) return fmt::format("retention: the engine's components grow {}", describe(engine));
            std::string text = fmt::format(
                "retention: live bytes grow {} and the engine's components account for "
                "{:.0f}% of it",
                describe(live), d.engine_share * 100);
            if (!attribution.empty()) {
                const Attribution& top = attribution.front();
                text += fmt::format(" (largest: {}{})", top.component, top.issue.empty() ? "" : ", " + top.issue);
            }
            return text;
        }
        case GrowthClass::untracked_leak:
            return fmt::format(
                "leak outside the engine's bookkeeping: live bytes grow {} but the engine's components "
                "account for {:.0f}% of it",
                describe(live), std::max(0.0, d.engine_share) * 100);
        case GrowthClass::heap_growth:
            return fmt::format(
                "live bytes grow {}; the engine layer was not measured, so retention cannot be told "
                "from a leak outside the engine's bookkeeping",
                describe(live));
        case GrowthClass::allocator_caching:
            if (!committed.growing && heap) {
                return fmt::format(
                    "fragmentation or allocator caching: the resident set grows {} inside memory the "
                    "allocator has committed ({} resident of {}) while live bytes do not ({})",
                    describe(rss), format_bytes(heap->resident), format_bytes(heap->committed), describe(live));
            }
            return fmt::format(
                "fragmentation or allocator caching: committed bytes grow {} while live bytes do not "
                "({})",
                describe(committed), describe(live));
        case GrowthClass::os_level:
            return fmt::format(
                "OS-level growth: the resident set grows {} while the allocator does not (committed "
                "{}, live {}): memory the allocator never sees (mappings, stacks), or pages it keeps "
                "that a purge does not return",
                describe(rss), describe(committed), describe(live));
        case GrowthClass::undetermined:
            return fmt::format(
                "the resident set grows {}; the allocator layer was not measured, so the growing "
                "layer cannot be told",
                describe(rss));
        case GrowthClass::stable: {
            std::vector<std::string> rates;
            for (const LayerTrend* trend : {&live, &committed, &rss, &engine}) {
                if (trend->growth) rates.push_back(fmt::format("{} {}", trend->metric, describe(*trend)));
            }
            return fmt::format("stable: no layer grows faster than its limit ({})", fmt::join(rates, ", "));
        }
        case GrowthClass::level: return "no layer grows faster than its limit; the run failed on a level, not a trend";
        case GrowthClass::not_measured: break;
    }
    return "not measured: no layer had enough samples after the warm-up to fit a trend";
}

double peak_of(const RunResult& result, std::string_view metric) {
    const std::optional<std::size_t> index = result.samples.index_of(metric);
    if (!index) return kNaN;
    double peak = kNaN;
    for (double value : result.samples.values[*index]) {
        if (!std::isnan(value) && !(value <= peak)) peak = value;
    }
    return peak;
}

double last_of(const RunResult& result, std::string_view metric) {
    const std::optional<std::size_t> index = result.samples.index_of(metric);
    if (!index) return kNaN;
    const std::vector<double>& values = result.samples.values[*index];
    const auto last = std::find_if(values.rbegin(), values.rend(), [](double v) { return !std::isnan(v); });
    return last == values.rend() ? kNaN : *last;
}

double growth_of(const RunResult& result, std::string_view metric, JudgeOptions options) {
    options.level_window = result.info.level_window;
    const TrendFitter fitter(result.samples, result.info.warmup, options);
    const std::optional<TrendFitter::Fit> fit = fitter.fit(metric);
    return fit ? judged_rate_without_fill(fit->growth) : kNaN;
}

FixMeasure measure(std::string name, std::string unit, double with_leaks, double fixed) {
    FixMeasure m{std::move(name), std::move(unit), with_leaks, fixed, with_leaks - fixed, kNaN};
    if (with_leaks > 0) m.percent = m.saving / with_leaks * 100;
    return m;
}

}  // namespace

double rate_floor_for(const Ledger& ledger, const std::vector<std::string>& budgets) {
    double floor = kDefaultRateFloorBytesPerHour;
    for (const std::string& name : budgets) {
        const BudgetSpec* budget = ledger.find(name);
        if (budget == nullptr) continue;
        for (const LimitSpec& limit : budget->limits) {
            // Growth limits on counts (".items") are in items per hour, not bytes.
            if (limit.kind == LimitKind::growth && limit.metric.ends_with("bytes")) {
                floor = std::min(floor, limit.limit);
            }
        }
    }
    return floor;
}

LayerDiagnosis diagnose_growth(const SampleSeries& series, VirtualDuration warmup,
                               const std::vector<Attribution>& attribution, const DiagnosisOptions& options,
                               const std::vector<BudgetResult>& budgets) {
    const TrendFitter fitter(series, warmup, options.judge);
    const double floor = options.rate_floor_bytes_per_hour;
    const std::vector<double> engine_column = engine_total(series);
    const LayerLimit live_limit = limit_for(kLive, budgets, floor);
    const LayerLimit rss_limit = limit_for(kRss, budgets, floor);
    const LayerTrend rss = fit_layer(kRss, fitter.fit(kRss), rss_limit);
    const LayerTrend committed =
        fit_layer(kCommitted, fitter.fit(kCommitted), limit_for(kCommitted, budgets, live_limit.limit));
    const LayerTrend live = fit_layer(kLive, fitter.fit(kLive), live_limit);
    LayerLimit engine_limit = limit_for(kEngineTotalMetric, budgets, live_limit.limit);
    const LayerTrend engine =
        fit_layer(kEngineTotalMetric, engine_column.empty() ? std::nullopt : fitter.fit_column(engine_column, false),
                  engine_limit);

    LayerDiagnosis d;
    d.rate_floor_bytes_per_hour = floor;
    d.engine_share = kNaN;
    const bool allocator_fitted = live.growth || committed.growth;
    const std::optional<ResidentAndCommitted> heap = last_resident_and_committed(series);
    if (rss.growing && live.growing && !committed.growing && slope_of(rss) > kOsDominance * slope_of(live)) {
        // Live growth must not hide a resident-set leak many times larger (memory the allocator never sees).
        d.kind = GrowthClass::os_level;
    } else if (live.growing && engine.growth) {
        d.engine_share = slope_of(engine) / slope_of(live);
        d.kind = d.engine_share >= kRetentionShare ? GrowthClass::retention : GrowthClass::untracked_leak;
    } else if (live.growing) {
        d.kind = GrowthClass::heap_growth;
    } else if (committed.growing) {
        d.kind = GrowthClass::allocator_caching;
    } else if (rss.growing && !rss_limit.failed && committed.growth && heap && heap->resident <= heap->committed) {
        // An allocator that commits in large segments (mimalloc: 32 MiB) makes its pages resident as it first
        // touches them, and its committed bytes do not move meanwhile.
        d.kind = GrowthClass::allocator_caching;
    } else if (rss.growing) {
        d.kind = allocator_fitted ? GrowthClass::os_level : GrowthClass::undetermined;
    } else if (engine.growing && !allocator_fitted && !rss.growth) {
        d.kind = GrowthClass::retention;
    } else if (std::any_of(budgets.begin(), budgets.end(),
                           [](const BudgetResult& b) { return b.verdict == Verdict::fail; })) {
        d.kind = GrowthClass::level;
    } else if (live.growth || committed.growth || rss.growth || engine.growth) {
        d.kind = GrowthClass::stable;
    }
    d.explanation = explain(d, rss, committed, live, engine, attribution, heap);
    d.layers = {rss, committed, live, engine};
    return d;
}

std::string_view to_string(GrowthClass kind) {
    switch (kind) {
        case GrowthClass::stable: return "stable";
        case GrowthClass::retention: return "retention";
        case GrowthClass::untracked_leak: return "untracked_leak";
        case GrowthClass::heap_growth: return "heap_growth";
        case GrowthClass::allocator_caching: return "allocator_caching";
        case GrowthClass::os_level: return "os_level";
        case GrowthClass::undetermined: return "undetermined";
        case GrowthClass::level: return "level";
        case GrowthClass::not_measured: return "not_measured";
    }
    return "unknown";
}

std::optional<GrowthClass> growth_class_from_string(std::string_view text) {
    for (GrowthClass kind : {GrowthClass::stable, GrowthClass::retention, GrowthClass::untracked_leak,
                             GrowthClass::heap_growth, GrowthClass::allocator_caching, GrowthClass::os_level,
                             GrowthClass::undetermined, GrowthClass::level, GrowthClass::not_measured}) {
        if (to_string(kind) == text) return kind;
    }
    return std::nullopt;
}

std::vector<FixMeasure> compare_fix(const RunResult& with_leaks, const RunResult& fixed, const JudgeOptions& options) {
    return {
        measure("peak RSS", "bytes", peak_of(with_leaks, kRss), peak_of(fixed, kRss)),
        measure("final live bytes", "bytes", last_of(with_leaks, kLive), last_of(fixed, kLive)),
        measure("live bytes growth", "bytes_per_hour", growth_of(with_leaks, kLive, options),
                growth_of(fixed, kLive, options)),
        measure("RSS growth", "bytes_per_hour", growth_of(with_leaks, kRss, options), growth_of(fixed, kRss, options)),
    };
}

}  // namespace memsoak::harness
