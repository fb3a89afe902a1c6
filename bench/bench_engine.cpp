// The engine's hot paths at production settings (1-minute candles, a 7-day window: 10080 rows, a 900x500 chart):
// one call each, timed by Google Benchmark. Linked with mimalloc, the allocator memsoak soaks with.
//
// Per day of the production-day scenario the engine runs 1440 ticks, 96 analyses, 104 chart redraws (96 refreshes,
// 8 indicator toggles), 864 000 log messages and 86 400 GUI pumps: docs/performance.md multiplies these counts by
// the per-call figures below to show where a day's time goes.

#include <benchmark/benchmark.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "memsoak/engine/analyzer.hpp"
#include "memsoak/engine/application.hpp"
#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/config.hpp"
#include "memsoak/engine/indicators.hpp"
#include "memsoak/engine/log_queue.hpp"
#include "memsoak/engine/market_data.hpp"
#include "memsoak/engine/price_frame.hpp"

namespace memsoak::engine {
namespace {

// The production window: the rows of one analysis frame at the default configuration.
const std::vector<Candle>& production_candles() {
    static const std::vector<Candle> candles = [] {
        const Config config;
        SyntheticFeed feed(config.seed, /*interval_seconds=*/60, config.start_price, config.start_timestamp);
        std::vector<Candle> out(config.frame_rows());
        for (Candle& candle : out) candle = feed.next();
        return out;
    }();
    return candles;
}

// The latest analysis frame, as the chart draws it.
const PriceFrame& production_frame() {
    static const Analysis analysis = Analyzer(production_candles().size()).analyze(production_candles());
    return *analysis.price_data;
}

// The views Application::draw_chart hands the chart widget: the candles and every column of the frame.
ChartData chart_data(const PriceFrame& frame) {
    ChartData data;
    data.title = "BTCUSDT 1m";
    data.time = frame.time_index();
    data.open = frame.column("open");
    data.high = frame.column("high");
    data.low = frame.column("low");
    data.close = frame.column("close");
    data.volume = frame.column("volume");
    for (std::string_view name : frame.column_names()) data.series.push_back({name, frame.column(name)});
    return data;
}

// Arg 0: the overlays enabled at start (sma_20, sma_50, bollinger). Arg 1: every indicator the chart can draw,
// three oscillator panels included.
std::vector<std::string> chart_indicators(std::int64_t which) {
    if (which == 0) return Config().chart_indicators;
    std::vector<std::string> all;
    for (const IndicatorSpec& spec : known_indicators()) all.emplace_back(spec.name);
    return all;
}

void set_rows_counter(benchmark::State& state, std::size_t rows) {
    state.counters["rows"] = static_cast<double>(rows);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}

// compute_indicators alone: the 24 indicator columns added to a fresh OHLCV frame (building the frame is untimed).
void BM_ComputeIndicators(benchmark::State& state) {
    const std::vector<Candle>& candles = production_candles();
    std::optional<PriceFrame> frame;
    for (auto _ : state) {
        state.PauseTiming();
        frame.reset();
        frame.emplace(PriceFrame::from_candles(candles));
        state.ResumeTiming();
        compute_indicators(*frame);
        benchmark::DoNotOptimize(frame->column("volatility_20").back());
    }
    set_rows_counter(state, candles.size());
}
BENCHMARK(BM_ComputeIndicators)->Unit(benchmark::kMillisecond);

// One analysis as the application runs it every 15 virtual minutes: a new 2.4 MB frame, the indicators, the votes
// and the risk metrics, and the frame freed again when nothing keeps the analysis.
void BM_Analyze(benchmark::State& state) {
    const std::vector<Candle>& candles = production_candles();
    const Analyzer analyzer(candles.size());
    for (auto _ : state) {
        Analysis analysis = analyzer.analyze(candles);
        benchmark::DoNotOptimize(analysis.confidence);
    }
    set_rows_counter(state, candles.size());
}
BENCHMARK(BM_Analyze)->Unit(benchmark::kMillisecond);

// One redraw: a new figure (the previous one closed first, the fixed policy), the artists' copies of the data, the
// layout and the rasterization of 10080 candles into 900x500 pixels.
void BM_UpdateChart(benchmark::State& state) {
    const ChartData data = chart_data(production_frame());
    FigureManager figures;
    ChartWidget chart(figures, ChartPolicy::close_before_redraw, 900, 500, chart_indicators(state.range(0)));
    for (auto _ : state) {
        chart.update_chart(data);
        benchmark::DoNotOptimize(chart.current_figure().canvas().pixel(0, 0));
    }
    set_rows_counter(state, data.time.size());
}
BENCHMARK(BM_UpdateChart)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The rasterization alone, of a figure already plotted: what a redraw costs beyond copying and laying out.
void BM_RenderFigure(benchmark::State& state) {
    const ChartData data = chart_data(production_frame());
    const std::vector<std::string> indicators = chart_indicators(state.range(0));
    Figure figure(900, 500);
    figure.plot(data, indicators);
    for (auto _ : state) {
        figure.render();
        benchmark::DoNotOptimize(figure.canvas().pixel(0, 0));
    }
    set_rows_counter(state, data.time.size());
}
BENCHMARK(BM_RenderFigure)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// A record of the size the application logs (~90-character messages from a producer with a short name).
LogRecord sample_record() {
    return LogRecord{1609459200, LogLevel::info, "market_data",
                     "BTCUSDT tick o=30012.25 h=30020.50 l=30001.00 c=30015.75 v=12.345678 (bar 1609459140)"};
}

constexpr std::int64_t kMessagesPerBatch = 100;

// Per message: a record (its strings copied, as Logger::log builds it) pushed onto the bounded queue, then drained
// in batches of 100, as the GUI pumps 10 messages a second at the production rate.
void BM_LogQueuePushDrain(benchmark::State& state) {
    const LogRecord record = sample_record();
    LogQueue queue(LogQueuePolicy::bounded, 1000);
    std::vector<LogRecord> drained;
    drained.reserve(kMessagesPerBatch);
    for (auto _ : state) {
        for (std::int64_t i = 0; i < kMessagesPerBatch; ++i) queue.push(record);
        queue.drain(kMessagesPerBatch, drained);
        drained.clear();
    }
    state.SetItemsProcessed(state.iterations() * kMessagesPerBatch);
}
BENCHMARK(BM_LogQueuePushDrain);

// Per message: the log pane drains the queue and formats each record into one of its last 1000 lines (the queue
// is refilled untimed).
void BM_LogPanePump(benchmark::State& state) {
    const LogRecord record = sample_record();
    LogQueue queue(LogQueuePolicy::bounded, 1000);
    LogPane pane(queue, /*drain_rate_per_second=*/static_cast<double>(kMessagesPerBatch), 1000);
    for (auto _ : state) {
        state.PauseTiming();
        for (std::int64_t i = 0; i < kMessagesPerBatch; ++i) queue.push(record);
        state.ResumeTiming();
        benchmark::DoNotOptimize(pane.pump(1.0));
    }
    state.SetItemsProcessed(state.iterations() * kMessagesPerBatch);
}
BENCHMARK(BM_LogPanePump);

// The application's log producers end to end, per message: formatting the text (prices, amounts, counters) and
// pushing it onto the queue. 864 000 times per production day.
void BM_ApplicationLogMessage(benchmark::State& state) {
    Application app{Config{}};
    VirtualTime now{};
    for (auto _ : state) {
        now += std::chrono::milliseconds(100);
        app.log_message(now);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplicationLogMessage);

// One GUI pump at the production rate: 10 messages logged in the virtual second before it (untimed) are drained
// into the log pane. 86 400 times per production day.
void BM_ApplicationPumpGui(benchmark::State& state) {
    constexpr int kMessagesPerSecond = 10;
    Application app{Config{}};
    VirtualTime now{};
    app.pump_gui(now);
    for (auto _ : state) {
        state.PauseTiming();
        for (int i = 0; i < kMessagesPerSecond; ++i) app.log_message(now);
        now += std::chrono::seconds(1);
        state.ResumeTiming();
        app.pump_gui(now);
    }
    state.SetItemsProcessed(state.iterations() * kMessagesPerSecond);
}
BENCHMARK(BM_ApplicationPumpGui);

// The periodic analysis as the application runs it: analyze() plus the status display, the signal history, the
// trade signal and a log message.
void BM_ApplicationRunAnalysis(benchmark::State& state) {
    Application app{Config{}};
    VirtualTime now{};
    for (auto _ : state) {
        now += std::chrono::minutes(15);
        app.run_analysis(now);
    }
}
BENCHMARK(BM_ApplicationRunAnalysis)->Unit(benchmark::kMillisecond);

// A chart refresh as the application runs it, from the latest analysis frame.
void BM_ApplicationRefreshChart(benchmark::State& state) {
    Application app{Config{}};
    VirtualTime now{};
    app.run_analysis(now);
    for (auto _ : state) {
        now += std::chrono::minutes(15);
        app.refresh_chart(now);
    }
}
BENCHMARK(BM_ApplicationRefreshChart)->Unit(benchmark::kMillisecond);

// A new candle: the window moves on by one (1440 times a day).
void BM_ApplicationTick(benchmark::State& state) {
    Application app{Config{}};
    VirtualTime now{};
    for (auto _ : state) {
        now += std::chrono::minutes(1);
        app.on_candle(now);
    }
}
BENCHMARK(BM_ApplicationTick);

}  // namespace
}  // namespace memsoak::engine

BENCHMARK_MAIN();
