// E-Divisive with means and the t-test (history/changepoints.hpp): each test is a series whose answer is known.

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "memsoak/history/changepoints.hpp"
#include "memsoak/history/check.hpp"
#include "memsoak/reports/compare.hpp"

namespace memsoak::history {
namespace {

std::vector<double> noisy(std::size_t n, double level, double relative_noise, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::normal_distribution<double> noise(0, relative_noise);
    std::vector<double> values(n);
    for (double& v : values) v = level * (1 + noise(random));
    return values;
}

TEST(StudentT, MatchesTables) {
    EXPECT_NEAR(student_t_quantile(0.975, 10), 2.228, 0.001);
    EXPECT_NEAR(student_t_quantile(0.975, 1e6), 1.960, 0.001);
    EXPECT_NEAR(student_t_two_sided_p(2.228, 10), 0.05, 0.001);
    EXPECT_NEAR(student_t_two_sided_p(0, 5), 1, 1e-9);
}

TEST(WelchTest, SeparatesDifferentMeansOnly) {
    const auto a = noisy(30, 100, 0.05, 1), b = noisy(30, 100, 0.05, 2), c = noisy(30, 120, 0.05, 3);
    EXPECT_GT(welch_p_value(a, b), 0.01);
    EXPECT_LT(welch_p_value(a, c), 1e-6);
    const std::vector<double> flat{5, 5, 5}, other{6, 6, 6};
    EXPECT_EQ(welch_p_value(flat, flat), 1);
    EXPECT_EQ(welch_p_value(flat, other), 0);
}

TEST(PooledTTest, DoesNotTrustAShortSideWhoseValuesHappenToAgree) {
    const std::vector<double> short_side{95.0, 95.01, 95.02};
    const auto rest = noisy(57, 100, 0.05, 8);
    EXPECT_LT(welch_p_value(short_side, rest), 1e-6) << "Welch trusts the short side's tiny variance";
    EXPECT_GT(pooled_t_p_value(short_side, rest), 1e-3);
}

TEST(EnergySplit, FindsTheStep) {
    auto values = noisy(60, 100, 0.03, 4);
    for (std::size_t i = 40; i < 60; ++i) values[i] *= 1.3;
    EXPECT_EQ(best_energy_split(values, 3), 40u);
}

TEST(ChangePoints, OneStepIsFoundAtItsNight) {
    auto values = noisy(60, 16e6, 0.03, 5);
    for (std::size_t i = 40; i < 60; ++i) values[i] += 0.25 * 16e6;
    const auto points = find_change_points(values, {});
    ASSERT_EQ(points.size(), 1u);
    EXPECT_EQ(points[0].index, 40u);
    EXPECT_NEAR(points[0].after / points[0].before, 1.25, 0.03);
}

// Shaped like production-day's RSS growth under the injected leak in the one-seed experiment (docs/history.md):
// ~3.5 KiB/h before night 40, ~45 KiB/h after, and night 41's one run reading -23 KiB/h, below both levels. The
// energy of the split at 42 (both odd-looking nights before it) nearly equals that at 40 and, for many noise
// draws, exceeds it: E-Divisive alone placed the change two nights late.
std::vector<double> step_with_an_odd_night_after_it(std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::normal_distribution<double> before(3.5, 8), after(45, 10);
    std::vector<double> values(60);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = i < 40 ? before(random) : after(random);
    values[39] = 4.1;
    values[40] = 54.1;
    values[41] = -23.0;
    values[42] = 55.4;
    values[43] = 66.2;
    return values;
}

TEST(ChangePoints, AnOddNightRightAfterAStepDoesNotMoveTheChange) {
    int energy_alone_late = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const auto values = step_with_an_odd_night_after_it(seed);
        if (best_energy_split(values, 3) != 40) ++energy_alone_late;
        ChangePointOptions options;
        options.min_absolute = 4096;  // the growth floor, 4 KiB/h, as check sets it; the values are in B/h
        std::vector<double> bytes_per_hour;
        for (double v : values) bytes_per_hour.push_back(v * 1024);
        const auto points = find_change_points(bytes_per_hour, options);
        ASSERT_EQ(points.size(), 1u) << "seed " << seed;
        EXPECT_EQ(points[0].index, 40u) << "seed " << seed;
    }
    EXPECT_GT(energy_alone_late, 5) << "the series no longer reproduces the misplacement this test guards against";
}

TEST(RefineSplit, KeepsTheEnergysChoiceWhenNoNearEqualSplitFitsBetter) {
    auto values = noisy(60, 100, 0.03, 4);
    for (std::size_t i = 40; i < 60; ++i) values[i] *= 1.3;
    const auto energy = energy_statistics(values, 3);
    EXPECT_EQ(refine_split(values, energy, 40, 3), 40u);
    // A flat series with a clean step: the split one night off is not near-equal and is never chosen.
    std::vector<double> flat(60, 5.0);
    for (std::size_t i = 40; i < 60; ++i) flat[i] = 9.0;
    EXPECT_EQ(refine_split(flat, energy_statistics(flat, 3), 40, 3), 40u);
}

TEST(ChangePoints, TwoStepsAreBothFound) {
    auto values = noisy(90, 100, 0.02, 6);
    for (std::size_t i = 30; i < 90; ++i) values[i] += 20;
    for (std::size_t i = 60; i < 90; ++i) values[i] += 30;
    const auto points = find_change_points(values, {});
    ASSERT_EQ(points.size(), 2u);
    EXPECT_EQ(points[0].index, 30u);
    EXPECT_EQ(points[1].index, 60u);
}

TEST(ChangePoints, NoiseAloneHasNone) {
    for (std::uint64_t seed = 10; seed < 410; ++seed) {
        EXPECT_TRUE(find_change_points(noisy(60, 100, 0.05, seed), {}).empty()) << "seed " << seed;
    }
}

TEST(ChangePoints, ASignificantChangeBelowTheMinimumMagnitudeIsNotReported) {
    auto values = noisy(60, 100, 0.001, 7);
    for (std::size_t i = 40; i < 60; ++i) values[i] *= 1.02;  // certain, but 2% < the 5% minimum
    EXPECT_TRUE(find_change_points(values, {}).empty());
    ChangePointOptions sensitive;
    sensitive.min_relative = 0.01;
    EXPECT_EQ(find_change_points(values, sensitive).size(), 1u);
}

TEST(Format, PercentReadsAtAGlance) {
    EXPECT_EQ(reports::format_percent_change(10300), "+10,300%");
    EXPECT_EQ(reports::format_percent_change(-4.25), "-4.2%");
    EXPECT_EQ(reports::format_percent_change(1234567), "+1,234,567%");
    EXPECT_EQ(reports::format_percent_change(std::nan("")), "n/a");
}

}  // namespace
}  // namespace memsoak::history
