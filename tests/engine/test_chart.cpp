#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/error.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::engine {
namespace {

using testing::message_of;
using testing::read_text;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The chart's documented colours.
constexpr Rgba kBackground = 0xffffffff;
constexpr Rgba kUp = 0x26a69aff;
constexpr Rgba kDown = 0xef5350ff;
constexpr Rgba kSma20 = 0x1f77b4ff;
constexpr std::int64_t kJan1 = 1609459200;  // 2021-01-01T00:00:00Z

// Owns the columns a ChartData views.
struct Frame {
    std::vector<std::int64_t> time;
    std::vector<double> open, high, low, close, volume;
    std::vector<std::pair<std::string, std::vector<double>>> columns;

    void add_candle(double o, double h, double l, double c, double v, std::int64_t spacing = 60) {
        time.push_back(kJan1 + spacing * static_cast<std::int64_t>(time.size()));
        open.push_back(o);
        high.push_back(h);
        low.push_back(l);
        close.push_back(c);
        volume.push_back(v);
    }
    void add_column(std::string name, std::vector<double> values) {
        columns.emplace_back(std::move(name), std::move(values));
    }

    ChartData data() const {
        ChartData d{"BTCUSDT 1M", time, open, high, low, close, volume, {}};
        for (const auto& [name, values] : columns) d.series.push_back({name, values});
        return d;
    }
};

// Four candles between 100 and 200: up, down, up, up.
Frame four_candles() {
    Frame f;
    f.add_candle(120, 200, 100, 180, 1000);
    f.add_candle(180, 200, 100, 120, 2500);
    f.add_candle(150, 200, 100, 160, 500);
    f.add_candle(150, 200, 100, 160, 700);
    return f;
}

// Every column the known indicators read, with simple values inside the candles' range.
void add_all_indicator_columns(Frame& f) {
    const std::size_t n = f.time.size();
    for (const char* name : {"sma_20", "sma_50", "ema_12", "ema_26", "bb_middle", "vwap"}) {
        f.add_column(name, std::vector<double>(n, 150.0));
    }
    f.add_column("bb_upper", std::vector<double>(n, 190.0));
    f.add_column("bb_lower", std::vector<double>(n, 110.0));
    for (const char* name : {"rsi_14", "stoch_k", "stoch_d"}) f.add_column(name, std::vector<double>(n, 50.0));
    for (const char* name : {"macd", "macd_signal", "macd_hist"}) f.add_column(name, std::vector<double>(n, 1.0));
}

// A week of 1-minute candles (10080), the study's production chart: a deterministic wave with noise-like wiggles.
Frame production_week() {
    Frame f;
    double price = 30000;
    for (int i = 0; i < 10080; ++i) {
        const double next = 30000 + 1500 * std::sin(i / 900.0) + 120 * std::sin(i * 0.37) + 40 * std::sin(i * 2.1);
        f.add_candle(price, std::max(price, next) + 15, std::min(price, next) - 15, next,
                     40 + 30 * std::abs(std::sin(i * 0.7)));
        price = next;
    }
    add_all_indicator_columns(f);
    // Moving averages with their warm-up NaNs, as the analysis frame has them.
    for (auto& [name, values] : f.columns) {
        if (name.rfind("sma_", 0) == 0 || name.rfind("bb_", 0) == 0) {
            for (std::size_t i = 0; i < 49; ++i) values[i] = kNaN;
        }
        for (std::size_t i = 49; i < values.size() && name.rfind("bb_", 0) == 0; ++i) {
            values[i] = f.close[i] + (name == "bb_upper" ? 200 : name == "bb_lower" ? -200 : 0);
        }
        for (std::size_t i = 49; i < values.size() && name.rfind("sma_", 0) == 0; ++i) values[i] = f.close[i - 10];
    }
    return f;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
    return count;
}

// --- Indicators and data checks ---

TEST(ChartIndicators, KnownListAndUnknownNameMessage) {
    std::vector<std::string> names;
    for (const IndicatorSpec& spec : known_indicators()) names.emplace_back(spec.name);
    EXPECT_EQ(names, (std::vector<std::string>{"sma_20", "sma_50", "sma_200", "ema", "bollinger", "vwap", "rsi", "macd",
                                               "stochastic"}));
    EXPECT_EQ(find_indicator("bollinger").columns.size(), 3u);
    EXPECT_EQ(find_indicator("bollinger").columns[1].column, "bb_middle");
    EXPECT_TRUE(find_indicator("rsi").own_panel);
    EXPECT_EQ(message_of<Error>([] { find_indicator("ichimoku"); }),
              "unknown chart indicator \"ichimoku\": expected one of \"sma_20\", \"sma_50\", \"sma_200\", \"ema\", "
              "\"bollinger\", \"vwap\", \"rsi\", \"macd\", \"stochastic\"");
}

TEST(ChartData, ChecksColumnLengthsOfTheCandlesAndOfEnabledIndicators) {
    Frame f = four_candles();
    f.add_column("rsi_14", {50, 50, 50});
    const std::vector<std::string> none;
    EXPECT_NO_THROW(check_chart_data(f.data(), none));
    EXPECT_EQ(f.data().find("rsi_14")->values.size(), 3u);
    EXPECT_EQ(f.data().find("rsi_15"), nullptr);
    EXPECT_TRUE(f.data().provides(find_indicator("rsi")));
    EXPECT_FALSE(f.data().provides(find_indicator("macd")));

    const std::vector<std::string> rsi{"rsi"};
    EXPECT_EQ(message_of<Error>([&] { check_chart_data(f.data(), rsi); }),
              "chart data: column 'rsi_14' has 3 values, expected 4 (one per timestamp)");
    const std::vector<std::string> macd{"macd"};
    EXPECT_NO_THROW(check_chart_data(f.data(), macd));  // not provided: left out of the drawing
    const std::vector<std::string> unknown{"sma_21"};
    EXPECT_THROW(check_chart_data(f.data(), unknown), Error);
    f.close.pop_back();
    EXPECT_EQ(message_of<Error>([&] { check_chart_data(f.data(), none); }),
              "chart data: column 'close' has 3 values, expected 4 (one per timestamp)");
}

// --- Figure layout and rasterization ---

TEST(Figure, RejectsSizesTheLayoutCannotHold) {
    EXPECT_EQ(message_of<Error>([] { Figure(99, 300); }),
              "chart figure of 99 x 300 pixels: expected each side in [100, 8192]");
    EXPECT_THROW(Figure(300, 9000), Error);
    EXPECT_NO_THROW(Figure(100, 100));
}

TEST(Figure, LaysOutPriceAndVolumePanelsWithTicksAndTitle) {
    const Frame f = four_candles();
    Figure figure(200, 150);
    figure.plot(f.data(), {});
    ASSERT_EQ(figure.axes().size(), 2u);
    // Room for panels: 150 - 20 (title) - 18 (time labels) - 6 (gap) = 106; volume 106 * 2 / 12 = 17, price the rest.
    const Axes& price = figure.axes()[0];
    EXPECT_EQ(price.kind, PanelKind::price);
    EXPECT_EQ(price.box.x, 8);
    EXPECT_EQ(price.box.y, 20);
    EXPECT_EQ(price.box.width, 128);
    EXPECT_EQ(price.box.height, 89);
    const Axes& volume = figure.axes()[1];
    EXPECT_EQ(volume.title, "VOLUME");
    EXPECT_EQ(volume.box.y, 115);
    EXPECT_EQ(volume.box.height, 17);
    // Prices 100..200 padded by 5% of the span on each side; 2 ticks wanted in 89 pixels, so a step near 110 / 2: 50.
    EXPECT_DOUBLE_EQ(price.y_min, 95.0);
    EXPECT_DOUBLE_EQ(price.y_max, 205.0);
    std::vector<std::string> labels;
    for (const Tick& tick : price.y_ticks) labels.push_back(tick.label);
    EXPECT_EQ(labels, (std::vector<std::string>{"100", "150", "200"}));
    // Volume from 0 to 2500 * 1.05; a step near 2625 / 2: 1000, labelled compactly.
    EXPECT_DOUBLE_EQ(volume.y_max, 2625.0);
    labels.clear();
    for (const Tick& tick : volume.y_ticks) labels.push_back(tick.label);
    EXPECT_EQ(labels, (std::vector<std::string>{"0", "1K", "2K"}));
    EXPECT_EQ(figure.title(), "BTCUSDT 1M   O 150.00  H 200.00  L 100.00  C 160.00");
}

TEST(Figure, OscillatorsGetPanelsOfTheirOwnBelowTheVolume) {
    Frame f = four_candles();
    add_all_indicator_columns(f);
    Figure figure(200, 150);
    const std::vector<std::string> indicators{"sma_20", "rsi"};
    figure.plot(f.data(), indicators);
    ASSERT_EQ(figure.axes().size(), 3u);
    // Room: 150 - 38 - 2 gaps of 6 = 100; volume 100 * 2 / 15 = 13, RSI 100 * 3 / 15 = 20, price 67.
    const Axes& rsi = figure.axes()[2];
    EXPECT_EQ(rsi.kind, PanelKind::oscillator);
    EXPECT_EQ(rsi.title, "RSI 14");
    EXPECT_EQ(figure.axes()[0].box.height, 67);
    EXPECT_EQ(figure.axes()[1].box.y, 93);
    EXPECT_EQ(rsi.box.y, 112);
    EXPECT_EQ(rsi.box.height, 20);
    EXPECT_DOUBLE_EQ(rsi.y_min, 0.0);
    EXPECT_DOUBLE_EQ(rsi.y_max, 100.0);
    EXPECT_EQ(rsi.levels, (std::vector<double>{30.0, 70.0}));
    ASSERT_EQ(rsi.lines.size(), 1u);
    EXPECT_EQ(rsi.lines[0].column, "rsi_14");
    ASSERT_EQ(figure.axes()[0].lines.size(), 1u);
    EXPECT_EQ(figure.axes()[0].lines[0].column, "sma_20");
}

TEST(Figure, LeavesOutIndicatorsWhoseColumnsTheDataLacks) {
    // Before the first analysis the frame has only the candles.
    Frame f = four_candles();
    f.add_column("bb_upper", {190, 190, 190, 190});
    Figure figure(200, 150);
    const std::vector<std::string> indicators{"sma_20", "bollinger", "rsi"};
    figure.plot(f.data(), indicators);
    ASSERT_EQ(figure.axes().size(), 2u);
    EXPECT_TRUE(figure.axes()[0].lines.empty());
    EXPECT_TRUE(figure.axes()[0].bands.empty());
    EXPECT_EQ(figure.axes()[0].candles.close.size(), 4u);
}

TEST(Figure, KeepsItsOwnCopiesOfThePlottedData) {
    Frame f = four_candles();
    add_all_indicator_columns(f);
    Figure figure(200, 150);
    const std::vector<std::string> indicators{"sma_20"};
    figure.plot(f.data(), indicators);
    f.close.assign(4, 1.0);
    f.columns[0].second.assign(4, 1.0);
    EXPECT_EQ(figure.axes()[0].candles.close, (std::vector<double>{180, 120, 160, 160}));
    EXPECT_EQ(figure.axes()[0].lines[0].values, (std::vector<double>{150, 150, 150, 150}));
}

TEST(Figure, CandleBodiesAndWicksArePaintedInTheirColumns) {
    const Frame f = four_candles();
    Figure figure(200, 150);
    figure.plot(f.data(), {});
    figure.render();
    const Canvas& canvas = figure.canvas();
    // Box x 8..135, 4 slots of 32 pixels; bodies 22 wide (70%) centred at 24, 56, ...; the first from x 13 to 34.
    // y(v) = 20 + (205 - v) / 110 * 89: the first body (120..180) covers rows 40 to 88. Row 70 has no grid line
    // (those are at 100, 150 and 200: rows 104, 64 and 24).
    const int row = 70;
    for (int x = 13; x <= 34; ++x) EXPECT_EQ(canvas.pixel(x, row), kUp) << "x " << x;
    EXPECT_EQ(canvas.pixel(12, row), kBackground);
    EXPECT_EQ(canvas.pixel(35, row), kBackground);
    EXPECT_EQ(canvas.pixel(20, 40), kUp);
    EXPECT_EQ(canvas.pixel(20, 39), kBackground);
    EXPECT_EQ(canvas.pixel(20, 88), kUp);
    EXPECT_EQ(canvas.pixel(20, 89), kBackground);
    // The wick: column 24 from the high (row 24) to the low (row 104).
    EXPECT_EQ(canvas.pixel(24, 30), kUp);
    EXPECT_EQ(canvas.pixel(23, 30), kBackground);
    EXPECT_EQ(canvas.pixel(24, 23), kBackground);
    // The second candle falls: its body (x 45..66) is the down colour.
    EXPECT_EQ(canvas.pixel(45, row), kDown);
    EXPECT_EQ(canvas.pixel(66, row), kDown);
    EXPECT_EQ(canvas.pixel(44, row), kBackground);
}

TEST(Figure, MoreCandlesThanColumnsAreAggregatedPerColumn) {
    // 256 candles in 128 columns: column c shows candles 2c and 2c + 1 as one (open 150, high 170, low 130,
    // close 155: up). Prices 130..170 padded to 128..172, so y(v) = 20 + (172 - v) / 44 * 89.
    Frame f;
    for (int i = 0; i < 128; ++i) {
        f.add_candle(150, 160, 130, 140, 10);
        f.add_candle(140, 170, 135, 155, 10);
    }
    Figure figure(200, 150);
    figure.plot(f.data(), {});
    figure.render();
    const Canvas& canvas = figure.canvas();
    for (const int x : {8, 70, 135}) {
        EXPECT_EQ(canvas.pixel(x, 24), kUp) << "x " << x;   // row of 170
        EXPECT_EQ(canvas.pixel(x, 104), kUp) << "x " << x;  // row of 130
        EXPECT_EQ(canvas.pixel(x, 23), kBackground) << "x " << x;
        EXPECT_EQ(canvas.pixel(x, 105), kBackground) << "x " << x;
    }
}

TEST(Figure, OverlaysAreDrawnWhereDefinedAndBandsShaded) {
    Frame f = four_candles();
    add_all_indicator_columns(f);
    for (auto& [name, values] : f.columns) {
        if (name == "sma_20") values = {kNaN, kNaN, 150, 150};  // warm-up
        if (name == "bb_middle") values.assign(4, 160.0);       // off the SMA's row
    }
    Figure figure(200, 150);
    const std::vector<std::string> indicators{"sma_20", "bollinger"};
    figure.plot(f.data(), indicators);
    figure.render();
    const Canvas& canvas = figure.canvas();
    // SMA 20 at 150 lies on row 64 from the third candle's centre (x 88) to the fourth's (x 120).
    EXPECT_EQ(canvas.pixel(100, 64), kSma20);
    EXPECT_NE(canvas.pixel(100, 63), kSma20);
    EXPECT_NE(canvas.pixel(40, 64), kSma20);  // before the SMA is defined
    // Between the bands (110..190) the band colour 0x17becf at alpha 0x22 over white:
    // (0x17 * 34 + 255 * 221 + 127) / 255 = 224, then 246 and 249.
    EXPECT_EQ(canvas.pixel(40, 48), 0xe0f6f9ffU);
    EXPECT_EQ(canvas.pixel(40, 20), kBackground);  // above the upper band
}

TEST(Figure, TimeTicksFollowTheCalendar) {
    // Three days of hourly candles in 828 pixels: 8 ticks wanted, so every 12 hours.
    Frame f;
    for (int i = 0; i < 72; ++i) f.add_candle(100, 110, 90, 105, 5, 3600);
    Figure figure(900, 300);
    figure.plot(f.data(), {});
    std::vector<std::string> labels;
    std::vector<double> rows;
    for (const Tick& tick : figure.time_ticks()) {
        labels.push_back(tick.label);
        rows.push_back(tick.position);
    }
    EXPECT_EQ(labels, (std::vector<std::string>{"12:00", "JAN 02", "12:00", "JAN 03", "12:00"}));
    EXPECT_EQ(rows, (std::vector<double>{12, 24, 36, 48, 60}));
}

TEST(Figure, EmptyDataStillDrawsItsPanels) {
    const Frame empty;
    Figure figure(120, 100);
    figure.plot(empty.data(), {});
    figure.render();
    EXPECT_EQ(figure.rows(), 0u);
    EXPECT_EQ(figure.title(), "BTCUSDT 1M");
    EXPECT_EQ(figure.axes().size(), 2u);
}

TEST(Figure, SvgHasOnePathPerLineAndBand) {
    Frame f = four_candles();
    add_all_indicator_columns(f);
    Figure figure(300, 200);
    const std::vector<std::string> indicators{"sma_20", "bollinger", "macd"};
    figure.plot(f.data(), indicators);
    const std::string svg = figure.to_svg();
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"200\"", 0), 0u);
    EXPECT_TRUE(svg.ends_with("</svg>\n"));
    // sma_20, three Bollinger lines, macd and macd_signal; one shaded band.
    EXPECT_EQ(count_of(svg, "<path "), 7u);
    for (const char* id : {"line-sma_20", "line-bb_upper", "line-bb_middle", "line-bb_lower", "line-macd",
                           "line-macd_signal", "band-bollinger"}) {
        EXPECT_NE(svg.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
    }
    EXPECT_NE(svg.find(">MACD 12 26 9</text>"), std::string::npos);
    EXPECT_EQ(count_of(svg, "<text"), count_of(svg, "</text>"));
}

TEST(Figure, ProductionFigureRetainsOneToThreeMegabytes) {
    const Frame f = production_week();
    Figure figure(900, 500);
    const std::vector<std::string> indicators{"sma_20", "sma_50", "bollinger"};
    figure.plot(f.data(), indicators);
    figure.render();
    // Canvas 900 x 500 x 4 bytes, plus 8-byte copies of time, OHLC, volume and 5 lines for each of 10080 candles.
    const std::uint64_t canvas = 900u * 500u * 4u;
    const std::uint64_t data = 10080u * 8u * 11u;
    EXPECT_GE(figure.retained_bytes(), canvas + data);
    EXPECT_LE(figure.retained_bytes(), canvas + data + 16 * 1024);
    EXPECT_GE(figure.retained_bytes(), 1'000'000u);
    EXPECT_LE(figure.retained_bytes(), 3'000'000u);
}

// --- FigureManager ---

TEST(FigureManager, HoldsFiguresUntilClosed) {
    FigureManager manager;
    EXPECT_EQ(manager.new_figure(100, 100), 1);
    EXPECT_EQ(manager.new_figure(200, 100), 2);
    EXPECT_EQ(manager.open_figures(), 2u);
    EXPECT_EQ(manager.figure(2).width(), 200);
    const std::uint64_t both = manager.retained_bytes();
    const std::uint64_t first = manager.figure(1).retained_bytes();
    manager.close(1);
    EXPECT_EQ(manager.open_figures(), 1u);
    EXPECT_EQ(manager.retained_bytes(), both - first);
    EXPECT_EQ(message_of<Error>([&] { manager.figure(1); }), "figure 1 is not open");
    manager.close(1);  // already closed: nothing happens, as with plt.close
    manager.close(42);
    EXPECT_EQ(manager.open_figures(), 1u);
    EXPECT_EQ(manager.new_figure(100, 100), 3);  // ids are never reused
    EXPECT_EQ(message_of<Error>([&] { manager.new_figure(50, 100); }),
              "chart figure of 50 x 100 pixels: expected each side in [100, 8192]");
}

// --- ChartWidget: the study's leak and its fix ---

TEST(ChartWidget, LeakyPolicyKeepsEveryFigureAndGrowsLinearly) {
    const Frame f = four_candles();
    FigureManager manager;
    ChartWidget widget(manager, ChartPolicy::leaky, 200, 150, {});
    std::vector<std::uint64_t> bytes;
    for (int redraw = 1; redraw <= 6; ++redraw) {
        widget.update_chart(f.data());
        EXPECT_EQ(widget.figure_count(), static_cast<std::size_t>(redraw));
        bytes.push_back(widget.retained_bytes());
    }
    const std::uint64_t per_figure = widget.current_figure().retained_bytes();
    for (std::size_t i = 1; i < bytes.size(); ++i) {
        // Each redraw adds one figure, plus at most a few pointers of growth in the manager's table.
        EXPECT_GE(bytes[i] - bytes[i - 1], per_figure) << "redraw " << i + 1;
        EXPECT_LE(bytes[i] - bytes[i - 1], per_figure + 8 * 16) << "redraw " << i + 1;
    }
    EXPECT_EQ(widget.current_figure_id(), 6);
}

TEST(ChartWidget, CloseBeforeRedrawKeepsOneFigureAndFlatBytes) {
    const Frame f = four_candles();
    FigureManager manager;
    ChartWidget widget(manager, ChartPolicy::close_before_redraw, 200, 150, {});
    widget.update_chart(f.data());
    const std::uint64_t first = widget.retained_bytes();
    for (int redraw = 2; redraw <= 6; ++redraw) {
        widget.update_chart(f.data());
        EXPECT_EQ(widget.figure_count(), 1u);
        EXPECT_EQ(widget.retained_bytes(), first);
    }
    EXPECT_EQ(widget.current_figure_id(), 6);
    const ComponentFootprint footprint = widget.footprint();
    EXPECT_EQ(footprint.component, "chart");
    EXPECT_EQ(footprint.issue, "issue-2");
    EXPECT_EQ(footprint.bytes, first);
    EXPECT_EQ(footprint.items, 1u);
}

TEST(ChartWidget, TogglingTwentyFourTimesLeaksOnlyUnderTheLeakyPolicy) {
    Frame f = four_candles();
    add_all_indicator_columns(f);
    for (const ChartPolicy policy : {ChartPolicy::leaky, ChartPolicy::close_before_redraw}) {
        FigureManager manager;
        ChartWidget widget(manager, policy, 200, 150, {"sma_20"});
        widget.update_chart(f.data());
        const std::uint64_t without_rsi = widget.retained_bytes();
        for (int toggle = 1; toggle <= 24; ++toggle) {
            widget.toggle_indicator("rsi");
            EXPECT_EQ(widget.is_enabled("rsi"), toggle % 2 == 1);
            widget.update_chart(f.data());
            if (policy == ChartPolicy::close_before_redraw) {
                EXPECT_EQ(widget.figure_count(), 1u);
                // The RSI panel holds one more line copy; without it the figure is the same size as at the start.
                if (toggle % 2 == 0) {
                    EXPECT_EQ(widget.retained_bytes(), without_rsi) << "toggle " << toggle;
                } else {
                    EXPECT_GT(widget.retained_bytes(), without_rsi) << "toggle " << toggle;
                }
            }
        }
        if (policy == ChartPolicy::leaky) {
            EXPECT_EQ(widget.figure_count(), 25u);
            EXPECT_GT(widget.retained_bytes(), 24 * without_rsi);
        }
    }
}

TEST(ChartWidget, IndicatorsAreKeptInTableOrderAndUnknownNamesRejected) {
    FigureManager manager;
    ChartWidget widget(manager, ChartPolicy::close_before_redraw, 300, 200, {"rsi", "bollinger", "sma_20", "rsi"});
    EXPECT_EQ(widget.enabled_indicators(), (std::vector<std::string>{"sma_20", "bollinger", "rsi"}));
    widget.toggle_indicator("sma_20");
    EXPECT_FALSE(widget.is_enabled("sma_20"));
    EXPECT_EQ(message_of<Error>([&] { widget.toggle_indicator("volume_profile"); }),
              "unknown chart indicator \"volume_profile\": expected one of \"sma_20\", \"sma_50\", \"sma_200\", "
              "\"ema\", \"bollinger\", \"vwap\", \"rsi\", \"macd\", \"stochastic\"");
    EXPECT_THROW(widget.is_enabled("sma_21"), Error);
    EXPECT_THROW(ChartWidget(manager, ChartPolicy::leaky, 300, 200, {"sma_100"}), Error);
    EXPECT_THROW(ChartWidget(manager, ChartPolicy::leaky, 300, 20, {}), Error);
}

TEST(ChartWidget, BadDataThrowsBeforeAnyFigureIsOpenedOrClosed) {
    Frame f = four_candles();
    FigureManager manager;
    ChartWidget widget(manager, ChartPolicy::close_before_redraw, 200, 150, {"vwap"});
    f.add_column("vwap", {1, 2, 3, 4});
    widget.update_chart(f.data());
    f.volume.pop_back();
    EXPECT_EQ(message_of<Error>([&] { widget.update_chart(f.data()); }),
              "chart data: column 'volume' has 3 values, expected 4 (one per timestamp)");
    EXPECT_EQ(widget.figure_count(), 1u);
    EXPECT_EQ(widget.current_figure_id(), 1);
}

TEST(ChartWidget, SavesTheCurrentFigureAsPngAndSvg) {
    Frame f = four_candles();
    add_all_indicator_columns(f);
    FigureManager manager;
    ChartWidget widget(manager, ChartPolicy::close_before_redraw, 300, 200, {"sma_20", "bollinger"});
    const testing::TempDir dir;
    EXPECT_EQ(message_of<Error>([&] { widget.save_png(dir / "none.png"); }),
              "cannot save the chart to '" + (dir / "none.png").string() + "': nothing has been drawn yet");
    EXPECT_EQ(message_of<Error>([&] { widget.current_figure(); }),
              "the chart has no figure yet: update_chart draws the first one");

    widget.update_chart(f.data());
    widget.save_png(dir / "memsoak_chart_test.png");
    widget.save_svg(dir / "memsoak_chart_test.svg");
    EXPECT_EQ(read_text(dir / "memsoak_chart_test.png"), widget.current_figure().canvas().to_png());
    const std::string svg = read_text(dir / "memsoak_chart_test.svg");
    EXPECT_EQ(svg, widget.current_figure().to_svg());
    EXPECT_EQ(count_of(svg, "<path "), 5u);  // sma_20, three Bollinger lines, the band

    EXPECT_EQ(message_of<Error>([&] { widget.save_svg("/nonexistent-memsoak-dir/chart.svg"); }),
              "cannot open '/nonexistent-memsoak-dir/chart.svg' for writing: No such file or directory");
}

}  // namespace
}  // namespace memsoak::engine
