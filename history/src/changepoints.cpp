// E-Divisive with means and the t-tests that judge its splits (changepoints.hpp).

#include <algorithm>
#include <cmath>
#include <limits>

#include "memsoak/history/changepoints.hpp"

namespace memsoak::history {
namespace {

// Continued fraction for the regularised incomplete beta function (Numerical Recipes, betacf).
double beta_continued_fraction(double a, double b, double x) {
    constexpr int kMaxIterations = 300;
    constexpr double kEpsilon = 1e-15;
    constexpr double kTiny = 1e-300;
    const double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (std::fabs(d) < kTiny) d = kTiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= kMaxIterations; ++m) {
        const int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1 + aa / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1 + aa / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1 / d;
        const double delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1) < kEpsilon) break;
    }
    return h;
}

double regularised_incomplete_beta(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    const double front =
        std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
    if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
    return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

// Split refinement (refine_split): candidates whose energy is within this fraction of the best are near-equal ...
constexpr double kNearEqualEnergy = 0.02;
// ... and within this many nights of it; they are told apart by residuals about the sides' medians, each capped at
// this many robust standard deviations, so that one odd night costs the same on either side of the split.
constexpr std::size_t kRefineWindow = 3;
constexpr double kRefineResidualCap = 3;
constexpr double kRobustScaleFactor = 1.4826;  // median absolute deviation -> standard deviation, normal noise

double median_of(std::span<const double> values) {
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    if (n == 0) return std::nan("");
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// The index of the largest non-NaN value (the first of equals); size() when there is none.
std::size_t largest(const std::vector<double>& values) {
    std::size_t best = values.size();
    for (std::size_t t = 0; t < values.size(); ++t) {
        if (!std::isnan(values[t]) && (best == values.size() || values[t] > values[best])) best = t;
    }
    return best;
}

ChangePoint judge(std::span<const double> values, std::size_t begin, std::size_t split, std::size_t end) {
    const auto before = values.subspan(begin, split - begin);
    const auto after = values.subspan(split, end - split);
    return {split, mean(before), mean(after), pooled_t_p_value(before, after)};
}

// The split was chosen as the best of `candidates`, so its t-test is held to max_p / candidates (Bonferroni): a
// plain t-test of the best split of pure noise is "significant" far more often than its p says.
bool accepted(const ChangePoint& point, std::size_t candidates, const ChangePointOptions& options) {
    const double change = std::fabs(point.after - point.before);
    return point.p_value < options.max_p / static_cast<double>(std::max<std::size_t>(candidates, 1)) &&
           change >= options.min_absolute && change >= options.min_relative * std::fabs(point.before);
}

std::size_t candidates(std::size_t begin, std::size_t end, const ChangePointOptions& options) {
    const std::size_t edge = std::max<std::size_t>(options.min_segment, 2);
    return end - begin >= 2 * edge ? end - begin - 2 * edge + 1 : 1;
}

void segment(std::span<const double> values, std::size_t begin, std::size_t end, const ChangePointOptions& options,
             std::vector<std::size_t>& splits) {
    if (end - begin < 2 * options.min_segment) return;
    const auto part = values.subspan(begin, end - begin);
    const std::vector<double> energy = energy_statistics(part, options.min_segment);
    const std::size_t best = largest(energy);
    if (best >= part.size()) return;
    std::size_t split = begin + refine_split(part, energy, best, options.min_segment);
    if (!accepted(judge(values, begin, split, end), candidates(begin, end, options), options)) {
        split = begin + best;  // the refined place must pass on its own; else the energy's best is judged as before
        if (!accepted(judge(values, begin, split, end), candidates(begin, end, options), options)) return;
    }
    splits.push_back(split);
    segment(values, begin, split, options, splits);
    segment(values, split, end, options, splits);
}

}  // namespace

double mean(std::span<const double> values) {
    if (values.empty()) return std::nan("");
    double sum = 0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
}

double variance(std::span<const double> values) {
    if (values.size() < 2) return 0;
    const double m = mean(values);
    double sum = 0;
    for (double v : values) sum += (v - m) * (v - m);
    return sum / static_cast<double>(values.size() - 1);
}

double student_t_two_sided_p(double t, double df) {
    if (!std::isfinite(t)) return 0;
    return regularised_incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

double student_t_quantile(double probability, double df) {
    // Bisection on the CDF: quantiles are computed a few times per comparison, never in a loop over data.
    const double tail = probability < 0.5 ? probability : 1 - probability;
    double low = 0, high = 1e6;
    for (int i = 0; i < 200; ++i) {
        const double middle = (low + high) / 2;
        (student_t_two_sided_p(middle, df) / 2 > tail ? low : high) = middle;
    }
    const double t = (low + high) / 2;
    return probability < 0.5 ? -t : t;
}

double welch_p_value(std::span<const double> a, std::span<const double> b) {
    if (a.size() < 2 || b.size() < 2) return 1;
    const double ma = mean(a), mb = mean(b);
    const double sa = variance(a) / static_cast<double>(a.size());
    const double sb = variance(b) / static_cast<double>(b.size());
    if (sa + sb == 0) return ma == mb ? 1 : 0;
    const double t = (mb - ma) / std::sqrt(sa + sb);
    const double df = (sa + sb) * (sa + sb) /
                      (sa * sa / static_cast<double>(a.size() - 1) + sb * sb / static_cast<double>(b.size() - 1));
    return student_t_two_sided_p(t, df);
}

double pooled_t_p_value(std::span<const double> a, std::span<const double> b) {
    if (a.empty() || b.empty() || a.size() + b.size() < 3) return 1;
    const double ma = mean(a), mb = mean(b);
    const auto na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
    const double pooled = ((na - 1) * variance(a) + (nb - 1) * variance(b)) / (na + nb - 2);
    if (pooled == 0) return ma == mb ? 1 : 0;
    return student_t_two_sided_p((mb - ma) / std::sqrt(pooled * (1 / na + 1 / nb)), na + nb - 2);
}

std::vector<double> energy_statistics(std::span<const double> values, std::size_t min_segment) {
    const std::size_t n = values.size();
    min_segment = std::max<std::size_t>(min_segment, 2);
    std::vector<double> q(n, std::nan(""));
    if (n < 2 * min_segment) return q;
    // within_left[t]: sum of |x_i - x_j| over i < j < t; within_right[t]: over t <= i < j. O(n^2) in all, no matrix.
    std::vector<double> within_left(n + 1, 0), within_right(n + 1, 0);
    for (std::size_t t = 1; t <= n; ++t) {
        double added = 0;
        for (std::size_t i = 0; i + 1 < t; ++i) added += std::fabs(values[i] - values[t - 1]);
        within_left[t] = within_left[t - 1] + added;
    }
    for (std::size_t t = n; t-- > 0;) {
        double added = 0;
        for (std::size_t j = t + 1; j < n; ++j) added += std::fabs(values[j] - values[t]);
        within_right[t] = within_right[t + 1] + added;
    }
    const double total = within_left[n];
    for (std::size_t t = min_segment; t + min_segment <= n; ++t) {
        const auto a = static_cast<double>(t), b = static_cast<double>(n - t);
        const double between = total - within_left[t] - within_right[t];
        const double energy =
            2 * between / (a * b) - within_left[t] / (a * (a - 1) / 2) - within_right[t] / (b * (b - 1) / 2);
        q[t] = a * b / (a + b) * energy;
    }
    return q;
}

std::size_t best_energy_split(std::span<const double> values, std::size_t min_segment) {
    return largest(energy_statistics(values, min_segment));
}

std::size_t refine_split(std::span<const double> values, std::span<const double> energy, std::size_t best,
                         std::size_t min_segment) {
    min_segment = std::max<std::size_t>(min_segment, 2);
    const std::size_t n = values.size();
    if (best < min_segment || best + min_segment > n) return best;
    // One robust scale for every candidate, from the best split: 1.4826 x the median absolute residual about
    // each side's median (the standard deviation, for normal noise), never 0 so that flat sides still compare.
    std::vector<double> residuals;
    const double left = median_of(values.subspan(0, best)), right = median_of(values.subspan(best));
    for (std::size_t i = 0; i < n; ++i) residuals.push_back(std::fabs(values[i] - (i < best ? left : right)));
    double largest = 0;
    for (double v : values) largest = std::max(largest, std::fabs(v));
    const double scale =
        std::max({kRobustScaleFactor * median_of(residuals), 1e-12 * largest, std::numeric_limits<double>::min()});
    const auto cost = [&](std::size_t t) {
        const double before = median_of(values.subspan(0, t)), after = median_of(values.subspan(t));
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double z = (values[i] - (i < t ? before : after)) / scale;
            sum += std::min(z * z, kRefineResidualCap * kRefineResidualCap);
        }
        return sum;
    };
    std::size_t chosen = best;
    double chosen_cost = cost(best);
    const std::size_t first = best >= min_segment + kRefineWindow ? best - kRefineWindow : min_segment;
    const std::size_t last = std::min(best + kRefineWindow, n - min_segment);
    for (std::size_t t = first; t <= last; ++t) {
        if (t == best || !(energy[t] >= (1 - kNearEqualEnergy) * energy[best])) continue;
        const double c = cost(t);
        const auto distance = [best](std::size_t x) { return x > best ? x - best : best - x; };
        if (c < chosen_cost || (c == chosen_cost && distance(t) < distance(chosen))) {
            chosen = t;
            chosen_cost = c;
        }
    }
    return chosen;
}

std::vector<ChangePoint> find_change_points(std::span<const double> values, const ChangePointOptions& options) {
    std::vector<std::size_t> splits;
    segment(values, 0, values.size(), options, splits);
    std::sort(splits.begin(), splits.end());
    // Each split judged again between its final neighbours; drop the weakest that no longer passes, until all do.
    while (true) {
        std::vector<ChangePoint> points;
        std::size_t weakest = splits.size();
        double weakest_p = -1;
        for (std::size_t i = 0; i < splits.size(); ++i) {
            const std::size_t begin = i == 0 ? 0 : splits[i - 1];
            const std::size_t end = i + 1 == splits.size() ? values.size() : splits[i + 1];
            points.push_back(judge(values, begin, splits[i], end));
            if (!accepted(points.back(), candidates(begin, end, options), options) &&
                points.back().p_value > weakest_p) {
                weakest = i;
                weakest_p = points.back().p_value;
            }
        }
        if (weakest == splits.size()) return points;
        splits.erase(splits.begin() + static_cast<std::ptrdiff_t>(weakest));
    }
}

}  // namespace memsoak::history
