#pragma once
// Change points in a series of nights: E-Divisive with means (Matteson & James 2014, as Apache Otava/Hunter and
// MongoDB's signal-processing-algorithms use it) places each candidate split where the energy distance between the
// two sides is largest; a Student t-test on the two sides (held to its threshold divided by the number of candidate
// splits) decides whether it is real, and a minimum magnitude
// whether it matters. docs/history.md "Method" has the details and the references.

#include <cstddef>
#include <span>
#include <vector>

namespace memsoak::history {

struct ChangePointOptions {
    double max_p = 0.001;         // a split is a change point when the t-test's p is below this / the splits tried ...
    double min_relative = 0.05;   // ... and the means differ by at least this fraction of the earlier mean ...
    double min_absolute = 0;      // ... and by at least this much in the series' unit
    std::size_t min_segment = 3;  // nights on each side of a split, at least
};

struct ChangePoint {
    std::size_t index = 0;  // the first value of the new level
    double before = 0;      // mean of the segment before (up to the previous change point)
    double after = 0;       // mean of the segment after (up to the next change point)
    double p_value = 1;     // pooled t-test between the two segments
};

// The change points of `values` in ascending order, each judged against its neighbouring segments.
std::vector<ChangePoint> find_change_points(std::span<const double> values, const ChangePointOptions& options);

// The E-Divisive statistic (alpha = 1) of every split t in [0, n): NaN closer than min_segment to either end.
std::vector<double> energy_statistics(std::span<const double> values, std::size_t min_segment);

// The split in [0, n) with the largest E-Divisive statistic, at least min_segment from each end; n when there is
// none.
std::size_t best_energy_split(std::span<const double> values, std::size_t min_segment);

// Where among near-equal splits the change is: the splits within 3 nights of `best` whose energy is within 2% of
// its energy are scored by squared residuals about each side's median, each capped at 3 robust standard
// deviations, and the cheapest wins (ties: the nearest to `best`). A step with one odd night right after it
// scores about the same energy on either side of the odd night; the capped residuals do not: placing the split
// late makes the first new night an outlier too. `energy` is energy_statistics(values, min_segment).
std::size_t refine_split(std::span<const double> values, std::span<const double> energy, std::size_t best,
                         std::size_t min_segment);

// Student's two-sample t-test with pooled variance, two-sided: what a change point is tested with. Under "no
// change" both sides share one variance, and pooling keeps a short side (3 nights) whose values happen to agree
// from looking certain, which Welch's test, trusting that side's own variance, does not.
double pooled_t_p_value(std::span<const double> a, std::span<const double> b);

// Welch's two-sample t-test, two-sided (release comparisons, whose sides need not share a variance). Two constant
// samples give 0 when their means differ, else 1.
double welch_p_value(std::span<const double> a, std::span<const double> b);

// Student's t distribution with df degrees of freedom: the two-sided tail probability of |t| and the quantile of
// `probability`.
double student_t_two_sided_p(double t, double df);
double student_t_quantile(double probability, double df);

double mean(std::span<const double> values);
double variance(std::span<const double> values);  // sample variance (n - 1); 0 for fewer than 2 values

}  // namespace memsoak::history
