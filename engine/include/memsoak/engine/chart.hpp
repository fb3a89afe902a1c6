#pragma once
// Study issue #2 (chart_widget.py:144): the chart widget draws every update into a new matplotlib figure, and
// pyplot's figure manager (Gcf) keeps each figure alive until plt.close(fig). This is that machinery in C++:
// a FigureManager that holds figures until they are closed, Figures that keep their own copies of the plotted data
// (as Line2D artists do) and a rasterized Canvas, and the ChartWidget whose ChartPolicy decides whether the old
// figure is closed before the next one is drawn.
//
// Layout of a figure: a title line, the price panel (candles, overlays such as moving averages and Bollinger
// bands), the volume panel, then one panel per enabled oscillator (RSI, MACD, stochastic), all sharing the x axis,
// with price labels on the right and time labels below. Candles sit at equal spacing by row (gaps in time are not
// drawn, as in mplfinance). With more candles than pixel columns, each column shows the aggregate of its candles
// (first open, highest high, lowest low, last close) and lines keep each column's first, lowest, highest and last
// value, so drawing costs O(rows + pixels) and looks as drawing every candle would.
//
// Colours (0xRRGGBBAA): white background 0xffffffff, rising candles 0x26a69aff, falling 0xef5350ff, volume and
// histogram bars the same at alpha 0x80; each indicator column's colour is in known_indicators().

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memsoak/engine/canvas.hpp"
#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/policies.hpp"

namespace memsoak::engine {

// One indicator column of the analysis frame under its frame name ("sma_20", "bb_upper", "rsi_14").
struct ChartSeries {
    std::string_view name;
    std::span<const double> values;  // one per candle; NaN where the indicator is not defined yet (warm-up)
};

// --- The indicators the chart knows how to draw ---

enum class SeriesStyle {
    line,       // a polyline
    histogram,  // bars from zero, coloured by sign (MACD histogram)
};

struct IndicatorColumn {
    std::string_view column;  // the frame column it plots
    std::string_view legend;  // legend text; empty for columns not listed (e.g. the lower Bollinger band)
    Rgba color;
    SeriesStyle style = SeriesStyle::line;
};

struct IndicatorSpec {
    std::string_view name;   // what the user toggles: "bollinger"
    std::string_view title;  // title of its own panel: "RSI 14"
    bool own_panel;          // false: drawn over the price panel; true: a panel of its own below the volume
    std::vector<IndicatorColumn> columns;
    bool shade_band;  // shade between the first and the last column (Bollinger bands)
    // The panel's value range; NaN (both) fits the range to the data. Ignored for price overlays, which share the
    // price range.
    double fixed_min;
    double fixed_max;
    std::vector<double> levels;  // reference levels drawn across the panel (RSI 30 and 70); shaded between when two
};

// The fixed list, in drawing order: "sma_20" {sma_20}, "sma_50" {sma_50}, "sma_200" {sma_200},
// "ema" {ema_12, ema_26}, "bollinger" {bb_upper, bb_middle, bb_lower}, "vwap" {vwap} over the price panel;
// "rsi" {rsi_14}, "macd" {macd, macd_signal, macd_hist}, "stochastic" {stoch_k, stoch_d} in panels of their own.
const std::vector<IndicatorSpec>& known_indicators();

// The indicator named `name`. Throws engine::Error
// "unknown chart indicator \"x\": expected one of \"sma_20\", \"sma_50\", ...".
const IndicatorSpec& find_indicator(std::string_view name);

// What update_chart plots: views of the analysis frame's columns, owned by the caller. A figure copies what it
// plots, so the views need to stay valid only during the call.
struct ChartData {
    std::string_view title;              // shown top-left, e.g. "BTCUSDT 1M"
    std::span<const std::int64_t> time;  // bar start, Unix seconds (UTC), increasing; one per candle
    std::span<const double> open, high, low, close, volume;
    std::vector<ChartSeries> series;  // the indicator columns; only those of enabled indicators are read

    // The series named `name`, or nullptr.
    const ChartSeries* find(std::string_view name) const;
    // Whether every column `indicator` plots is among the series.
    bool provides(const IndicatorSpec& indicator) const;
};

// Checks that `data` can be plotted with `indicators` (names from known_indicators()). Throws engine::Error for an
// unknown indicator or a column whose length differs from the number of timestamps:
// "chart data: column 'close' has 9 values, expected 10 (one per timestamp)". An indicator whose columns the data
// does not all provide is not an error: it is left out of the drawing, as the frame before the first analysis has
// only the candles.
void check_chart_data(const ChartData& data, std::span<const std::string> indicators);

// --- Figures and their artists ---

// A rectangle of canvas pixels: [x, x + width) x [y, y + height).
struct PixelRect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
};

// A plotted line with its own copy of the values (matplotlib's Line2D).
struct LineArtist {
    std::string column;  // the frame column it was copied from
    std::string legend;
    Rgba color = 0;
    std::vector<double> values;
};

// Shading between two lines of the same axes (fill_between); indices into Axes::lines.
struct BandArtist {
    std::string name;  // the indicator, e.g. "bollinger"
    std::size_t upper_line = 0;
    std::size_t lower_line = 0;
    Rgba color = 0;
};

enum class BarColoring {
    by_candle_direction,  // volume: the colour of the candle above
    by_sign,              // histogram: up colour at or above zero, down colour below
};

struct BarArtist {
    std::string column;
    BarColoring coloring = BarColoring::by_sign;
    std::vector<double> heights;
};

// Candles with their own copy of the prices.
struct CandleArtist {
    std::vector<double> open, high, low, close;
};

// A labelled position on an axis: a value for value axes, a row (candle index) for the time axis.
struct Tick {
    double position = 0;
    std::string label;
};

enum class PanelKind { price, volume, oscillator };

// One panel (matplotlib's Axes): its place on the canvas, its value range and its artists.
struct Axes {
    PanelKind kind = PanelKind::price;
    std::string title;  // e.g. "VOLUME", "RSI 14"; empty for the price panel (the figure title is above it)
    PixelRect box;      // the plotting area; labels are outside it
    double y_min = 0;   // value at the bottom edge of the box
    double y_max = 1;   // value at the top edge
    std::vector<Tick> y_ticks;
    std::vector<double> levels;
    CandleArtist candles;  // the price panel's; empty in other panels
    std::vector<BarArtist> bars;
    std::vector<LineArtist> lines;
    std::vector<BandArtist> bands;
};

class ChartRenderer;  // internal: the raster and SVG back ends behind render() and to_svg()

class Figure {
public:
    static constexpr int min_side = 100;  // pixels; below this the panels and labels do not fit
    static constexpr int max_side = 8192;

    // Throws engine::Error "chart figure of W x H pixels: expected each side in [100, 8192]" for other sizes.
    static void check_size(int width, int height);

    // An empty figure whose canvas is filled with the background colour.
    Figure(int width, int height);
    ~Figure();
    Figure(const Figure&) = delete;
    Figure& operator=(const Figure&) = delete;

    // Replaces the figure's artists with copies of `data` and of the columns of `indicators` (names from
    // known_indicators(); those whose columns the data lacks are left out), and lays out the panels, ranges and
    // ticks. Does not rasterize: call render(). Throws as check_chart_data does, leaving the figure as it was.
    void plot(const ChartData& data, std::span<const std::string> indicators);

    // Rasterizes the artists onto the canvas: background, grid, levels, bands, bars, candles, lines, frames,
    // labels and legends.
    void render();

    // The figure as a self-contained SVG document drawn from the same artists and layout as render(): one <path>
    // per line (id "line-<column>") and per shaded band (id "band-<indicator>").
    std::string to_svg() const;

    int width() const { return canvas_.width(); }
    int height() const { return canvas_.height(); }
    const Canvas& canvas() const { return canvas_; }
    const std::vector<Axes>& axes() const { return axes_; }
    const std::string& title() const { return title_; }
    const std::vector<Tick>& time_ticks() const { return time_ticks_; }
    std::size_t rows() const { return times_.size(); }

    // Heap bytes the figure keeps alive, the Figure object included (the manager allocates it): the canvas,
    // every artist's data and the ticks, labels and panels.
    std::uint64_t retained_bytes() const;

private:
    void draw(ChartRenderer& renderer) const;

    Canvas canvas_;
    std::string title_;
    std::vector<std::int64_t> times_;  // the time axis's copy, for its labels
    std::vector<Tick> time_ticks_;
    std::vector<Axes> axes_;
};

// pyplot's figure manager (Gcf): every figure stays alive until it is closed.
class FigureManager {
public:
    // A new figure of width x height pixels; ids start at 1 and are never reused. Throws engine::Error for a size
    // Figure::check_size rejects.
    int new_figure(int width, int height);
    // Throws engine::Error "figure 3 is not open" for an id that is not open.
    Figure& figure(int id);
    const Figure& figure(int id) const;
    // Destroys the figure and frees all it held. Closing a figure that is not open does nothing, as plt.close does.
    void close(int id);
    std::size_t open_figures() const { return figures_.size(); }
    // Heap bytes of every open figure plus the manager's own table.
    std::uint64_t retained_bytes() const;

private:
    std::vector<std::pair<int, std::unique_ptr<Figure>>> figures_;  // ascending id
    int next_id_ = 1;
};

// chart_widget.py's ChartWidget: draws the latest analysis into a figure of the manager.
//
// Toggling an indicator only flips it; the next update_chart draws the new set. The application calls
// update_chart right after a toggle with the latest frame, as the original does, so the widget never keeps views
// of data that may have gone.
class ChartWidget {
public:
    // Throws engine::Error for an unknown indicator (see find_indicator) or a size Figure::check_size rejects.
    ChartWidget(FigureManager& figures, ChartPolicy policy, int width, int height,
                const std::vector<std::string>& enabled_indicators);

    // Draws `data` with the enabled indicators into a new figure and renders it. ChartPolicy::leaky leaves the
    // previous figure open in the manager (the study's leak); ChartPolicy::close_before_redraw closes it first.
    // Throws as check_chart_data does, before any figure is opened or closed.
    void update_chart(const ChartData& data);

    // Turns an indicator on or off for the next update_chart. Throws engine::Error for an unknown name.
    void toggle_indicator(const std::string& name);
    // Throws engine::Error for an unknown name.
    bool is_enabled(const std::string& name) const;
    // The enabled indicators in known_indicators() order.
    const std::vector<std::string>& enabled_indicators() const { return enabled_; }

    // The figure drawn by the last update_chart; throws engine::Error if nothing has been drawn yet.
    const Figure& current_figure() const;
    std::optional<int> current_figure_id() const { return current_id_; }

    // Write the current figure; throw engine::Error if nothing has been drawn yet or the file cannot be written.
    void save_png(const std::filesystem::path& file) const;
    void save_svg(const std::filesystem::path& file) const;

    ChartPolicy policy() const { return policy_; }
    // Figures open in the manager and the bytes they retain: what leaks under ChartPolicy::leaky.
    std::size_t figure_count() const { return figures_.open_figures(); }
    std::uint64_t retained_bytes() const { return figures_.retained_bytes(); }
    // Component "chart", issue "issue-2"; items are the open figures.
    ComponentFootprint footprint() const;

private:
    FigureManager& figures_;
    ChartPolicy policy_;
    int width_;
    int height_;
    std::vector<std::string> enabled_;
    std::optional<int> current_id_;
};

}  // namespace memsoak::engine
