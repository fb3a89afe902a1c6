#include "memsoak/harness/result.hpp"

#include "memsoak/harness/target.hpp"

namespace memsoak::harness {

std::optional<std::size_t> SampleSeries::index_of(std::string_view metric) const {
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        if (metrics[i] == metric) return i;
    }
    return std::nullopt;
}

std::string_view to_string(Layer layer) {
    switch (layer) {
        case Layer::os: return "os";
        case Layer::allocator: return "allocator";
        case Layer::engine: return "engine";
    }
    return "unknown";
}

std::string_view to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass: return "pass";
        case Verdict::fail: return "fail";
        case Verdict::not_measured: return "not_measured";
    }
    return "unknown";
}

std::string_view to_string(LimitKind kind) {
    switch (kind) {
        case LimitKind::peak: return "peak";
        case LimitKind::growth: return "growth";
        case LimitKind::items: return "items";
    }
    return "unknown";
}

std::string_view to_string(ActionKind kind) {
    switch (kind) {
        case ActionKind::tick: return "tick";
        case ActionKind::analyze: return "analyze";
        case ActionKind::refresh_chart: return "refresh_chart";
        case ActionKind::toggle_indicator: return "toggle_indicator";
        case ActionKind::trade: return "trade";
        case ActionKind::log: return "log";
        case ActionKind::gui_pump: return "gui_pump";
        case ActionKind::gui_freeze: return "gui_freeze";
        case ActionKind::gui_thaw: return "gui_thaw";
    }
    return "unknown";
}

}  // namespace memsoak::harness
