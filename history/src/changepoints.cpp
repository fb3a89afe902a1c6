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
           change >= options.min_absolute &&
           change >= options.min_relative * std::fabs(point.before);
}

std::size_t candidates(std::size_t begin, std::size_t end, const ChangePointOptions& options) {
    const std::size_t edge = std::max<std::size_t>(options.min_segment, 2);
    return end - begin >= 2 * edge ? end - begin - 2 * edge + 1 : 1;
}

void segment(std::span<const double> values, std::size_t begin, std::size_t end, const ChangePointOptions& options,
             std::vector<std::size_t>& splits) {
    if (end - begin < 2 * options.min_segment) return;
    const std::size_t local = best_energy_split(values.subspan(begin, end - begin), options.min_segment);
    if (local >= end - begin) return;
    const std::size_t split = begin + local;
    if (!accepted(judge(values, begin, split, end), candidates(begin, end, options), options)) return;
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
    const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
    const double pooled = ((na - 1) * variance(a) + (nb - 1) * variance(b)) / (na + nb - 2);
    if (pooled == 0) return ma == mb ? 1 : 0;
    return student_t_two_sided_p((mb - ma) / std::sqrt(pooled * (1 / na + 1 / nb)), na + nb - 2);
}

std::size_t best_energy_split(std::span<const double> values, std::size_t min_segment) {
    const std::size_t n = values.size();
    min_segment = std::max<std::size_t>(min_segment, 2);
    if (n < 2 * min_segment) return n;
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
    std::size_t best = n;
    double best_q = -std::numeric_limits<double>::infinity();
    for (std::size_t t = min_segment; t + min_segment <= n; ++t) {
        const double a = static_cast<double>(t), b = static_cast<double>(n - t);
        const double between = total - within_left[t] - within_right[t];
        const double energy = 2 * between / (a * b) - within_left[t] / (a * (a - 1) / 2) -
                              within_right[t] / (b * (b - 1) / 2);
        const double q = a * b / (a + b) * energy;
        if (q > best_q) {
            best_q = q;
            best = t;
        }
    }
    return best;
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
