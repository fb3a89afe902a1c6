// Series from the store's figures, and change points in them (check.hpp).

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "memsoak/harness/units.hpp"
#include "memsoak/history/check.hpp"

namespace memsoak::history {
namespace {

double median(std::vector<double> values) {
    std::erase_if(values, [](double v) { return !std::isfinite(v); });
    if (values.empty()) return std::nan("");
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string change_id(const SeriesKey& key, const StoredNight& first_bad) {
    // FNV-1a: stable across builds and machines, unlike std::hash.
    std::uint64_t hash = 1469598103934665603ull;
    for (char c : key.describe() + "|" + first_bad.info.time + "|" + first_bad.info.commit) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return fmt::format("{:010x}", hash & 0xffffffffffull);
}

}  // namespace

History load_history(Store& store) {
    History history;
    history.nights = store.nights();
    history.acknowledgements = store.acknowledgements();
    history.figures = store.figures();
    std::map<std::int64_t, std::size_t> night_index;
    for (std::size_t i = 0; i < history.nights.size(); ++i) night_index[history.nights[i].id] = i;
    std::map<SeriesKey, std::map<std::size_t, std::vector<const Figure*>>> grouped;
    for (const StoredFigure& f : history.figures)
        grouped[f.figure.series][night_index.at(f.night_id)].push_back(&f.figure);
    for (const auto& [key, nights] : grouped) {
        Series series{key, {}};
        for (const auto& [night, figures] : nights) {
            SeriesPoint p;
            p.night = night;
            std::vector<double> measured, low, high, limit, detection;
            for (const Figure* f : figures) {
                measured.push_back(f->measured);
                low.push_back(f->ci_low);
                high.push_back(f->ci_high);
                limit.push_back(f->limit);
                detection.push_back(f->detection_limit);
                p.failed += f->verdict == "fail";
            }
            p.runs = figures.size();
            p.value = median(measured);
            if (key.kind == "growth") {
                p.low = median(low);
                p.high = median(high);
            } else {
                const auto [lo, hi] = std::minmax_element(measured.begin(), measured.end());
                p.low = *lo;
                p.high = *hi;
            }
            p.limit = median(limit);
            p.detection_limit = median(detection);
            if (std::isfinite(p.value)) series.points.push_back(p);
        }
        history.series.push_back(std::move(series));
    }
    return history;
}

std::vector<Change> find_changes(const History& history, const CheckOptions& options) {
    std::map<std::string, std::size_t> night_by_time;
    for (std::size_t i = 0; i < history.nights.size(); ++i) night_by_time.emplace(history.nights[i].info.time, i);
    std::vector<Change> changes;
    for (const Series& series : history.series) {
        std::vector<double> values, half_widths;
        for (const SeriesPoint& p : series.points) {
            values.push_back(p.value);
            if (std::isfinite(p.high - p.low)) half_widths.push_back((p.high - p.low) / 2);
        }
        ChangePointOptions cp;
        cp.max_p = options.max_p;
        cp.min_relative = options.min_relative;
        cp.min_segment = options.min_segment;
        if (series.key.kind == "growth") {
            // Each night's own interval says how much a slope moves by chance: a change must clear it.
            cp.min_absolute = options.growth_floor_per_hour;
            if (!half_widths.empty()) cp.min_absolute = std::max(cp.min_absolute, median(half_widths));
        } else {
            cp.min_absolute = series.key.kind == "items" ? options.items_floor : options.peak_floor_bytes;
        }
        for (const ChangePoint& point : find_change_points(values, cp)) {
            Change c;
            c.series = series.key;
            c.first_bad = series.points[point.index].night;
            c.last_good = series.points[point.index - 1].night;
            c.before = point.before;
            c.after = point.after;
            c.absolute = point.after - point.before;
            // A growth slope near zero makes any percent meaningless ("+193,579%"): growth gets one only from a
            // level of at least its floor.
            const bool meaningful = series.key.kind != "growth" || std::fabs(point.before) >= cp.min_absolute;
            c.percent = point.before != 0 && meaningful ? 100 * c.absolute / std::fabs(point.before) : std::nan("");
            c.p_value = point.p_value;
            c.min_magnitude = cp.min_absolute;
            c.regression = c.absolute > 0;
            c.id = change_id(series.key, history.nights[c.first_bad]);
            for (const Acknowledgement& ack : history.acknowledgements) {
                if (ack.series != series.key) continue;
                const auto night = night_by_time.find(ack.first_bad_time);
                if (ack.change_id == c.id ||
                    (night != night_by_time.end() &&
                     std::max(night->second, c.first_bad) - std::min(night->second, c.first_bad) <= 1)) {
                    c.acknowledged = ack;
                }
            }
            changes.push_back(std::move(c));
        }
    }
    std::stable_sort(changes.begin(), changes.end(),
                     [](const Change& a, const Change& b) { return a.first_bad < b.first_bad; });
    return changes;
}

std::string format_value(const std::string& kind, double value) {
    if (!std::isfinite(value)) return "n/a";
    if (kind == "growth") return harness::format_size_rate(value);
    if (kind == "items") return fmt::format("{:.0f} items", value);
    return harness::format_bytes(value);
}

}  // namespace memsoak::history
