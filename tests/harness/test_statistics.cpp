#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "memsoak/harness/analysis/statistics.hpp"

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMiB = 1024.0 * 1024.0;

// Hours 0, step, 2*step, ...
std::vector<double> hours(std::size_t count, double step = 1.0) {
    std::vector<double> x(count);
    for (std::size_t i = 0; i < count; ++i) x[i] = static_cast<double>(i) * step;
    return x;
}

std::vector<double> gaussian_noise(std::size_t count, double sd, std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    std::normal_distribution<double> noise(0.0, sd);
    std::vector<double> values(count);
    for (double& value : values) value = noise(engine);
    return values;
}

TEST(MannKendall, SmallSeriesWithTiesMatchesHandComputation) {
    // y = 1 2 2 3 1. Signs of y_j - y_i for i < j:
    //   i=0 (1): + + + 0  -> +3      i=1 (2): 0 + -  -> 0
    //   i=2 (2): + -      -> 0       i=3 (3): -      -> -1          S = 2
    // Var(S) = [5*4*15 - 2*(2*1*9)] / 18 = (300 - 36) / 18 = 14.667 (two pairs of ties: 1,1 and 2,2)
    // Z = (S - 1) / sqrt(Var) = 1 / 3.8297 = 0.26112;  p = erfc(Z / sqrt 2) = 0.79400
    const std::vector<double> y{1, 2, 2, 3, 1};
    const MannKendall test = mann_kendall(y);
    EXPECT_EQ(test.s, 2);
    EXPECT_NEAR(test.variance, 264.0 / 18, 1e-12);
    EXPECT_NEAR(test.z, 0.261116, 1e-6);
    EXPECT_NEAR(test.p_value, 0.794003, 1e-6);
}

TEST(MannKendall, SixRisingPointsAreTheSmallestSignificantSeriesAtOnePercent) {
    // S = 15, Var(S) = 6*5*17/18 = 28.333, Z = 14 / 5.3229 = 2.6301, p = 0.008535
    const MannKendall test = mann_kendall(std::vector<double>{1, 2, 3, 4, 5, 6});
    EXPECT_EQ(test.s, 15);
    EXPECT_NEAR(test.variance, 28.3333333, 1e-6);
    EXPECT_NEAR(test.z, 2.630142, 1e-6);
    EXPECT_NEAR(test.p_value, 0.008535, 1e-6);
    // Falling: the same test with the sign reversed.
    const MannKendall falling = mann_kendall(std::vector<double>{6, 5, 4, 3, 2, 1});
    EXPECT_EQ(falling.s, -15);
    EXPECT_NEAR(falling.z, -2.630142, 1e-6);
}

TEST(MannKendall, TwoBlocksOfTiesUseTheTieCorrectedVariance) {
    // 50 zeros then 50 ones: every cross pair rises (S = 50*50 = 2500), every other pair is tied.
    // Var(S) = [100*99*205 - 2*(50*49*105)] / 18 = (2029500 - 514500) / 18 = 84166.67
    std::vector<double> y(100, 0.0);
    std::fill(y.begin() + 50, y.end(), 1.0);
    const MannKendall test = mann_kendall(y);
    EXPECT_EQ(test.s, 2500);
    EXPECT_NEAR(test.variance, 84166.666667, 1e-5);
    EXPECT_NEAR(test.z, 2499 / std::sqrt(84166.666667), 1e-9);
}

TEST(MannKendall, ConstantSeriesHasNoTrend) {
    const MannKendall test = mann_kendall(std::vector<double>(40, 7.0));
    EXPECT_EQ(test.s, 0);
    EXPECT_EQ(test.variance, 0);
    EXPECT_EQ(test.z, 0);
    EXPECT_EQ(test.p_value, 1);
}

TEST(SenSlope, SmallSeriesMatchesHandComputation) {
    // x = 0..4, y = 1 2 2 3 1. The ten pairwise slopes, sorted:
    //   -2 (3,4)  -0.5 (2,4)  -1/3 (1,4)  0 (0,4)  0 (1,2)  0.5 (0,2)  0.5 (1,3)  2/3 (0,3)  1 (0,1)  1 (2,3)
    // median: ranks 5 and 6 -> (0 + 0.5) / 2 = 0.25
    // 95%: C = 1.959964 * sqrt(14.667) = 7.5061; lower rank (10 - C) / 2 = 1.2470 -> -2 + 0.2470 * 1.5 = -1.6296
    //      upper rank (10 + C) / 2 + 1 = 9.753 -> between ranks 9 and 10, both 1 -> 1
    // intercept: median of y - 0.25 x = {1, 1.75, 1.5, 2.25, 0} -> 1.5
    const std::vector<double> x = hours(5);
    const std::vector<double> y{1, 2, 2, 3, 1};
    EXPECT_DOUBLE_EQ(theil_sen_slope(x, y), 0.25);
    const SlopeEstimate estimate = sen_slope(x, y, 0.95);
    EXPECT_DOUBLE_EQ(estimate.slope, 0.25);
    EXPECT_NEAR(estimate.ci_low, -1.629568, 1e-6);
    EXPECT_DOUBLE_EQ(estimate.ci_high, 1);
    EXPECT_DOUBLE_EQ(theil_sen_intercept(x, y, estimate.slope), 1.5);
}

TEST(SenSlope, PairsWithEqualTimesAreSkipped) {
    // (0,0) (1,1) (1,5): only the two pairs across x = 0 and 1 have a slope: 1 and 5 -> median 3.
    EXPECT_DOUBLE_EQ(theil_sen_slope(std::vector<double>{0, 1, 1}, std::vector<double>{0, 1, 5}), 3);
    EXPECT_TRUE(std::isnan(theil_sen_slope(std::vector<double>{2, 2}, std::vector<double>{0, 1})));
}

TEST(NormalDistribution, QuantileMatchesTabulatedValues) {
    // Values of the standard normal's inverse CDF to 16 digits (Wichura's AS 241 tables).
    EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
    EXPECT_NEAR(normal_quantile(0.995), 2.575829303548901, 1e-9);
    EXPECT_NEAR(normal_quantile(0.95), 1.644853626951472, 1e-9);
    EXPECT_NEAR(normal_quantile(0.9), 1.281551565544601, 1e-9);
    EXPECT_NEAR(normal_quantile(0.025), -1.959963984540054, 1e-9);
    EXPECT_NEAR(normal_quantile(0.8413447460685429), 1.0, 1e-9);
    EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-9);
}

TEST(NormalDistribution, QuantileOutsideZeroToOneIsNotANumberNotAnException) {
    EXPECT_TRUE(std::isnan(normal_quantile(-0.5)));
    EXPECT_TRUE(std::isnan(normal_quantile(1.5)));
    EXPECT_TRUE(std::isnan(normal_quantile(std::nan(""))));
}

TEST(NormalDistribution, QuantileAndTwoSidedPAreInverse) {
    EXPECT_NEAR(normal_quantile(0.975), 1.959963985, 1e-9);
    EXPECT_NEAR(normal_quantile(0.995), 2.575829304, 1e-9);
    EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-12);
    EXPECT_NEAR(normal_two_sided_p(1.959963985), 0.05, 1e-9);
    EXPECT_NEAR(normal_two_sided_p(-2.575829304), 0.01, 1e-9);
}

TEST(FitGrowth, ExactLineHasItsSlopeATightIntervalAndNoDoubt) {
    const std::vector<double> x = hours(50, 0.5);
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = 3 * x[i] + 2;
    const Growth growth = fit_growth(x, y);
    EXPECT_DOUBLE_EQ(growth.slope_per_hour, 3);
    EXPECT_DOUBLE_EQ(growth.ci_low_per_hour, 3);
    EXPECT_DOUBLE_EQ(growth.ci_high_per_hour, 3);
    EXPECT_DOUBLE_EQ(growth.intercept, 2);
    EXPECT_LT(growth.p_value, 1e-12);
    EXPECT_TRUE(growth.significant);
    EXPECT_EQ(growth.samples, 50u);
}

TEST(FitGrowth, NaNValuesAreSkipped) {
    const std::vector<double> x = hours(20);
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = i % 4 == 1 ? kNaN : 5 - 2 * x[i];
    const Growth growth = fit_growth(x, y);
    EXPECT_DOUBLE_EQ(growth.slope_per_hour, -2);
    EXPECT_DOUBLE_EQ(growth.intercept, 5);
    EXPECT_EQ(growth.samples, 15u);
}

TEST(FitGrowth, LongSeriesAreThinnedWithoutChangingALinearSlope) {
    const std::vector<double> x = hours(1441, 1.0 / 60);  // a day sampled every minute
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = 40 * kMiB + 9.3 * kMiB * x[i];
    const Growth growth = fit_growth(x, y);
    EXPECT_EQ(growth.samples, kMaxFitPoints);
    EXPECT_NEAR(growth.slope_per_hour, 9.3 * kMiB, 1e-6 * kMiB);
    EXPECT_NEAR(growth.intercept, 40 * kMiB, 1e-3 * kMiB);
}

TEST(FitGrowth, TooFewPointsGiveNoSlope) {
    const Growth growth = fit_growth(std::vector<double>{1.0, kNaN}, std::vector<double>{kNaN, 2.0});
    EXPECT_EQ(growth.samples, 0u);
    EXPECT_TRUE(std::isnan(growth.slope_per_hour));
    EXPECT_FALSE(growth.significant);
}

TEST(FitGrowth, FlatNoiseIsSignificantAboutAsOftenAsAlpha) {
    // 200 independent flat series: at alpha = 0.01 about 2 false positives are expected; more than 6 has a
    // binomial probability below 0.5%, and with fixed seeds the count is reproducible.
    const std::vector<double> x = hours(120, 1.0 / 6);
    int significant = 0;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        std::vector<double> y = gaussian_noise(x.size(), 0.5 * kMiB, seed);
        for (double& value : y) value += 30 * kMiB;
        significant += fit_growth(x, y, 0.01).significant;
    }
    EXPECT_LE(significant, 6);
}

TEST(FitGrowth, SlowLeakUnderLargeNoiseIsFoundWithEnoughSamples) {
    // 100 KiB/h under noise of sd 1 MiB: over a day the leak adds 2.4 MiB, less than 2.5 sd.
    constexpr double kSlope = 100 * 1024.0;
    const auto series = [&](std::size_t count, double step, std::uint64_t seed) {
        const std::vector<double> x = hours(count, step);
        std::vector<double> y = gaussian_noise(count, kMiB, seed);
        for (std::size_t i = 0; i < count; ++i) y[i] += 20 * kMiB + kSlope * x[i];
        return std::pair(x, y);
    };
    for (std::uint64_t seed : {11u, 12u, 13u}) {
        const auto [x, y] = series(1441, 1.0 / 60, seed);  // a day, every minute (thinned to 600)
        const Growth day = fit_growth(x, y);
        EXPECT_TRUE(day.significant) << "seed " << seed << " p " << day.p_value;
        EXPECT_LE(day.ci_low_per_hour, kSlope) << "seed " << seed;
        EXPECT_GE(day.ci_high_per_hour, kSlope) << "seed " << seed;
        EXPECT_NEAR(day.slope_per_hour, kSlope, 0.5 * kSlope) << "seed " << seed;

        const auto [x_hour, y_hour] = series(7, 1.0 / 6, seed);  // one hour every 10 minutes: lost in the noise
        EXPECT_FALSE(fit_growth(x_hour, y_hour).significant) << "seed " << seed;
    }
}

TEST(FitGrowth, StepIsSignificantButItsSlopeIsTheStepSpreadOverTheRun) {
    // 8 h every 5 min, a 10 MiB step at 4 h (noise sd 0.1 MiB). Mann-Kendall sees a trend; Theil-Sen's median
    // falls among the smallest cross-step slopes, about height / duration. The verdict layer trims a step in
    // the first half with MSER-5 and bounds the level with the peak limit (judge.hpp).
    const std::vector<double> x = hours(97, 1.0 / 12);
    std::vector<double> y = gaussian_noise(x.size(), 0.1 * kMiB, 5);
    for (std::size_t i = 0; i < x.size(); ++i) y[i] += (x[i] >= 4 ? 30 : 20) * kMiB;
    const Growth growth = fit_growth(x, y);
    EXPECT_TRUE(growth.significant);
    EXPECT_GT(growth.slope_per_hour, 10 * kMiB / 8 / 2);
    EXPECT_LT(growth.slope_per_hour, 10 * kMiB / 8 * 2);
}

TEST(FitGrowth, StepInTheFirstHalfIsTrimmedAsWarmupAndLeavesNoTrend) {
    const std::vector<double> x = hours(200, 1.0 / 12);
    std::vector<double> y = gaussian_noise(x.size(), 0.1 * kMiB, 6);
    for (std::size_t i = 0; i < x.size(); ++i) y[i] += (i >= 30 ? 30 : 20) * kMiB;
    const std::size_t warmup = detect_warmup(y);
    EXPECT_GE(warmup, 30u);
    EXPECT_LE(warmup, 35u);  // the first whole batch of 5 after the step
    const std::span<const double> xs(x), ys(y);
    EXPECT_FALSE(fit_growth(xs.subspan(warmup), ys.subspan(warmup)).significant);
}

TEST(FitGrowth, BoundedSawtoothHasASmallSlope) {
    // A chart that keeps up to 20 figures of 100 KiB and drops them all: it swings 1.9 MiB over and over for
    // 8 hours, sampled every minute, but does not grow. The slope is small against the swing per period
    // (1.9 MiB per 20 minutes = 5.7 MiB/h).
    const std::vector<double> x = hours(481, 1.0 / 60);
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = 5 * kMiB + static_cast<double>(i % 20) * 100 * 1024;
    const Growth growth = fit_growth(x, y);
    EXPECT_LT(std::fabs(growth.slope_per_hour), 0.05 * kMiB);
}

TEST(DetectWarmup, ExponentialSettlingIsTrimmed) {
    // Caches filling: 100 * (1 - exp(-t / 10)) with noise sd 1, 300 samples. The curve is within one sd of its
    // level after t = 46; MSER-5 trims somewhere in the settling.
    std::vector<double> y = gaussian_noise(300, 1.0, 7);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += 100 * (1 - std::exp(-static_cast<double>(i) / 10));
    const std::size_t warmup = detect_warmup(y);
    EXPECT_GE(warmup, 20u);
    EXPECT_LE(warmup, 80u);
}

TEST(DetectWarmup, LinearLeakNeverSettlesSoNothingIsTrimmed) {
    std::vector<double> y = gaussian_noise(300, 1.0, 8);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += 0.5 * static_cast<double>(i);
    EXPECT_EQ(detect_warmup(y), 0u);
}

TEST(DetectWarmup, ShortOrConstantSeriesAreNotTrimmed) {
    std::vector<double> short_series(kWarmupBatchSize * kMinWarmupBatches - 1, 1.0);
    short_series[0] = 100;
    EXPECT_EQ(detect_warmup(short_series), 0u);
    EXPECT_EQ(detect_warmup(std::vector<double>(200, 3.0)), 0u);
}

TEST(DetectWarmup, IndexCountsNaNSamplesInTheInput) {
    // The same step as above with a NaN in front of every value: the index points into the input.
    std::vector<double> y;
    for (std::size_t i = 0; i < 200; ++i) {
        y.push_back(kNaN);
        y.push_back(i >= 30 ? 30.0 : 20.0);
    }
    EXPECT_EQ(detect_warmup(y), 61u);  // the 31st value (index 30 among values) sits at 2 * 30 + 1
}

}  // namespace
}  // namespace memsoak::harness
