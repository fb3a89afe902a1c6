#include "memsoak/harness/analysis/statistics.hpp"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The value at a 1-based, possibly fractional rank of `values`, interpolating between the neighbouring order
// statistics. Reorders `values`. The rank is clamped to 1..size.
double order_statistic(std::vector<double>& values, double rank) {
    const double clamped = std::clamp(rank, 1.0, static_cast<double>(values.size()));
    const auto lower = static_cast<std::size_t>(std::floor(clamped)) - 1;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lower), values.end());
    const double lower_value = values[lower];
    const double fraction = clamped - std::floor(clamped);
    if (fraction == 0) return lower_value;
    // After nth_element everything past `lower` is >= it, so the next order statistic is their minimum.
    const double upper_value = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lower) + 1, values.end());
    return lower_value + fraction * (upper_value - lower_value);
}

double median(std::vector<double>& values) {
    if (values.empty()) return kNaN;
    return order_statistic(values, (static_cast<double>(values.size()) + 1) / 2);
}

// Var(S) = [n(n-1)(2n+5) - sum over groups of t equal values of t(t-1)(2t+5)] / 18.
double mann_kendall_variance(std::span<const double> values) {
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    const auto term = [](double t) { return t * (t - 1) * (2 * t + 5); };
    double ties = 0;
    for (std::size_t begin = 0; begin < sorted.size();) {
        std::size_t end = begin + 1;
        while (end < sorted.size() && sorted[end] == sorted[begin]) ++end;
        ties += term(static_cast<double>(end - begin));
        begin = end;
    }
    return (term(static_cast<double>(values.size())) - ties) / 18;
}

std::vector<double> pairwise_slopes(std::span<const double> x, std::span<const double> y) {
    const std::size_t n = std::min(x.size(), y.size());
    std::vector<double> slopes;
    slopes.reserve(n == 0 ? 0 : n * (n - 1) / 2);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            if (x[j] != x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
        }
    }
    return slopes;
}

}  // namespace

MannKendall mann_kendall(std::span<const double> values) {
    MannKendall result;
    long long s = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        for (std::size_t j = i + 1; j < values.size(); ++j) s += (values[j] > values[i]) - (values[j] < values[i]);
    }
    result.s = static_cast<double>(s);
    result.variance = mann_kendall_variance(values);
    if (s != 0 && result.variance > 0) {
        const double corrected = s > 0 ? result.s - 1 : result.s + 1;
        result.z = corrected / std::sqrt(result.variance);
    }
    result.p_value = normal_two_sided_p(result.z);
    return result;
}

double theil_sen_slope(std::span<const double> x, std::span<const double> y) {
    std::vector<double> slopes = pairwise_slopes(x, y);
    return median(slopes);
}

SlopeEstimate sen_slope(std::span<const double> x, std::span<const double> y, double confidence) {
    std::vector<double> slopes = pairwise_slopes(x, y);
    if (slopes.empty()) return {kNaN, kNaN, kNaN};
    const double n = static_cast<double>(slopes.size());
    const double variance = mann_kendall_variance(y.first(std::min(x.size(), y.size())));
    const double half_width = normal_quantile(0.5 + confidence / 2) * std::sqrt(variance);
    SlopeEstimate estimate;
    estimate.slope = median(slopes);
    estimate.ci_low = order_statistic(slopes, (n - half_width) / 2);
    estimate.ci_high = order_statistic(slopes, (n + half_width) / 2 + 1);
    return estimate;
}

double theil_sen_intercept(std::span<const double> x, std::span<const double> y, double slope) {
    std::vector<double> residuals(std::min(x.size(), y.size()));
    for (std::size_t i = 0; i < residuals.size(); ++i) residuals[i] = y[i] - slope * x[i];
    return median(residuals);
}

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double normal_quantile(double probability) {
    // Errors as values, not exceptions: a probability outside (0, 1) gives NaN (or +-inf at 0 and 1) instead of a
    // std::domain_error that no caller maps to an exit code.
    namespace policies = boost::math::policies;
    using NoThrow = policies::policy<policies::domain_error<policies::ignore_error>,
                                     policies::overflow_error<policies::ignore_error>>;
    return boost::math::quantile(boost::math::normal_distribution<double, NoThrow>(), probability);
}

namespace {

struct Level {
    double hours = 0;
    double value = 0;
};

// The level of the k points starting at `begin`: their 20%-trimmed mean and their mean time. The mean of a window
// averages a workload's periodic swings (an overlay toggled on and off) that a median would pick one phase of; the
// trimming keeps a single outlier from moving it.
Level level_at(std::span<const double> x, std::span<const double> y, std::size_t begin, std::size_t k) {
    std::vector<double> values(y.begin() + static_cast<std::ptrdiff_t>(begin),
                               y.begin() + static_cast<std::ptrdiff_t>(begin + k));
    std::sort(values.begin(), values.end());
    const std::size_t trim = k / 5;
    double value = 0, hours = 0;
    for (std::size_t i = trim; i < k - trim; ++i) value += values[i];
    for (std::size_t i = begin; i < begin + k; ++i) hours += x[i];
    return Level{hours / static_cast<double>(k), value / static_cast<double>(k - 2 * trim)};
}

}  // namespace

LevelShape level_shape(std::span<const double> x, std::span<const double> y, double min_level_hours) {
    const std::size_t n = std::min(x.size(), y.size());
    if (n < 2) return {kNaN, kNaN, kNaN};
    // Points within the first min_level_hours: a level spans the workload's longest cycle.
    const auto cycle = static_cast<std::size_t>(
        std::upper_bound(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n), x[0] + min_level_hours) - x.begin());
    const std::size_t k = std::max<std::size_t>(1, std::min(std::max<std::size_t>({3, n / 10, cycle}), n / 3));
    const Level start = level_at(x, y, 0, k);
    const Level end = level_at(x, y, n - k, k);
    LevelShape shape;
    shape.mean_rate = end.hours > start.hours ? (end.value - start.value) / (end.hours - start.hours) : kNaN;
    // The rise is measured from the window's very first points: a fill inside the first level's span would
    // otherwise be averaged into the start level and look smaller than it is.
    std::vector<double> first(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, n)));
    shape.rise = end.value - median(first);
    // The k points centred on the run's midpoint, kept inside the window and clear of the end level's points.
    const double midpoint = x[n - 1] / 2;
    const auto nearest = static_cast<std::size_t>(
        std::lower_bound(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n), midpoint) - x.begin());
    const std::size_t mid_begin = std::min(nearest > k / 2 ? nearest - k / 2 : 0, n - k);
    const Level mid = level_at(x, y, mid_begin, k);
    shape.tail_rate =
        end.hours > mid.hours && mid_begin > 0 ? (end.value - mid.value) / (end.hours - mid.hours) : shape.mean_rate;
    return shape;
}

Growth fit_growth(std::span<const double> hours, std::span<const double> values, double alpha, double confidence) {
    std::vector<double> x, y;
    x.reserve(hours.size());
    y.reserve(hours.size());
    for (std::size_t i = 0; i < hours.size() && i < values.size(); ++i) {
        if (std::isnan(hours[i]) || std::isnan(values[i])) continue;
        x.push_back(hours[i]);
        y.push_back(values[i]);
    }
    const LevelShape shape = level_shape(x, y);
    if (x.size() > kMaxFitPoints) {
        // Keep the first and the last point and evenly spaced ones between (in place: kept index <= source index).
        const double step = static_cast<double>(x.size() - 1) / static_cast<double>(kMaxFitPoints - 1);
        for (std::size_t k = 0; k < kMaxFitPoints; ++k) {
            const auto source = static_cast<std::size_t>(std::llround(static_cast<double>(k) * step));
            x[k] = x[source];
            y[k] = y[source];
        }
        x.resize(kMaxFitPoints);
        y.resize(kMaxFitPoints);
    }

    Growth growth;
    growth.samples = x.size();
    const SlopeEstimate estimate = sen_slope(x, y, confidence);
    growth.slope_per_hour = estimate.slope;
    growth.ci_low_per_hour = estimate.ci_low;
    growth.ci_high_per_hour = estimate.ci_high;
    growth.confidence = confidence;
    growth.intercept = std::isnan(estimate.slope) ? kNaN : theil_sen_intercept(x, y, estimate.slope);
    growth.p_value = mann_kendall(y).p_value;
    growth.significant = !std::isnan(estimate.slope) && growth.p_value < alpha;
    growth.mean_rate_per_hour = shape.mean_rate;
    growth.tail_rate_per_hour = shape.tail_rate;
    growth.rise = shape.rise;
    return growth;
}

std::size_t detect_warmup(std::span<const double> values) {
    std::vector<std::size_t> positions;  // index into `values` of each non-NaN sample
    positions.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isnan(values[i])) positions.push_back(i);
    }
    const std::size_t batches = positions.size() / kWarmupBatchSize;
    if (batches < kMinWarmupBatches) return 0;

    std::vector<double> batch_means(batches);
    for (std::size_t b = 0; b < batches; ++b) {
        double sum = 0;
        for (std::size_t k = 0; k < kWarmupBatchSize; ++k) sum += values[positions[b * kWarmupBatchSize + k]];
        batch_means[b] = sum / kWarmupBatchSize;
    }

    // Welford's running mean and sum of squared deviations, accumulated from the last batch backwards, so that
    // every truncation d is scored in one pass without the cancellation of sum(Z^2) - (sum Z)^2 / m on byte counts.
    const std::size_t last_candidate = batches / 2;
    double mean = 0, squared_deviations = 0;
    double best_score = std::numeric_limits<double>::infinity();
    std::size_t best = 0;
    for (std::size_t d = batches; d-- > 0;) {
        const double count = static_cast<double>(batches - d);
        const double delta = batch_means[d] - mean;
        mean += delta / count;
        squared_deviations += delta * (batch_means[d] - mean);
        if (d > last_candidate) continue;
        const double score = squared_deviations / (count * count);
        if (score <= best_score) {  // on ties prefer the earlier truncation: trim no more than needed
            best_score = score;
            best = d;
        }
    }
    if (best == last_candidate) return 0;
    return positions[best * kWarmupBatchSize];
}

}  // namespace memsoak::harness
