#include "memsoak/engine/application.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <random>

#include "memsoak/engine/analyzer.hpp"
#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/engine/leak_injector.hpp"
#include "memsoak/engine/log_queue.hpp"
#include "memsoak/engine/market_data.hpp"
#include "memsoak/engine/memory_readout.hpp"
#include "memsoak/engine/signal_history.hpp"
#include "memsoak/engine/status_display.hpp"
#include "memsoak/engine/transactions.hpp"

namespace memsoak::engine {
namespace {

// The status bar's memory read-out refreshes once a virtual minute, as a GUI timer would; reading /proc on every
// event-loop run would cost more than the rest of the loop.
constexpr VirtualDuration kMemoryReadoutPeriod = std::chrono::minutes(1);
constexpr double kFeeRate = 0.001;  // 0.1% taker fee

std::int64_t interval_seconds(const Config& config) {
    return std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(config.candle_interval).count());
}

std::unique_ptr<CandleFeed> make_feed(const Config& config) {
    if (!config.replay_csv.empty()) {
        std::vector<Candle> candles = read_candles_csv(config.replay_csv);
        // Checked here, where the file is known: the feed's own check could not name it.
        if (candles.size() < 2) {
            throw Error(fmt::format("{}: expected at least 2 candle rows to replay, got {}", config.replay_csv.string(),
                                    candles.size()));
        }
        return std::make_unique<ReplayFeed>(std::move(candles));
    }
    // The feed starts one analysis period before the session, so the first analysis has a full window.
    const std::int64_t history_seconds = static_cast<std::int64_t>(config.frame_rows()) * interval_seconds(config);
    return std::make_unique<SyntheticFeed>(config.seed, interval_seconds(config), config.start_price,
                                           config.start_timestamp - history_seconds);
}

// The last `rows` candles, contiguous so the analyzer can take them as a span. Appends are amortised O(1): the
// buffer holds up to twice the window and drops its older half in one move when full.
class CandleWindow {
public:
    explicit CandleWindow(std::size_t rows) : rows_(rows) { candles_.reserve(2 * rows); }

    void push(const Candle& candle) {
        if (candles_.size() == candles_.capacity()) {
            candles_.erase(candles_.begin(), candles_.end() - static_cast<std::ptrdiff_t>(rows_ - 1));
        }
        candles_.push_back(candle);
    }

    std::span<const Candle> recent() const {
        const std::size_t n = std::min(rows_, candles_.size());
        return std::span<const Candle>(candles_).last(n);
    }

    const Candle& last() const { return candles_.back(); }

    ComponentFootprint footprint() const { return {"market_data", "", heap_bytes(candles_), recent().size()}; }

private:
    std::size_t rows_;
    std::vector<Candle> candles_;
};

// What the trader acts on: the latest analysis without its frame.
struct TradeSignal {
    TradeAction action = TradeAction::hold;
    double confidence = 0;
    double price = 0;
    double stop_loss = 0;
    double position_size = 0;
    std::string reasons;
};

// A price or quantity with a fixed number of decimals (at most kMaxFixedDecimals). The log producers format
// 2.8 million of them per virtual day, which made formatting them the largest single cost of a production day.
struct Fixed {
    double value;
    int decimals;
};

constexpr int kMaxFixedDecimals = 9;

// Writes `value` with `decimals` digits after the point into `text` (at least 64 bytes) and returns the end: the
// same characters as std::to_chars(..., std::chars_format::fixed, decimals), which rounds the exact binary value.
// fmt 9's "{:.2f}" is exact too but several times slower; std::to_chars takes ~580 instructions a number, this
// ~130 (callgrind). The fast path rounds value * 10^decimals to an integer and inserts the point. The product is
// off from the exact one by at most half an ulp, which can change the rounding only when the exact product lies
// that close to a half (x.5): then, and for products of 2^52 or more, NaN and infinities, std::to_chars decides.
char* write_fixed(char* text, double value, int decimals) {
    constexpr std::uint64_t kPowersOfTen[kMaxFixedDecimals + 1] = {1,      10,      100,      1000,      10000,
                                                                   100000, 1000000, 10000000, 100000000, 1000000000};
    const std::uint64_t scale = kPowersOfTen[decimals];
    const double scaled = std::abs(value) * static_cast<double>(scale);
    const double whole = std::floor(scaled);
    const double fraction = scaled - whole;                // exact below 2^52
    const double rounding_error_bound = scaled * 0x1p-52;  // twice the product's worst rounding error
    if (!(scaled < 0x1p52) || std::abs(fraction - 0.5) <= rounding_error_bound) {
        return std::to_chars(text, text + 64, value, std::chars_format::fixed, decimals).ptr;
    }
    const std::uint64_t units = static_cast<std::uint64_t>(whole) + (fraction > 0.5 ? 1 : 0);
    char* out = text;
    if (std::signbit(value)) *out++ = '-';  // as to_chars: -0.001 reads "-0.00"
    out = std::to_chars(out, text + 64, units / scale).ptr;
    if (decimals == 0) return out;
    *out++ = '.';
    std::uint64_t digits = units % scale;
    for (int i = decimals - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + digits % 10);
        digits /= 10;
    }
    return out + decimals;
}

}  // namespace
}  // namespace memsoak::engine

// Written as a string_view, so that fmt copies the digits in one block rather than a character at a time.
template <>
struct fmt::formatter<memsoak::engine::Fixed> : fmt::formatter<fmt::string_view> {
    template <typename Context>
    auto format(const memsoak::engine::Fixed& f, Context& ctx) const {
        char text[64];
        const char* end = memsoak::engine::write_fixed(text, f.value, f.decimals);
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(text, static_cast<std::size_t>(end - text)),
                                                        ctx);
    }
};

namespace memsoak::engine {
namespace {

// A log message from a compiled format (parsed at compile time), built in a stack buffer that fmt appends to in
// blocks, then copied into a string of its exact size: one allocation per message.
template <typename Format, typename... Args>
std::string compiled_message(const Format& format, const Args&... args) {
    fmt::memory_buffer buffer;
    fmt::format_to(fmt::appender(buffer), format, args...);
    return std::string(buffer.data(), buffer.size());
}

Fixed price(double value) { return {value, 2}; }
Fixed amount(double value) { return {value, 6}; }

std::string join_reasons(const std::vector<std::string>& reasons, std::size_t at_most) {
    std::string out;
    for (std::size_t i = 0; i < reasons.size() && i < at_most; ++i) {
        if (i > 0) out += " + ";
        out += reasons[i];
    }
    return out.empty() ? "no signal" : out;
}

}  // namespace

struct Application::Impl {
    explicit Impl(Config c)
        : config(std::move(c)),
          feed(make_feed(config)),
          window(config.frame_rows()),
          analyzer(config.frame_rows(), config.risk_per_trade),
          status(config.status_policy, config.status_history_limit),
          chart(figures, config.chart_policy, config.chart_width, config.chart_height, config.chart_indicators),
          transactions(config.transaction_policy,
                       TransactionHistoryOptions{config.transaction_ring_capacity, config.archive_threshold,
                                                 config.archive_keep, config.archive_path}),
          log_queue(config.log_queue_policy, config.log_queue_capacity),
          logger(log_queue),
          log_pane(log_queue, config.gui_drain_rate, config.log_pane_lines),
          signals(config.signal_policy, config.signal_capacity),
          random(config.seed ^ 0x9e3779b97f4a7c15ULL),
          injector(config.injected_leaks) {
        // The session opens with a full analysis period of history, as the original fetched it at start-up.
        for (std::size_t i = 0; i < config.frame_rows(); ++i) window.push(feed->next());
        if (config.saturate) saturate();
        memory_text = format_memory(current_rss_bytes());
    }

    std::int64_t market_time(VirtualTime now) const {
        return config.start_timestamp +
               std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    }

    void draw_chart() {
        // Without an analysis yet the chart shows the raw candles.
        std::shared_ptr<const PriceFrame> frame = latest_frame;
        if (!frame) frame = std::make_shared<const PriceFrame>(PriceFrame::from_candles(window.recent()));
        ChartData data;
        const std::string title = fmt::format("{} {}", config.symbol, format_duration(config.candle_interval));
        data.title = title;
        data.time = frame->time_index();
        data.open = frame->column("open");
        data.high = frame->column("high");
        data.low = frame->column("low");
        data.close = frame->column("close");
        data.volume = frame->column("volume");
        for (std::string_view name : frame->column_names()) data.series.push_back({name, frame->column(name)});
        chart.update_chart(data);
    }

    // A trade on `signal` at the candle's close, as the strategy executes it: updates the position and returns the
    // record with its strings; `log_text` receives the trader's log line.
    Transaction make_trade(const Candle& candle, const TradeSignal& signal, std::int64_t timestamp,
                           std::string* log_text) {
        // On a hold the trader rebalances: it trims a long position, or opens a small one when flat.
        TradeAction side = signal.action;
        if (side == TradeAction::hold) side = position > 0 ? TradeAction::sell : TradeAction::buy;
        const double price = candle.close;
        const double fraction =
            std::clamp(std::isfinite(signal.position_size) ? signal.position_size : 0.01, 0.001, 1.0);
        double quantity = config.capital * fraction / price;
        double pnl = 0;
        if (side == TradeAction::buy) {
            average_entry = (average_entry * position + price * quantity) / (position + quantity);
            position += quantity;
        } else {
            // Sells close what is held; a sell when flat is a short the book does not track, so it closes nothing.
            quantity = position > 0 ? std::min(quantity, position) : quantity;
            if (position > 0) {
                pnl = (price - average_entry) * quantity;
                position -= quantity;
            }
        }
        const std::uint64_t id = next_transaction_id++;
        Transaction t;
        t.id = id;
        t.timestamp = timestamp;
        t.symbol = config.symbol;
        t.side = side;
        t.quantity = quantity;
        t.price = price;
        t.fee = price * quantity * kFeeRate;
        t.pnl = pnl;
        t.order_id = fmt::format("{}-{:010d}-{:08x}", config.symbol, id, static_cast<std::uint32_t>(random()));
        t.strategy = "indicator-vote/sma-macd-rsi-bb-stoch";
        t.note = fmt::format("{}; stop {:.2f}; conf {:.2f}; size {:.2f}% of capital", signal.reasons, signal.stop_loss,
                             signal.confidence, fraction * 100);
        if (log_text) {
            *log_text = fmt::format("executed {} {:.6f} {} at {:.2f} (order {}, fee {:.2f}, pnl {:.2f})",
                                    to_string(side), quantity, config.symbol, price, t.order_id, t.fee, pnl);
        }
        return t;
    }

    static TradeSignal trade_signal(const Analysis& analysis) {
        return TradeSignal{analysis.action,
                           analysis.confidence,
                           analysis.last_price,
                           analysis.risk_metrics.suggested_stop_loss,
                           analysis.risk_metrics.position_size,
                           join_reasons(analysis.signals.reasons, 2)};
    }

    std::string analysis_message(const Analysis& analysis, const TradeSignal& signal) const {
        return fmt::format("{} {} confidence {:.2f} at {:.2f}: {}", config.symbol, to_string(analysis.action),
                           analysis.confidence, analysis.last_price, signal.reasons);
    }

    // One message of the background workers of the original, in turn: the feed, the risk monitor, the order book,
    // the scheduler.
    void log_producer_message(const Candle& c, std::int64_t timestamp) {
        switch (messages_logged++ % 4) {
            case 0:
                logger.log(LogLevel::debug, "market_data",
                           compiled_message(FMT_COMPILE("{} tick o={} h={} l={} c={} v={} (bar {})"), config.symbol,
                                            price(c.open), price(c.high), price(c.low), price(c.close),
                                            amount(c.volume), c.timestamp),
                           timestamp);
                break;
            case 1:
                logger.log(LogLevel::info, "risk",
                           compiled_message(FMT_COMPILE("exposure {} {} at avg {}, mark {}, unrealised {}"),
                                            amount(position), config.symbol, price(average_entry), price(c.close),
                                            price((c.close - average_entry) * position)),
                           timestamp);
                break;
            case 2:
                logger.log(LogLevel::debug, "order_book",
                           compiled_message(FMT_COMPILE("{} spread {} bid {} ask {} depth {}"), config.symbol,
                                            price(c.close * 0.0002), price(c.close * 0.9999), price(c.close * 1.0001),
                                            amount(c.volume * 0.05)),
                           timestamp);
                break;
            default:
                logger.log(LogLevel::info, "scheduler",
                           compiled_message(FMT_COMPILE("heartbeat: {} transactions, {} signals, queue {}"),
                                            transactions.total_recorded(), signals.total_added(), log_queue.size()),
                           timestamp);
                break;
        }
    }

    // Config::saturate: every bounded history full, as after weeks of uptime, with records made by the code that
    // makes them in the running application, from a market that precedes the session (timestamps before its
    // start). Under a leaky policy the same count: the leak grows from there.
    void saturate() {
        const std::int64_t interval = interval_seconds(config);
        const std::int64_t session_start = config.start_timestamp;
        // The study's analysis runs every 15 minutes; at other candle intervals, every 15 candles.
        constexpr std::size_t kCandlesPerAnalysis = 15;
        const std::int64_t analysis_seconds = static_cast<std::int64_t>(kCandlesPerAnalysis) * interval;

        // The status display: its limit of analyses of the opening window. Each is analysed anew, so that a leaky
        // display keeps as many distinct frames as it would have.
        const bool keeps_history =
            config.status_policy == StatusPolicy::bounded_history || config.status_policy == StatusPolicy::leaky;
        const std::size_t status_count = keeps_history ? config.status_history_limit : 1;
        for (std::size_t i = 0; i < status_count; ++i) {
            const std::int64_t when = session_start - static_cast<std::int64_t>(status_count - i) * analysis_seconds;
            status.update(analyzer.analyze(window.recent()), when);
        }

        // Signals and transactions: an analysis every 15 candles of a market before the session's history, a
        // signal recorded from each and a trade on each. Analysing a window of the last 300 candles (enough for
        // sma_200) rather than the full period keeps this fast; a record's size does not depend on the window.
        const std::size_t signal_count = config.signal_capacity;
        const std::size_t trade_count = config.transaction_policy == TransactionPolicy::archive
                                            ? config.archive_threshold  // the most it keeps without archiving
                                            : config.transaction_ring_capacity;
        const std::size_t steps = std::max(signal_count, trade_count);
        const std::size_t past_rows = std::min<std::size_t>(config.frame_rows(), 300);
        const std::int64_t session_history = static_cast<std::int64_t>(config.frame_rows()) * interval;
        const std::int64_t past_start = session_start - session_history -
                                        static_cast<std::int64_t>(steps * kCandlesPerAnalysis + past_rows) * interval;
        SyntheticFeed past(config.seed ^ 0x5a7u, interval, config.start_price, past_start);
        CandleWindow past_window(past_rows);
        for (std::size_t i = 0; i < past_rows; ++i) past_window.push(past.next());
        const Analyzer past_analyzer(past_rows, config.risk_per_trade);
        // The log pane fills from the same steps, as the GUI shows it: the analyzer's and the trader's lines and
        // the producers' messages between them, through the queue (drained every step, so a bounded queue drops
        // nothing). The pane reuses each line's buffer, which keeps the largest capacity any of its lines needed:
        // several rounds through it give it the buffers weeks of lines leave.
        constexpr std::size_t kPaneRounds = 32;
        const std::size_t producer_messages = (kPaneRounds * config.log_pane_lines + steps - 1) / steps;
        for (std::size_t step = 0; step < steps; ++step) {
            for (std::size_t k = 0; k < kCandlesPerAnalysis; ++k) past_window.push(past.next());
            const Candle& candle = past_window.last();
            const Analysis analysis = past_analyzer.analyze(past_window.recent());
            const TradeSignal signal = trade_signal(analysis);
            logger.log(LogLevel::info, "analyzer", analysis_message(analysis, signal), candle.timestamp);
            if (steps - step <= signal_count) signals.add(make_signal_record(analysis));
            if (steps - step <= trade_count) {
                std::string log_text;
                Transaction t = make_trade(candle, signal, candle.timestamp, &log_text);
                logger.log(LogLevel::info, "trader", std::move(log_text), candle.timestamp);
                transactions.add(std::move(t));
            }
            std::size_t queued = 0;
            while (queued < producer_messages) {
                const std::size_t batch =
                    std::min(producer_messages - queued, std::max<std::size_t>(config.log_queue_capacity, 3) - 2);
                for (std::size_t i = 0; i < batch; ++i) log_producer_message(candle, candle.timestamp);
                log_pane.pump(static_cast<double>(batch + 2) / config.gui_drain_rate + 1.0);
                queued += batch;
            }
        }
        // The session's book starts flat, as without saturation: only the histories differ.
        position = 0;
        average_entry = 0;
    }

    Config config;
    std::unique_ptr<CandleFeed> feed;
    CandleWindow window;
    Analyzer analyzer;
    // The frame the chart draws from: the GUI's current data, replaced by each analysis.
    std::shared_ptr<const PriceFrame> latest_frame;
    std::optional<TradeSignal> latest_signal;  // of the latest analysis; the next trade follows it
    StatusDisplay status;
    FigureManager figures;
    ChartWidget chart;
    TransactionHistory transactions;
    LogQueue log_queue;
    Logger logger;
    LogPane log_pane;
    SignalHistory signals;
    std::mt19937_64 random;
    std::optional<VirtualTime> last_pump;
    std::optional<VirtualTime> last_memory_readout;
    std::string memory_text;
    std::uint64_t next_transaction_id = 1;
    std::uint64_t messages_logged = 0;
    double position = 0;       // asset units held
    double average_entry = 0;  // average price of the units held
    // Deliberate leaks outside every component, never in footprint(): each call below feeds it last.
    LeakInjector injector;
};

Application::Application(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Application::~Application() = default;

void Application::on_candle(VirtualTime now) {
    impl_->window.push(impl_->feed->next());
    impl_->injector.on(InjectionTrigger::tick, now);
}

void Application::run_analysis(VirtualTime now) {
    Impl& s = *impl_;
    const std::int64_t timestamp = s.market_time(now);
    Analysis analysis = s.analyzer.analyze(s.window.recent());
    s.status.update(analysis, timestamp);
    s.signals.add(make_signal_record(analysis));
    s.signals.refresh_display();
    s.latest_signal = Impl::trade_signal(analysis);
    s.latest_frame = analysis.price_data;
    s.logger.log(LogLevel::info, "analyzer", s.analysis_message(analysis, *s.latest_signal), timestamp);
    s.injector.on(InjectionTrigger::analyze, now);
}

void Application::refresh_chart(VirtualTime now) {
    impl_->draw_chart();
    impl_->injector.on(InjectionTrigger::refresh_chart, now);
}

void Application::toggle_indicator(const std::string& indicator, VirtualTime now) {
    impl_->chart.toggle_indicator(indicator);
    impl_->draw_chart();
    impl_->injector.on(InjectionTrigger::toggle_indicator, now);
}

void Application::execute_trade(VirtualTime now) {
    Impl& s = *impl_;
    const Candle& candle = s.window.last();
    const TradeSignal signal =
        s.latest_signal.value_or(TradeSignal{TradeAction::hold, 0, candle.close, 0, 0.01, "no signal"});
    std::string log_text;
    Transaction t = s.make_trade(candle, signal, s.market_time(now), &log_text);
    s.logger.log(LogLevel::info, "trader", std::move(log_text), t.timestamp);
    s.transactions.add(std::move(t));
    s.injector.on(InjectionTrigger::trade, now);
}

void Application::log_message(VirtualTime now) {
    Impl& s = *impl_;
    s.log_producer_message(s.window.last(), s.market_time(now));
    s.injector.on(InjectionTrigger::log, now);
}

void Application::pump_gui(VirtualTime now) {
    Impl& s = *impl_;
    if (s.log_pane.frozen()) return;
    const double elapsed = s.last_pump ? to_seconds(now - *s.last_pump) : 0.0;
    s.last_pump = now;
    s.log_pane.pump(elapsed);
    if (!s.last_memory_readout || now - *s.last_memory_readout >= kMemoryReadoutPeriod) {
        s.last_memory_readout = now;
        s.memory_text = format_memory(current_rss_bytes());
    }
    s.injector.on(InjectionTrigger::gui_pump, now);
}

void Application::set_gui_frozen(bool frozen, VirtualTime now) {
    Impl& s = *impl_;
    s.log_pane.set_frozen(frozen);
    // A thawed GUI works at its own pace from now on; it does not drain for the time it was frozen.
    if (!frozen) s.last_pump = now;
}

Footprint Application::footprint() const {
    const Impl& s = *impl_;
    Footprint out;
    out.reserve(8);
    out.push_back(s.status.footprint());
    out.push_back(s.chart.footprint());
    out.push_back(s.transactions.footprint());
    out.push_back(s.log_queue.footprint());
    out.push_back(s.signals.footprint());
    out.push_back(s.window.footprint());
    out.push_back({"analysis", "", s.latest_frame ? s.latest_frame->retained_bytes() : 0, s.latest_frame ? 1u : 0u});
    out.push_back(s.log_pane.footprint());
    // What each policy bounds the items to, so that a component filling up to it can be told from one growing.
    const Config& c = s.config;
    const auto bound = [](bool bounded, std::size_t limit) { return bounded ? std::uint64_t{limit} : 0; };
    out[0].capacity = c.status_policy == StatusPolicy::leaky             ? 0
                      : c.status_policy == StatusPolicy::bounded_history ? c.status_history_limit
                                                                         : 1;
    out[1].capacity = bound(c.chart_policy == ChartPolicy::close_before_redraw, 1);
    out[2].capacity = c.transaction_policy == TransactionPolicy::ring_buffer ? c.transaction_ring_capacity
                      : c.transaction_policy == TransactionPolicy::archive   ? c.archive_threshold
                                                                             : 0;
    out[3].capacity = bound(c.log_queue_policy == LogQueuePolicy::bounded, c.log_queue_capacity);
    out[4].capacity = bound(c.signal_policy == SignalPolicy::capped, c.signal_capacity);
    out[5].capacity = c.frame_rows();
    out[6].capacity = 1;
    out[7].capacity = c.log_pane_lines;
    return out;
}

std::string Application::memory_status_text() const { return impl_->memory_text; }

const Config& Application::config() const { return impl_->config; }

const LeakInjector& Application::leak_injector() const { return impl_->injector; }

void Application::save_chart(const std::filesystem::path& file) const {
    if (file.extension() == ".svg") {
        impl_->chart.save_svg(file);
    } else {
        impl_->chart.save_png(file);
    }
}

}  // namespace memsoak::engine
