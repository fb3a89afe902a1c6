// Figure: copies the data into artists, lays out panels, ranges and ticks, and draws them through a renderer.

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>

#include "chart_renderer.hpp"
#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Colours, 0xRRGGBBAA.
constexpr Rgba kBackground = 0xffffffff;
constexpr Rgba kGrid = 0xecececff;
constexpr Rgba kFrame = 0xb4b4b4ff;
constexpr Rgba kText = 0x303030ff;
constexpr Rgba kLevel = 0xa0a0a0ff;
constexpr Rgba kLevelShade = 0x9467bd14;
constexpr Rgba kLegendBackground = 0xffffffd0;
constexpr Rgba kUp = 0x26a69aff;
constexpr Rgba kDown = 0xef5350ff;
constexpr Rgba kBandAlpha = 0x22;  // a band is its lines' colour at this alpha
constexpr Rgba kBarAlpha = 0x80;   // volume and histogram bars are the candle colours at this alpha

// Layout, in pixels.
constexpr int kMarginLeft = 8;
constexpr int kMarginRight = 64;   // value labels of up to 9 characters
constexpr int kMarginTop = 20;     // the title line
constexpr int kMarginBottom = 18;  // time labels
constexpr int kPanelGap = 6;
constexpr int kTitleTop = 6;
constexpr int kLabelGap = 6;             // between a panel's right edge and its value labels
constexpr int kTimeTickSpacing = 100;    // pixels per time tick aimed for
constexpr int kMinTimeTickSpacing = 70;  // closer ticks (after gaps in the data) are skipped
constexpr int kValueTickSpacing = 40;    // pixels per value tick aimed for
// Panel heights share the room in these proportions.
constexpr int kPriceWeight = 10;
constexpr int kVolumeWeight = 2;
constexpr int kOscillatorWeight = 3;
constexpr double kBodyFraction = 0.7;  // candle body width as a fraction of a candle's slot
constexpr double kRangeMargin = 0.05;  // fitted ranges are padded by this fraction of their span on each side

constexpr Rgba with_alpha(Rgba color, Rgba alpha) { return (color & 0xffffff00U) | alpha; }

// Rows to pixel columns of a panel. Dense: more rows than columns, column c aggregates rows
// [first_row(c), first_row(c + 1)). Sparse: row i owns a slot of width/rows pixels centred at centre(i).
struct XMapping {
    int left;
    int width;
    std::size_t rows;

    bool dense() const { return rows > static_cast<std::size_t>(width); }
    double slot() const { return static_cast<double>(width) / static_cast<double>(rows); }
    double centre(std::size_t row) const { return left + (static_cast<double>(row) + 0.5) * slot(); }
    std::size_t first_row(int column) const {
        return (static_cast<std::size_t>(column) * rows + static_cast<std::size_t>(width) - 1) /
               static_cast<std::size_t>(width);
    }
    // The x of a row's centre, in canvas coordinates.
    double x_of(std::size_t row) const {
        if (!dense()) return centre(row);
        return left + static_cast<double>(row * static_cast<std::size_t>(width) / rows) + 0.5;
    }
    double column_centre(int column) const { return left + column + 0.5; }
};

// Values to canvas y within a panel: y_max at the top edge, y_min at the bottom edge.
struct YMapping {
    int top;
    int height;
    double y_min;
    double y_max;

    double y(double value) const {
        return std::clamp(top + (y_max - value) / (y_max - y_min) * height, 1.0 * top, 1.0 * (top + height));
    }
    // The pixel row a value falls in.
    int row(double value) const { return std::min(static_cast<int>(std::floor(y(value))), top + height - 1); }
};

XMapping x_mapping(const Axes& axes, std::size_t rows) { return {axes.box.x, axes.box.width, rows}; }
YMapping y_mapping(const Axes& axes) { return {axes.box.y, axes.box.height, axes.y_min, axes.y_max}; }

// The value range of `lo`..`hi` padded on both sides; an empty or flat range gets a span around its value.
std::pair<double, double> padded_range(double lo, double hi) {
    if (!(lo <= hi)) return {0.0, 1.0};  // no finite data
    const double span = hi - lo;
    const double pad = span > 0 ? span * kRangeMargin : std::max(std::abs(lo) * 0.01, 1.0);
    return {lo - pad, hi + pad};
}

void widen(double& lo, double& hi, std::span<const double> values) {
    for (const double v : values) {
        if (!std::isfinite(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
}

// The step among 1, 2 and 5 times a power of ten nearest to `raw` (Heckbert's "nice numbers"), so that between
// about half and twice the wanted number of ticks fall inside the range.
double nice_step(double raw) {
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    return (fraction < 1.5 ? 1.0 : fraction < 3.0 ? 2.0 : fraction < 7.0 ? 5.0 : 10.0) * magnitude;
}

int decimals_for(double step) { return std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 8); }

std::string format_value(double value, double step) {
    if (std::abs(value) < step * 1e-6) value = 0.0;  // no "-0"
    return fmt::format("{:.{}f}", value, decimals_for(step));
}

// 1500000 -> "1.5M": volume labels stay short.
std::string format_compact(double value, double step) {
    if (value == 0.0) return "0";
    constexpr std::array<std::pair<double, char>, 3> kUnits{{{1e9, 'B'}, {1e6, 'M'}, {1e3, 'K'}}};
    for (const auto& [unit, suffix] : kUnits) {
        if (step >= unit) return format_value(value / unit, step / unit) + suffix;
    }
    return format_value(value, step);
}

// The next smaller step of the 1, 2, 5 series: 5 -> 2 -> 1 -> 0.5.
double smaller_nice_step(double step) {
    const double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    const double leading = std::round(step / magnitude);
    return (leading >= 5.0 ? 2.0 : leading >= 2.0 ? 1.0 : 0.5) * magnitude;
}

// Ticks at multiples of a nice step, about one per kValueTickSpacing pixels and, where the range allows, at least
// two. Bounded counts keep ranges at the edge of double precision from looping.
std::vector<Tick> value_ticks(double lo, double hi, int pixels, bool compact) {
    constexpr int kMaxTicks = 64;
    constexpr int kMaxRefinements = 6;
    const int wanted = std::max(2, pixels / kValueTickSpacing);
    double step = nice_step((hi - lo) / wanted);
    const auto tick_count = [&] { return std::floor(hi / step) - std::ceil(lo / step) + 1; };
    for (int i = 0; i < kMaxRefinements && tick_count() < 2; ++i) step = smaller_nice_step(step);
    std::vector<Tick> ticks;
    const double first = std::ceil(lo / step);
    for (int i = 0; i < kMaxTicks && i < tick_count(); ++i) {
        const double value = (first + i) * step;
        ticks.push_back({value, compact ? format_compact(value, step) : format_value(value, step)});
    }
    return ticks;
}

// --- Time axis ---

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMonth = 30 * kDay;  // for choosing a step; month ticks fall on calendar months

// Candidate tick intervals, shortest first; the first that gives no more ticks than wanted is used.
constexpr std::array<std::int64_t, 15> kTimeSteps{60,       5 * 60,   15 * 60,  30 * 60,    3600,
                                                  2 * 3600, 4 * 3600, 6 * 3600, 12 * 3600,  kDay,
                                                  2 * kDay, 7 * kDay, kMonth,   3 * kMonth, 12 * kMonth};
constexpr std::array<std::string_view, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

std::chrono::year_month_day utc_date(std::int64_t unix_seconds) {
    return std::chrono::year_month_day{
        std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds{std::chrono::seconds{unix_seconds}})};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Which tick interval a time falls in: ticks go where it changes.
std::int64_t time_bucket(std::int64_t t, std::int64_t step) {
    if (step < kMonth) return floor_div(t, step);
    const std::chrono::year_month_day date = utc_date(t);
    const std::int64_t months = static_cast<int>(date.year()) * 12LL + static_cast<unsigned>(date.month()) - 1;
    return floor_div(months, step / kMonth);
}

// "14:30" within a day, "JAN 07" at midnight or for day steps, "JAN 2021" for month steps.
std::string time_label(std::int64_t t, std::int64_t step) {
    const std::chrono::year_month_day date = utc_date(t);
    const std::string_view month = kMonthNames[static_cast<unsigned>(date.month()) - 1];
    if (step >= kMonth) return fmt::format("{} {}", month, static_cast<int>(date.year()));
    const std::int64_t second_of_day = t - floor_div(t, kDay) * kDay;
    if (step >= kDay || second_of_day == 0) return fmt::format("{} {:02}", month, static_cast<unsigned>(date.day()));
    return fmt::format("{:02}:{:02}", second_of_day / 3600, second_of_day % 3600 / 60);
}

std::vector<Tick> make_time_ticks(std::span<const std::int64_t> times, const XMapping& x) {
    std::vector<Tick> ticks;
    if (times.size() < 2) return ticks;
    const std::int64_t span = times.back() - times.front();
    const std::int64_t wanted = std::max(1, x.width / kTimeTickSpacing);
    std::int64_t step = kTimeSteps.back();
    for (const std::int64_t candidate : kTimeSteps) {
        if (span / candidate <= wanted) {
            step = candidate;
            break;
        }
    }
    double last_x = -1e9;
    std::int64_t bucket = time_bucket(times[0], step);
    for (std::size_t row = 1; row < times.size(); ++row) {
        const std::int64_t b = time_bucket(times[row], step);
        if (b == bucket) continue;
        bucket = b;
        const double tick_x = x.x_of(row);
        if (tick_x - last_x < kMinTimeTickSpacing) continue;
        last_x = tick_x;
        ticks.push_back({static_cast<double>(row), time_label(times[row], step)});
    }
    return ticks;
}

// --- Drawing ---

struct Scratch {
    std::vector<PointF> points;
    std::vector<double> xs, upper, lower;
};

// The line's points for drawing. Dense: each column keeps its first, lowest, highest and last value in time order
// (the M4 reduction, at most 4 points), which keeps each column's vertical extent and the joins between columns,
// so it looks as drawing every segment would. A NaN value breaks the line.
void line_points(std::span<const double> values, const XMapping& x, const YMapping& y, std::vector<PointF>& out) {
    out.clear();
    const auto add_gap = [&out] {
        if (!out.empty() && !std::isnan(out.back().x)) out.push_back({kNaN, kNaN});
    };
    if (!x.dense()) {
        for (std::size_t row = 0; row < values.size(); ++row) {
            if (std::isfinite(values[row])) {
                out.push_back({x.centre(row), y.y(values[row])});
            } else {
                add_gap();
            }
        }
        return;
    }
    constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
    for (int column = 0; column < x.width; ++column) {
        const double column_x = x.column_centre(column);
        std::array<std::size_t, 4> kept{kNone, kNone, kNone, kNone};  // first, lowest, highest, last
        const auto flush = [&] {
            if (kept[0] == kNone) return;
            std::sort(kept.begin(), kept.end());
            const auto end = std::unique(kept.begin(), kept.end());
            for (auto it = kept.begin(); it != end; ++it) out.push_back({column_x, y.y(values[*it])});
            kept.fill(kNone);
        };
        const std::size_t end_row = x.first_row(column + 1);
        for (std::size_t row = x.first_row(column); row < end_row; ++row) {
            const double v = values[row];
            if (!std::isfinite(v)) {
                flush();
                add_gap();
                continue;
            }
            if (kept[0] == kNone) kept = {row, row, row, row};
            if (v < values[kept[1]]) kept[1] = row;
            if (v > values[kept[2]]) kept[2] = row;
            kept[3] = row;
        }
        flush();
    }
}

void draw_band(const Axes& axes, const BandArtist& band, std::size_t rows, Scratch& scratch, ChartRenderer& out) {
    const XMapping x = x_mapping(axes, rows);
    const YMapping y = y_mapping(axes);
    const std::vector<double>& upper = axes.lines[band.upper_line].values;
    const std::vector<double>& lower = axes.lines[band.lower_line].values;
    scratch.xs.clear();
    scratch.upper.clear();
    scratch.lower.clear();
    const auto add = [&](double at, double up, double low) {
        scratch.xs.push_back(at);
        scratch.upper.push_back(std::isfinite(up) ? y.y(up) : kNaN);
        scratch.lower.push_back(std::isfinite(low) ? y.y(low) : kNaN);
    };
    if (x.dense()) {
        for (int column = 0; column < x.width; ++column) {
            double up = kNaN;
            double low = kNaN;
            const std::size_t end_row = x.first_row(column + 1);
            for (std::size_t row = x.first_row(column); row < end_row; ++row) {
                if (std::isfinite(upper[row]) && (std::isnan(up) || upper[row] > up)) up = upper[row];
                if (std::isfinite(lower[row]) && (std::isnan(low) || lower[row] < low)) low = lower[row];
            }
            add(x.column_centre(column), up, low);
        }
    } else {
        for (std::size_t row = 0; row < rows; ++row) add(x.centre(row), upper[row], lower[row]);
    }
    out.fill_between("band-" + band.name, scratch.xs, scratch.upper, scratch.lower, band.color);
}

// A bar from zero to `value`, `left` to `left + width`.
void draw_bar(const YMapping& y, int left, int width, double value, Rgba color, ChartRenderer& out) {
    if (!std::isfinite(value) || value == 0.0) return;
    const int base = y.row(0.0);
    const int tip = y.row(value);
    out.fill_rect({left, std::min(base, tip), width, std::abs(base - tip) + 1}, color);
}

bool rising(const CandleArtist& candles, std::size_t first, std::size_t last) {
    return candles.close[last] >= candles.open[first];
}

void draw_bars(const Axes& axes, const BarArtist& bars, const CandleArtist& candles, std::size_t rows,
               ChartRenderer& out) {
    const XMapping x = x_mapping(axes, rows);
    const YMapping y = y_mapping(axes);
    const Rgba up = with_alpha(kUp, kBarAlpha);
    const Rgba down = with_alpha(kDown, kBarAlpha);
    if (x.dense()) {
        // Overlapping bars show their tallest in each direction.
        for (int column = 0; column < x.width; ++column) {
            const std::size_t first = x.first_row(column);
            const std::size_t end = x.first_row(column + 1);
            double highest = 0.0;
            double lowest = 0.0;
            for (std::size_t row = first; row < end; ++row) {
                if (bars.heights[row] > highest) highest = bars.heights[row];
                if (bars.heights[row] < lowest) lowest = bars.heights[row];
            }
            const int left = x.left + column;
            if (bars.coloring == BarColoring::by_candle_direction) {
                const Rgba color = rising(candles, first, end - 1) ? up : down;
                draw_bar(y, left, 1, highest, color, out);
                draw_bar(y, left, 1, lowest, color, out);
            } else {
                draw_bar(y, left, 1, highest, up, out);
                draw_bar(y, left, 1, lowest, down, out);
            }
        }
        return;
    }
    const int width = std::max(1, static_cast<int>(std::lround(x.slot() * kBodyFraction)));
    for (std::size_t row = 0; row < rows; ++row) {
        const double value = bars.heights[row];
        const bool up_colour =
            bars.coloring == BarColoring::by_candle_direction ? rising(candles, row, row) : value >= 0.0;
        const int left = static_cast<int>(std::lround(x.centre(row) - width / 2.0));
        draw_bar(y, left, width, value, up_colour ? up : down, out);
    }
}

void draw_candles(const Axes& axes, std::size_t rows, ChartRenderer& out) {
    const CandleArtist& c = axes.candles;
    const XMapping x = x_mapping(axes, rows);
    const YMapping y = y_mapping(axes);
    if (x.dense()) {
        // One pixel per column: the column's aggregate candle, whose body and wick coincide. Prices that are not
        // finite are left out.
        for (int column = 0; column < x.width; ++column) {
            const std::size_t first = x.first_row(column);
            const std::size_t end = x.first_row(column + 1);
            double high = -std::numeric_limits<double>::infinity();
            double low = std::numeric_limits<double>::infinity();
            for (std::size_t row = first; row < end; ++row) {
                if (std::isfinite(c.high[row])) high = std::max(high, c.high[row]);
                if (std::isfinite(c.low[row])) low = std::min(low, c.low[row]);
            }
            if (!(low <= high)) continue;
            const int top = y.row(high);
            out.fill_rect({x.left + column, top, 1, y.row(low) - top + 1}, rising(c, first, end - 1) ? kUp : kDown);
        }
        return;
    }
    const int body_width = std::max(1, static_cast<int>(std::lround(x.slot() * kBodyFraction)));
    for (std::size_t row = 0; row < rows; ++row) {
        if (!std::isfinite(c.open[row]) || !std::isfinite(c.high[row]) || !std::isfinite(c.low[row]) ||
            !std::isfinite(c.close[row])) {
            continue;
        }
        const Rgba color = rising(c, row, row) ? kUp : kDown;
        const double centre = x.centre(row);
        const int wick_top = y.row(c.high[row]);
        out.fill_rect({static_cast<int>(std::floor(centre)), wick_top, 1, y.row(c.low[row]) - wick_top + 1}, color);
        const int body_top = y.row(std::max(c.open[row], c.close[row]));
        const int body_bottom = y.row(std::min(c.open[row], c.close[row]));
        out.fill_rect({static_cast<int>(std::lround(centre - body_width / 2.0)), body_top, body_width,
                       body_bottom - body_top + 1},
                      color);
    }
}

void draw_frame(const PixelRect& box, ChartRenderer& out) {
    out.fill_rect({box.x - 1, box.y - 1, box.width + 2, 1}, kFrame);
    out.fill_rect({box.x - 1, box.y + box.height, box.width + 2, 1}, kFrame);
    out.fill_rect({box.x - 1, box.y, 1, box.height}, kFrame);
    out.fill_rect({box.x + box.width, box.y, 1, box.height}, kFrame);
}

// The panel's title and a swatch and name per line with a legend, on a light box in the top-left corner.
void draw_legend(const Axes& axes, ChartRenderer& out) {
    constexpr int kSwatch = 8;
    constexpr int kEntryGap = 10;
    int width = axes.title.empty() ? 0 : Canvas::text_width(axes.title) + kEntryGap;
    for (const LineArtist& line : axes.lines) {
        if (!line.legend.empty()) width += kSwatch + 3 + Canvas::text_width(line.legend) + kEntryGap;
    }
    if (width == 0) return;
    const int top = axes.box.y + 3;
    int left = axes.box.x + 4;
    out.fill_rect({left - 2, top - 2, width - kEntryGap + 4, Canvas::glyph_height + 4}, kLegendBackground);
    if (!axes.title.empty()) {
        out.text(left, top, axes.title, kText);
        left += Canvas::text_width(axes.title) + kEntryGap;
    }
    for (const LineArtist& line : axes.lines) {
        if (line.legend.empty()) continue;
        out.fill_rect({left, top + 2, kSwatch, 3}, line.color);
        left += kSwatch + 3;
        out.text(left, top, line.legend, kText);
        left += Canvas::text_width(line.legend) + kEntryGap;
    }
}

void draw_axes(const Axes& axes, const CandleArtist& candles, std::span<const Tick> time_ticks, std::size_t rows,
               Scratch& scratch, ChartRenderer& out) {
    const PixelRect& box = axes.box;
    const XMapping x = x_mapping(axes, rows);
    const YMapping y = y_mapping(axes);

    for (const Tick& tick : axes.y_ticks) out.fill_rect({box.x, y.row(tick.position), box.width, 1}, kGrid);
    for (const Tick& tick : time_ticks) {
        out.fill_rect({static_cast<int>(std::floor(x.x_of(static_cast<std::size_t>(tick.position)))), box.y, 1,
                       box.height},
                      kGrid);
    }
    if (axes.levels.size() == 2) {
        const int top = y.row(std::max(axes.levels[0], axes.levels[1]));
        const int bottom = y.row(std::min(axes.levels[0], axes.levels[1]));
        out.fill_rect({box.x, top, box.width, bottom - top + 1}, kLevelShade);
    }
    for (const double level : axes.levels) out.fill_rect({box.x, y.row(level), box.width, 1}, kLevel);

    for (const BandArtist& band : axes.bands) draw_band(axes, band, rows, scratch, out);
    for (const BarArtist& bars : axes.bars) draw_bars(axes, bars, candles, rows, out);
    if (!axes.candles.close.empty()) draw_candles(axes, rows, out);
    for (const LineArtist& line : axes.lines) {
        line_points(line.values, x, y, scratch.points);
        out.polyline("line-" + line.column, scratch.points, line.color);
    }
    draw_frame(box, out);

    // Labels that would reach into the next panel's, or overlap the label drawn before, are left out.
    int previous_label_top = std::numeric_limits<int>::max();
    for (const Tick& tick : axes.y_ticks) {
        const int label_top = y.row(tick.position) - Canvas::glyph_height / 2;
        if (label_top < box.y - kPanelGap / 2 ||
            label_top + Canvas::glyph_height > box.y + box.height + kPanelGap / 2 ||
            previous_label_top - label_top < Canvas::glyph_height + 2) {
            continue;
        }
        out.text(box.x + box.width + kLabelGap, label_top, tick.label, kText);
        previous_label_top = label_top;
    }
    draw_legend(axes, out);
}

void draw_time_labels(const Axes& bottom_panel, std::span<const Tick> ticks, std::size_t rows, int canvas_width,
                      ChartRenderer& out) {
    const XMapping x = x_mapping(bottom_panel, rows);
    const int top = bottom_panel.box.y + bottom_panel.box.height + 5;
    int free_from = 0;  // labels must not overlap
    for (const Tick& tick : ticks) {
        const int width = Canvas::text_width(tick.label);
        const int centre = static_cast<int>(std::floor(x.x_of(static_cast<std::size_t>(tick.position))));
        const int left = std::clamp(centre - width / 2, 0, canvas_width - width);
        if (left < free_from) continue;
        out.fill_rect({centre, top - 5, 1, 3}, kFrame);
        out.text(left, top, tick.label, kText);
        free_from = left + width + Canvas::glyph_advance;
    }
}

// Heights of the panels, top to bottom: price, volume, then `oscillators` panels, sharing what the margins and
// gaps leave in proportion to their weights; the price panel also takes the rounding remainder.
std::vector<int> panel_heights(int canvas_height, std::size_t oscillators) {
    const int panels = 2 + static_cast<int>(oscillators);
    const int room = canvas_height - kMarginTop - kMarginBottom - kPanelGap * (panels - 1);
    const int total_weight = kPriceWeight + kVolumeWeight + kOscillatorWeight * static_cast<int>(oscillators);
    std::vector<int> heights{0, room * kVolumeWeight / total_weight};
    heights.resize(static_cast<std::size_t>(panels), room * kOscillatorWeight / total_weight);
    int used = 0;
    for (const int h : heights) used += h;
    heights[0] = room - used;
    return heights;
}

std::uint64_t tick_bytes(const std::vector<Tick>& ticks) {
    std::uint64_t bytes = heap_bytes(ticks);
    for (const Tick& tick : ticks) bytes += heap_bytes(tick.label);
    return bytes;
}

// The indicators asked for whose columns the data provides: overlays on the price panel, oscillators each in a
// panel of its own.
struct PlottedIndicators {
    std::vector<const IndicatorSpec*> overlays;
    std::vector<const IndicatorSpec*> oscillators;
};

PlottedIndicators plotted_indicators(const ChartData& data, std::span<const std::string> indicators) {
    PlottedIndicators plotted;
    for (const std::string& name : indicators) {
        const IndicatorSpec& spec = find_indicator(name);
        if (data.provides(spec)) (spec.own_panel ? plotted.oscillators : plotted.overlays).push_back(&spec);
    }
    return plotted;
}

// An indicator's columns as artists of a panel: histograms as bars, the others as lines, and a shaded band
// between its first and last line when the indicator has one.
void add_indicator_columns(Axes& axes, const ChartData& data, const IndicatorSpec& spec) {
    const std::size_t first_line = axes.lines.size();
    for (const IndicatorColumn& column : spec.columns) {
        const std::span<const double> values = data.find(column.column)->values;
        if (column.style == SeriesStyle::histogram) {
            axes.bars.push_back({std::string(column.column), BarColoring::by_sign, {values.begin(), values.end()}});
        } else {
            axes.lines.push_back(
                {std::string(column.column), std::string(column.legend), column.color, {values.begin(), values.end()}});
        }
    }
    if (spec.shade_band) {
        axes.bands.push_back({std::string(spec.name), first_line, axes.lines.size() - 1,
                              with_alpha(spec.columns.front().color, kBandAlpha)});
    }
}

// Candles and overlays, over the range of the lows, highs and overlay lines.
void set_up_price_panel(Axes& price, const ChartData& data, const std::vector<const IndicatorSpec*>& overlays) {
    price.kind = PanelKind::price;
    price.candles.open.assign(data.open.begin(), data.open.end());
    price.candles.high.assign(data.high.begin(), data.high.end());
    price.candles.low.assign(data.low.begin(), data.low.end());
    price.candles.close.assign(data.close.begin(), data.close.end());
    for (const IndicatorSpec* spec : overlays) add_indicator_columns(price, data, *spec);
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    widen(lo, hi, data.low);
    widen(lo, hi, data.high);
    for (const LineArtist& line : price.lines) widen(lo, hi, line.values);
    std::tie(price.y_min, price.y_max) = padded_range(lo, hi);
    price.y_ticks = value_ticks(price.y_min, price.y_max, price.box.height, false);
}

// Volume bars coloured as their candles, from 0 to a little above the largest volume.
void set_up_volume_panel(Axes& volume, const ChartData& data) {
    volume.kind = PanelKind::volume;
    volume.title = "VOLUME";
    volume.bars.push_back({"volume", BarColoring::by_candle_direction, {data.volume.begin(), data.volume.end()}});
    double peak_volume = 0.0;
    for (const double v : data.volume) {
        if (std::isfinite(v)) peak_volume = std::max(peak_volume, v);
    }
    volume.y_min = 0.0;
    volume.y_max = peak_volume > 0.0 ? peak_volume * (1.0 + kRangeMargin) : 1.0;
    volume.y_ticks = value_ticks(volume.y_min, volume.y_max, volume.box.height, true);
}

// An oscillator's columns and levels, over its fixed range (RSI's 0..100) or the range of what it draws.
void set_up_oscillator_panel(Axes& panel, const ChartData& data, const IndicatorSpec& spec) {
    panel.kind = PanelKind::oscillator;
    panel.title = spec.title;
    panel.levels = spec.levels;
    add_indicator_columns(panel, data, spec);
    if (std::isnan(spec.fixed_min)) {
        double lo = std::numeric_limits<double>::infinity();
        double hi = -lo;
        widen(lo, hi, spec.levels);
        for (const LineArtist& line : panel.lines) widen(lo, hi, line.values);
        for (const BarArtist& bars : panel.bars) widen(lo, hi, bars.heights);
        std::tie(panel.y_min, panel.y_max) = padded_range(lo, hi);
    } else {
        panel.y_min = spec.fixed_min;
        panel.y_max = spec.fixed_max;
    }
    panel.y_ticks = value_ticks(panel.y_min, panel.y_max, panel.box.height, false);
}

// "   O 1.00  H 2.00  L 0.50  C 1.50": the last candle, at the price labels' precision and at least cents, after
// the data's own title (no separator without one); empty without rows.
std::string last_candle_title(const ChartData& data, const Axes& price) {
    if (data.time.empty()) return "";
    const double step = price.y_ticks.size() > 1 ? price.y_ticks[1].position - price.y_ticks[0].position : 1.0;
    const int decimals = std::max(2, decimals_for(step));
    const std::size_t last = data.time.size() - 1;
    return fmt::format("{}O {:.{}f}  H {:.{}f}  L {:.{}f}  C {:.{}f}", data.title.empty() ? "" : "   ", data.open[last],
                       decimals, data.high[last], decimals, data.low[last], decimals, data.close[last], decimals);
}

int checked_width(int width, int height) {
    Figure::check_size(width, height);
    return width;
}

}  // namespace

void Figure::check_size(int width, int height) {
    if (width < min_side || height < min_side || width > max_side || height > max_side) {
        throw Error(fmt::format("chart figure of {} x {} pixels: expected each side in [{}, {}]", width, height,
                                min_side, max_side));
    }
}

Figure::Figure(int width, int height) : canvas_(checked_width(width, height), height, kBackground) {}

Figure::~Figure() = default;

void Figure::plot(const ChartData& data, std::span<const std::string> indicators) {
    check_chart_data(data, indicators);
    times_.assign(data.time.begin(), data.time.end());
    const PlottedIndicators plotted = plotted_indicators(data, indicators);
    const std::vector<int> heights = panel_heights(height(), plotted.oscillators.size());
    // Cleared and resized rather than replaced: the figure keeps its panels' storage from plot to plot.
    axes_.clear();
    axes_.resize(heights.size());
    int top = kMarginTop;
    for (std::size_t i = 0; i < axes_.size(); ++i) {
        axes_[i].box = {kMarginLeft, top, width() - kMarginLeft - kMarginRight, heights[i]};
        top += heights[i] + kPanelGap;
    }
    set_up_price_panel(axes_[0], data, plotted.overlays);
    set_up_volume_panel(axes_[1], data);
    for (std::size_t i = 0; i < plotted.oscillators.size(); ++i) {
        set_up_oscillator_panel(axes_[2 + i], data, *plotted.oscillators[i]);
    }
    time_ticks_ = make_time_ticks(times_, x_mapping(axes_[0], rows()));
    title_ = std::string(data.title) + last_candle_title(data, axes_[0]);
}

void Figure::render() {
    RasterRenderer raster(canvas_);
    draw(raster);
}

void Figure::draw(ChartRenderer& out) const {
    out.clear(kBackground);
    out.text(kMarginLeft, kTitleTop, title_, kText);
    Scratch scratch;
    for (const Axes& axes : axes_) draw_axes(axes, axes_[0].candles, time_ticks_, rows(), scratch, out);
    draw_time_labels(axes_.back(), time_ticks_, rows(), width(), out);
}

std::uint64_t Figure::retained_bytes() const {
    std::uint64_t bytes = sizeof(Figure) + canvas_.retained_bytes() + heap_bytes(title_) + heap_bytes(times_) +
                          tick_bytes(time_ticks_) + heap_bytes(axes_);
    for (const Axes& axes : axes_) {
        bytes += heap_bytes(axes.title) + tick_bytes(axes.y_ticks) + heap_bytes(axes.levels);
        bytes += heap_bytes(axes.candles.open) + heap_bytes(axes.candles.high) + heap_bytes(axes.candles.low) +
                 heap_bytes(axes.candles.close);
        bytes += heap_bytes(axes.bars) + heap_bytes(axes.lines) + heap_bytes(axes.bands);
        for (const BarArtist& bars : axes.bars) bytes += heap_bytes(bars.column) + heap_bytes(bars.heights);
        for (const LineArtist& line : axes.lines) {
            bytes += heap_bytes(line.column) + heap_bytes(line.legend) + heap_bytes(line.values);
        }
        for (const BandArtist& band : axes.bands) bytes += heap_bytes(band.name);
    }
    return bytes;
}

}  // namespace memsoak::engine
