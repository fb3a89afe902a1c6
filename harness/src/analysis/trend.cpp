#include "memsoak/harness/analysis/trend.hpp"

#include <algorithm>
#include <cmath>

#include "memsoak/harness/analysis/statistics.hpp"

namespace memsoak::harness {

bool fits_purged_checkpoints(std::string_view metric) {
    return layer_of_metric(metric) == Layer::os || metric == metrics::allocator::committed_bytes;
}

TrendFitter::TrendFitter(const SampleSeries& series, VirtualDuration warmup, const JudgeOptions& options)
    : series_(series), options_(options) {
    hours_.reserve(series.size());
    for (VirtualTime time : series.times) hours_.push_back(engine::to_hours(time.time_since_epoch()));
    first_judged_ = static_cast<std::size_t>(
        std::lower_bound(series.times.begin(), series.times.end(), engine::virtual_epoch + warmup) -
        series.times.begin());
}

std::vector<std::size_t> TrendFitter::window(std::span<const double> values, bool purged_only) const {
    std::vector<std::size_t> chosen;
    const std::size_t count = std::min(values.size(), hours_.size());
    for (std::size_t i = first_judged_; i < count; ++i) {
        const bool purged = i < series_.purged.size() && series_.purged[i];
        if ((!purged_only || purged) && !std::isnan(values[i])) chosen.push_back(i);
    }
    return chosen;
}

std::optional<TrendFitter::Fit> TrendFitter::fit_samples(std::span<const double> values, bool purged_only) const {
    const std::vector<std::size_t> chosen = window(values, purged_only);
    if (chosen.size() < options_.min_growth_samples) return std::nullopt;
    std::vector<double> x, y;
    x.reserve(chosen.size());
    y.reserve(chosen.size());
    for (std::size_t i : chosen) {
        x.push_back(hours_[i]);
        y.push_back(values[i]);
    }
    // The trend after the MSER-5 warm-up as well; the level shape over the whole window.
    std::size_t trend_start = options_.detect_warmup ? detect_warmup(y) : 0;
    if (x.size() - trend_start < options_.min_growth_samples) trend_start = 0;
    Fit fit;
    fit.purged_only = purged_only;
    fit.growth = fit_growth(std::span<const double>(x).subspan(trend_start),
                            std::span<const double>(y).subspan(trend_start), options_.alpha, options_.confidence);
    const LevelShape shape = level_shape(x, y, engine::to_hours(options_.level_window));
    fit.growth.mean_rate_per_hour = shape.mean_rate;
    fit.growth.tail_rate_per_hour = shape.tail_rate;
    fit.growth.rise = shape.rise;
    return fit;
}

std::optional<TrendFitter::Fit> TrendFitter::fit_column(std::span<const double> values, bool prefer_purged) const {
    if (prefer_purged) {
        if (std::optional<Fit> fit = fit_samples(values, true)) return fit;
    }
    return fit_samples(values, false);
}

std::optional<TrendFitter::Fit> TrendFitter::fit(std::string_view metric) const {
    const std::optional<std::size_t> index = series_.index_of(metric);
    if (!index) return std::nullopt;
    return fit_column(series_.values[*index], fits_purged_checkpoints(metric));
}

std::size_t TrendFitter::window_samples(std::string_view metric) const {
    const std::optional<std::size_t> index = series_.index_of(metric);
    if (!index) return 0;
    const std::span<const double> values(series_.values[*index]);
    const std::size_t purged = window(values, true).size();
    if (fits_purged_checkpoints(metric) && purged >= options_.min_growth_samples) return purged;
    return window(values, false).size();
}

}  // namespace memsoak::harness
