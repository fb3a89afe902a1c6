#pragma once
// Trend statistics for memory series: the Theil-Sen slope with Sen's confidence interval, the Mann-Kendall trend
// test, and MSER-5 warm-up detection. Pure functions, no I/O. Where x (hours) and y (values) are both taken, they
// are parallel: a longer one is cut to the shorter's length. Both tests are rank based, so a few outliers (a
// purge, a burst) cannot move them the way they move a least-squares fit or a first-versus-last comparison.
//
// Limits: both tests assume independent residuals. Memory samples taken a minute apart are serially correlated,
// which makes p-values optimistic; the verdict layer therefore fails a growth limit only when the trend is
// significant AND the slope exceeds the limit, never on significance alone.

#include <cstddef>
#include <span>

#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

struct MannKendall {
    double s = 0;         // sum over i < j of sign(y_j - y_i)
    double variance = 0;  // Var(S) with no trend, corrected for ties
    double z = 0;         // (S - sign(S)) / sqrt(Var(S)): continuity corrected; 0 when S or Var(S) is 0
    double p_value = 1;   // two-sided, from the normal approximation
};

// Values in time order, without NaN. O(n^2) comparisons.
MannKendall mann_kendall(std::span<const double> values);

// Median of the slopes (y_j - y_i) / (x_j - x_i) over all pairs with x_j != x_i; NaN when there is no such pair.
// O(n^2) time and n(n-1)/2 doubles of memory: thin long series first (fit_growth does).
double theil_sen_slope(std::span<const double> x, std::span<const double> y);

struct SlopeEstimate {
    double slope = 0;    // Theil-Sen
    double ci_low = 0;   // Sen's confidence interval (Gilbert 1987, section 16.5.2), from the ordered pairwise
    double ci_high = 0;  // slopes at ranks (N -/+ z * sqrt(Var(S))) / 2, interpolated between neighbouring ranks
};

// The Theil-Sen slope and Sen's interval at `confidence` (e.g. 0.95), computed from one set of pairwise slopes.
// Var(S) is the tie-corrected Mann-Kendall variance of y. When a rank falls outside 1..N (too few points for the
// confidence asked) the bound is clamped to the smallest or largest pairwise slope. All NaN when no pair has
// distinct x.
SlopeEstimate sen_slope(std::span<const double> x, std::span<const double> y, double confidence);

// The intercept of the Theil-Sen line: the median of y - slope * x (Conover's estimator).
double theil_sen_intercept(std::span<const double> x, std::span<const double> y, double slope);

// Two-sided p-value of a standard normal statistic: P(|Z| >= |z|) = erfc(|z| / sqrt 2).
double normal_two_sided_p(double z);

// The z with P(Z <= z) = probability, for probability in (0, 1) (Boost.Math's normal quantile); NaN outside.
double normal_quantile(double probability);

// Growth read from levels instead of pairwise slopes. A level is the 20%-trimmed mean of k = max(3, n/10)
// consecutive samples (at most n/3), at their mean time: at the start of the window, at its end, and around the
// run's midpoint (half the time of the last sample, the run starting at hour 0; the window's start when that is
// later). A mean over a tenth of the window averages a workload's periodic swings; a median would pick one phase.
// - mean rate: (end level - start level) / (hours between the levels' median times). A staircase (a leak held in
//   a vector grows by capacity doublings) reads at its mean rate here, where Theil-Sen reads it by its treads.
// - tail rate: (end level - midpoint level) / (hours between). A container that doubles its capacity when it is
//   full and has grown since the run started steps up at least once in every interval (t, 2t], so its tail can
//   never be flat; a bounded structure that filled in the first half of the run has a flat tail.
// - rise: end level - the median of the window's first 3 points (the amount a fill allowance is compared with).
// With fewer than 2 points every field is NaN; the tail rate is the mean rate when the window starts after the
// midpoint.
struct LevelShape {
    double mean_rate = 0;
    double tail_rate = 0;
    double rise = 0;
};
// `min_level_hours`: a level spans at least this many hours (the workload's longest cycle: an overlay toggled every
// 3 hours swings the heap with a 6-hour period), still at most n/3 points.
LevelShape level_shape(std::span<const double> hours, std::span<const double> values, double min_level_hours = 0);

// fit_growth thins longer series evenly to this many points, bounding a fit to ~180 000 pairwise slopes (a few
// milliseconds). An evenly thinned series keeps the trend's slope; the interval widens a little, and because
// neighbouring samples are serially correlated the thinned points are closer to independent than the full set.
inline constexpr std::size_t kMaxFitPoints = 600;

// Fits a growth trend to a series: hours since the start of the run and the metric's values. Points where either
// is NaN are skipped. The Mann-Kendall test decides `significant` (p < alpha); the interval is at `confidence`.
// `samples` is the number of points the fit used (at most kMaxFitPoints). With fewer than two usable points the
// slope, interval and intercept are NaN and the trend is not significant. The level shape (mean rate, tail rate,
// rise) is read from every usable point, before thinning.
Growth fit_growth(std::span<const double> hours, std::span<const double> values, double alpha = 0.01,
                  double confidence = 0.95);

// MSER-5 truncation (White 1997; White, Cobb & Spratt 2000; recommended by Hoad, Robinson & Davies 2010 among
// warm-up rules for simulation output): average the series in batches of 5, and drop the d first batches that
// minimise the squared standard error of the remaining batch means, sum((Z_j - mean)^2) / (k - d)^2, searching
// d over the first half of the batches. Returns the index into `values` of the first sample to keep (NaN values
// are skipped and do not count as samples), or 0 when no warm-up is detected:
// - fewer than kMinWarmupBatches batches: too short to tell a transient from the steady state;
// - the minimum lies at the end of the search (half the batches): the series never settled during the run. A leak
//   looks like this, and its whole trend is what the judge must see, so nothing is trimmed.
std::size_t detect_warmup(std::span<const double> values);

inline constexpr std::size_t kWarmupBatchSize = 5;
inline constexpr std::size_t kMinWarmupBatches = 10;

}  // namespace memsoak::harness
