#include "memsoak/harness/result.hpp"

#include "memsoak/harness/target.hpp"

namespace memsoak::harness {

std::optional<std::size_t> SampleSeries::index_of(std::string_view metric) const {
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        if (metrics[i] == metric) return i;
    }
    return std::nullopt;
}

#define MEMSOAK_STRING_CASE(Enum, name) \
    case Enum::name:                    \
        return #name;
#define MEMSOAK_PARSE_CASE(Enum, name) \
    if (text == #name) return Enum::name;

std::string_view to_string(Layer layer) {
#define MEMSOAK_CASE(name) MEMSOAK_STRING_CASE(Layer, name)
    switch (layer) { MEMSOAK_LAYERS(MEMSOAK_CASE) }
#undef MEMSOAK_CASE
    return "unknown";
}

std::string_view to_string(Verdict verdict) {
#define MEMSOAK_CASE(name) MEMSOAK_STRING_CASE(Verdict, name)
    switch (verdict) { MEMSOAK_VERDICTS(MEMSOAK_CASE) }
#undef MEMSOAK_CASE
    return "unknown";
}

std::string_view to_string(LimitKind kind) {
#define MEMSOAK_CASE(name) MEMSOAK_STRING_CASE(LimitKind, name)
    switch (kind) { MEMSOAK_LIMIT_KINDS(MEMSOAK_CASE) }
#undef MEMSOAK_CASE
    return "unknown";
}

std::optional<Layer> parse_layer(std::string_view text) {
#define MEMSOAK_CASE(name) MEMSOAK_PARSE_CASE(Layer, name)
    MEMSOAK_LAYERS(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    return std::nullopt;
}

std::optional<Verdict> parse_verdict(std::string_view text) {
#define MEMSOAK_CASE(name) MEMSOAK_PARSE_CASE(Verdict, name)
    MEMSOAK_VERDICTS(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    return std::nullopt;
}

std::optional<LimitKind> parse_limit_kind(std::string_view text) {
#define MEMSOAK_CASE(name) MEMSOAK_PARSE_CASE(LimitKind, name)
    MEMSOAK_LIMIT_KINDS(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    return std::nullopt;
}

std::string layer_names() {
    const std::vector<std::string_view> names{
#define MEMSOAK_CASE(name) #name,
        MEMSOAK_LAYERS(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    };
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ");
        out += names[i];
    }
    return out;
}

std::optional<Layer> layer_of_metric(std::string_view metric) {
    const std::size_t dot = metric.find('.');
    if (dot == std::string_view::npos || dot + 1 == metric.size()) return std::nullopt;
    return parse_layer(metric.substr(0, dot));
}

bool is_process_metric(std::string_view metric) {
    const std::optional<Layer> layer = layer_of_metric(metric);
    return layer == Layer::os || layer == Layer::allocator;
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
