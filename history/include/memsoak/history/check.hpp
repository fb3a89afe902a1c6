#pragma once
// The history as series (one per scenario, allocator, budget, limit and metric; one point per night) and the
// changes found in them: `memsoak history check`.

#include <optional>
#include <string>
#include <vector>

#include "memsoak/history/changepoints.hpp"
#include "memsoak/history/store.hpp"

namespace memsoak::history {

// The version of the JSON `memsoak history check --json` writes.
inline constexpr int kCheckSchemaVersion = 1;

// One night of one series: the median over the night's runs (seeds), with the night's own interval.
struct SeriesPoint {
    std::size_t night = 0;  // index into History::nights
    double value = 0;       // median of the runs' measured values
    // Growth limits: the medians of the runs' 95% slope intervals. Peaks and counts: the lowest and highest run.
    double low = 0;
    double high = 0;
    double limit = 0;            // the limit the night judged against (NaN when not set)
    double detection_limit = 0;  // growth: median of the runs' detection limits; else NaN
    std::size_t runs = 0;
    std::size_t failed = 0;  // runs whose verdict was fail
};

struct Series {
    SeriesKey key;
    std::vector<SeriesPoint> points;  // by night
};

struct History {
    std::vector<StoredNight> nights;  // by time
    std::vector<Series> series;       // by key
    std::vector<Acknowledgement> acknowledgements;
    std::vector<StoredFigure> figures;  // every run's figure, for comparisons over several nights
};

History load_history(Store& store);

struct Change {
    std::string id;  // stable for the same series and first bad night: what `history ack` takes
    SeriesKey series;
    std::size_t last_good = 0;  // night indices
    std::size_t first_bad = 0;
    double before = 0;  // mean of the nights before / after (between neighbouring change points)
    double after = 0;
    double absolute = 0;  // after - before, in the metric's unit
    double percent = 0;   // 100 * absolute / before; NaN for a growth series whose level before is below
                          // its floor (a slope near zero makes any percent meaningless)
    double p_value = 1;
    double min_magnitude = 0;  // the absolute floor this series was held to
    bool regression = false;   // higher is worse for every limit kind
    std::optional<Acknowledgement> acknowledged;
};

struct CheckOptions {
    double max_p = 0.001;
    double min_relative = 0.05;
    std::size_t min_segment = 3;
    // Floors in the series' unit, below which no change counts whatever its p: bytes for peaks, items for counts.
    // Growth series use the larger of their floor and the median half-width of their nights' own intervals.
    double peak_floor_bytes = 256 * 1024.0;
    double items_floor = 5;
    double growth_floor_per_hour = 4 * 1024.0;
};

// Every change point of every series, regressions and improvements, oldest first; acknowledged ones carry their
// acknowledgement (matched by series and a first bad night within one night of the acknowledged one).
std::vector<Change> find_changes(const History& history, const CheckOptions& options);

// The unit-aware text of a value of `kind`: "16.0 MiB", "2.1 KiB/h", "120 items".
std::string format_value(const std::string& kind, double value);

}  // namespace memsoak::history
