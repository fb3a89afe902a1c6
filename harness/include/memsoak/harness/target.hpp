#pragma once
// The narrow interface through which the harness drives an application: apply an action at a virtual time,
// report a footprint. The engine does not know this interface; an adapter (engine_target.hpp) implements it.

#include <string>

#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/time.hpp"

namespace memsoak::harness {

enum class ActionKind {
    tick,              // a new candle arrives from the market data feed
    analyze,           // the periodic analysis (indicators, signals, status display)
    refresh_chart,     // the user clicks refresh: the chart is redrawn
    toggle_indicator,  // the user toggles an indicator overlay: the chart is redrawn
    trade,             // a trade is executed and recorded in the transaction history
    log,               // a producer logs one message
    gui_pump,          // the GUI event loop runs: the log pane drains the queue
    gui_freeze,        // the GUI stops processing events
    gui_thaw,          // the GUI processes events again
};

struct Action {
    ActionKind kind = ActionKind::tick;
    std::string argument;  // the indicator name for toggle_indicator; empty otherwise
};

class Target {
public:
    virtual ~Target() = default;
    virtual void apply(const Action& action, engine::VirtualTime now) = 0;
    virtual engine::Footprint footprint() const = 0;
};

std::string_view to_string(ActionKind kind);

}  // namespace memsoak::harness
