// The chart's indicator table, the figure manager and the chart widget (study issue #2).

#include "memsoak/engine/chart.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <limits>

#include "canvas_file.hpp"
#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

constexpr double kFitToData = std::numeric_limits<double>::quiet_NaN();

void check_length(std::string_view column, std::size_t length, std::size_t rows) {
    if (length != rows) {
        throw Error(fmt::format("chart data: column '{}' has {} values, expected {} (one per timestamp)", column,
                                length, rows));
    }
}

}  // namespace

const ChartSeries* ChartData::find(std::string_view name) const {
    const auto found = std::find_if(series.begin(), series.end(), [&](const ChartSeries& s) { return s.name == name; });
    return found == series.end() ? nullptr : &*found;
}

bool ChartData::provides(const IndicatorSpec& indicator) const {
    return std::all_of(indicator.columns.begin(), indicator.columns.end(),
                       [this](const IndicatorColumn& column) { return find(column.column) != nullptr; });
}

const std::vector<IndicatorSpec>& known_indicators() {
    // Colours follow matplotlib's default cycle, so the chart reads like the original.
    static const std::vector<IndicatorSpec> indicators{
        {"sma_20", "", false, {{"sma_20", "SMA 20", 0x1f77b4ff}}, false, kFitToData, kFitToData, {}},
        {"sma_50", "", false, {{"sma_50", "SMA 50", 0xff7f0eff}}, false, kFitToData, kFitToData, {}},
        {"sma_200", "", false, {{"sma_200", "SMA 200", 0x2ca02cff}}, false, kFitToData, kFitToData, {}},
        {"ema",
         "",
         false,
         {{"ema_12", "EMA 12", 0x9467bdff}, {"ema_26", "EMA 26", 0x8c564bff}},
         false,
         kFitToData,
         kFitToData,
         {}},
        {"bollinger",
         "",
         false,
         {{"bb_upper", "BB 20 2", 0x17becfff}, {"bb_middle", "", 0x17becfff}, {"bb_lower", "", 0x17becfff}},
         true,
         kFitToData,
         kFitToData,
         {}},
        {"vwap", "", false, {{"vwap", "VWAP", 0xe377c2ff}}, false, kFitToData, kFitToData, {}},
        {"rsi", "RSI 14", true, {{"rsi_14", "", 0x9467bdff}}, false, 0.0, 100.0, {30.0, 70.0}},
        {"macd",
         "MACD 12 26 9",
         true,
         {{"macd_hist", "", 0, SeriesStyle::histogram},
          {"macd", "MACD", 0x1f77b4ff},
          {"macd_signal", "SIGNAL", 0xff7f0eff}},
         false,
         kFitToData,
         kFitToData,
         {0.0}},
        {"stochastic",
         "STOCH 14 3",
         true,
         {{"stoch_k", "%K", 0x1f77b4ff}, {"stoch_d", "%D", 0xff7f0eff}},
         false,
         0.0,
         100.0,
         {20.0, 80.0}},
    };
    return indicators;
}

const IndicatorSpec& find_indicator(std::string_view name) {
    std::string valid;
    for (const IndicatorSpec& spec : known_indicators()) {
        if (spec.name == name) return spec;
        valid += fmt::format("{}\"{}\"", valid.empty() ? "" : ", ", spec.name);
    }
    throw Error(fmt::format("unknown chart indicator \"{}\": expected one of {}", name, valid));
}

void check_chart_data(const ChartData& data, std::span<const std::string> indicators) {
    const std::size_t rows = data.time.size();
    check_length("open", data.open.size(), rows);
    check_length("high", data.high.size(), rows);
    check_length("low", data.low.size(), rows);
    check_length("close", data.close.size(), rows);
    check_length("volume", data.volume.size(), rows);
    for (const std::string& name : indicators) {
        for (const IndicatorColumn& column : find_indicator(name).columns) {
            if (const ChartSeries* series = data.find(column.column)) {
                check_length(column.column, series->values.size(), rows);
            }
        }
    }
}

// --- FigureManager ---

int FigureManager::new_figure(int width, int height) {
    figures_.emplace_back(next_id_, std::make_unique<Figure>(width, height));
    return next_id_++;
}

Figure& FigureManager::figure(int id) {
    return const_cast<Figure&>(static_cast<const FigureManager&>(*this).figure(id));
}

const Figure& FigureManager::figure(int id) const {
    const auto found = std::lower_bound(figures_.begin(), figures_.end(), id,
                                        [](const auto& entry, int wanted) { return entry.first < wanted; });
    if (found == figures_.end() || found->first != id) throw Error(fmt::format("figure {} is not open", id));
    return *found->second;
}

void FigureManager::close(int id) {
    const auto found = std::lower_bound(figures_.begin(), figures_.end(), id,
                                        [](const auto& entry, int wanted) { return entry.first < wanted; });
    if (found != figures_.end() && found->first == id) figures_.erase(found);
}

std::uint64_t FigureManager::retained_bytes() const {
    std::uint64_t bytes = heap_bytes(figures_);
    for (const auto& entry : figures_) bytes += entry.second->retained_bytes();
    return bytes;
}

// --- ChartWidget ---

namespace {

Error nothing_drawn(const std::filesystem::path& file) {
    return Error(fmt::format("cannot save the chart to '{}': nothing has been drawn yet", file.string()));
}

}  // namespace

ChartWidget::ChartWidget(FigureManager& figures, ChartPolicy policy, int width, int height,
                         const std::vector<std::string>& enabled_indicators)
    : figures_(figures), policy_(policy), width_(width), height_(height) {
    Figure::check_size(width, height);
    for (const std::string& name : enabled_indicators) {
        if (!is_enabled(name)) toggle_indicator(name);
    }
}

void ChartWidget::update_chart(const ChartData& data) {
    check_chart_data(data, enabled_);
    if (policy_ == ChartPolicy::close_before_redraw && current_id_) figures_.close(*current_id_);
    const int id = figures_.new_figure(width_, height_);
    current_id_ = id;
    Figure& figure = figures_.figure(id);
    figure.plot(data, enabled_);
    figure.render();
}

void ChartWidget::toggle_indicator(const std::string& name) {
    const bool enable = !is_enabled(name);
    // Rebuilt in the table's order, so the panels and legends come out the same whatever the order of toggles.
    std::vector<std::string> enabled;
    for (const IndicatorSpec& spec : known_indicators()) {
        const bool on =
            spec.name == name ? enable : std::find(enabled_.begin(), enabled_.end(), spec.name) != enabled_.end();
        if (on) enabled.emplace_back(spec.name);
    }
    enabled_ = std::move(enabled);
}

bool ChartWidget::is_enabled(const std::string& name) const {
    find_indicator(name);
    return std::find(enabled_.begin(), enabled_.end(), name) != enabled_.end();
}

const Figure& ChartWidget::current_figure() const {
    if (!current_id_) throw Error("the chart has no figure yet: update_chart draws the first one");
    return figures_.figure(*current_id_);
}

void ChartWidget::save_png(const std::filesystem::path& file) const {
    if (!current_id_) throw nothing_drawn(file);
    current_figure().canvas().write_png(file);
}

void ChartWidget::save_svg(const std::filesystem::path& file) const {
    if (!current_id_) throw nothing_drawn(file);
    write_whole_file(file, current_figure().to_svg());
}

ComponentFootprint ChartWidget::footprint() const {
    return {std::string(component_of(StudyIssue::issue_2)), std::string(to_string(StudyIssue::issue_2)),
            retained_bytes(), figure_count()};
}

}  // namespace memsoak::engine
