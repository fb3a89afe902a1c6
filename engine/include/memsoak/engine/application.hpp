#pragma once
// The trading application of the leak study, wired as the study describes it: a market data feed, the periodic
// analysis, the status display (issue #1), the chart widget (issue #2), the transaction history (issue #3), the log
// queue feeding the GUI's log pane (issue #4), the signal history (issue #5) and the memory read-out.
//
// Time is handed in by the caller; nothing here reads a clock or sleeps. All calls come from one thread (the GUI
// thread of the original); the log queue alone is thread-safe, since the original's producers run on workers.

#include <memory>
#include <string>

#include "memsoak/engine/config.hpp"
#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/leak_injector.hpp"
#include "memsoak/engine/time.hpp"

namespace memsoak::engine {

class Application {
public:
    explicit Application(Config config);
    ~Application();
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    // A new candle arrives from the feed; the rolling window of analysis_period candles moves on by one.
    void on_candle(VirtualTime now);
    // The periodic analysis: a new frame with every indicator, a signal, the status display and signal history.
    void run_analysis(VirtualTime now);
    // The user clicks refresh: the chart is redrawn from the latest analysis frame.
    void refresh_chart(VirtualTime now);
    // The user toggles an indicator overlay; the chart redraws. Throws engine::Error for an unknown indicator.
    void toggle_indicator(const std::string& indicator, VirtualTime now);
    // The strategy executes a trade on the latest signal and records it in the transaction history.
    void execute_trade(VirtualTime now);
    // A background producer (market data, analyzer, trader, risk) logs one message to the GUI's queue.
    void log_message(VirtualTime now);
    // The GUI event loop runs: the log pane drains the queue at its rate for the time since its last run.
    void pump_gui(VirtualTime now);
    // A frozen GUI runs no events, so nothing drains the log queue until it thaws.
    void set_gui_frozen(bool frozen, VirtualTime now);

    // What every component retains now, measured from its containers.
    Footprint footprint() const;
    // The status-bar read-out the study recommends: "Memory: 43.2 MB".
    std::string memory_status_text() const;
    const Config& config() const;
    // The deliberate leaks of Config::injected_leaks, which footprint() leaves out (leak_injector.hpp).
    const LeakInjector& leak_injector() const;

    // Writes the current chart as PNG or SVG (by extension) so a person can look at it.
    void save_chart(const std::filesystem::path& file) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace memsoak::engine
