#include "memsoak/harness/soak/engine_target.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "memsoak/engine/application.hpp"
#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

class EngineTarget final : public Target {
public:
    explicit EngineTarget(const engine::Config& config) : app_(config) {}

    void apply(const Action& action, engine::VirtualTime now) override {
        switch (action.kind) {
            case ActionKind::tick: app_.on_candle(now); break;
            case ActionKind::analyze: app_.run_analysis(now); break;
            case ActionKind::refresh_chart: app_.refresh_chart(now); break;
            case ActionKind::toggle_indicator: app_.toggle_indicator(action.argument, now); break;
            case ActionKind::trade: app_.execute_trade(now); break;
            case ActionKind::log: app_.log_message(now); break;
            case ActionKind::gui_pump: app_.pump_gui(now); break;
            case ActionKind::gui_freeze: app_.set_gui_frozen(true, now); break;
            case ActionKind::gui_thaw: app_.set_gui_frozen(false, now); break;
        }
    }

    engine::Footprint footprint() const override { return app_.footprint(); }

private:
    engine::Application app_;
};

}  // namespace

void check_leak_names(const std::vector<std::string>& leaks) {
    for (const std::string& issue : leaks) {
        if (!engine::parse_study_issue(issue)) {
            throw Error(fmt::format("--leak {}: expected one of {}", issue, fmt::join(engine::study_issues(), ", ")));
        }
    }
}

engine::Config engine_config_for_run(const nlohmann::json& engine_object, const std::string& scenario_file,
                                     const std::filesystem::path& base_folder, std::uint64_t seed,
                                     const std::vector<std::string>& leaks) {
    engine::Config config = engine::config_from_json(engine_object, scenario_file);
    if (!engine_object.contains("seed")) config.seed = seed;
    if (!config.replay_csv.empty() && config.replay_csv.is_relative())
        config.replay_csv = base_folder / config.replay_csv;
    check_leak_names(leaks);
    for (const std::string& issue : leaks) engine::make_leaky(config, *engine::parse_study_issue(issue));
    return config;
}

namespace {

constexpr std::string_view kInjectionSyntax =
    "ACTION:SHAPE:BYTES[:CAPACITY][@UNTIL], e.g. toggle_indicator:per_call:48KiB or log:bounded:256:5MiB@35m";

// A size of whole bytes, > 0. The field is named BYTES: a bare whole number is bytes here (and the canonical form
// writes it so), where a scenario's or a ledger's size needs its unit.
std::size_t injection_size(std::string_view text, std::string_view what) {
    double bytes = 0;
    const bool digits_only =
        !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos && text.size() <= 15;
    try {
        bytes = digits_only ? static_cast<double>(std::stoull(std::string(text))) : parse_size(text);
    } catch (const Error& e) {
        throw Error(fmt::format("{}: {}", what, e.what()));
    }
    if (!(bytes >= 1) || bytes != std::floor(bytes) || bytes > 0x1p52) {
        throw Error(fmt::format("{}: expected a positive whole number of bytes, got \"{}\"", what, text));
    }
    return static_cast<std::size_t>(bytes);
}

}  // namespace

engine::InjectedLeak parse_injection(std::string_view text) {
    try {
        engine::InjectedLeak leak;
        std::string_view rest = text;
        if (const std::size_t at = rest.find('@'); at != std::string_view::npos) {
            const std::string until(rest.substr(at + 1));
            rest = rest.substr(0, at);
            try {
                leak.until = engine::parse_duration(until);
            } catch (const engine::Error& e) {
                throw Error(fmt::format("UNTIL: {}", e.what()));
            }
            if (leak.until->count() <= 0)
                throw Error(fmt::format("UNTIL: expected a positive duration, got \"{}\"", until));
        }
        std::vector<std::string_view> parts;
        for (std::size_t colon; (colon = rest.find(':')) != std::string_view::npos; rest.remove_prefix(colon + 1)) {
            parts.push_back(rest.substr(0, colon));
        }
        parts.push_back(rest);
        if (parts.size() < 3 || parts.size() > 4) {
            throw Error(fmt::format("expected {}", kInjectionSyntax));
        }
        try {
            leak.action = engine::parse_injection_trigger(parts[0]);
        } catch (const engine::Error& e) {
            throw Error(fmt::format("ACTION: {}", e.what()));
        }
        try {
            leak.shape = engine::parse_leak_shape(parts[1]);
        } catch (const engine::Error& e) {
            throw Error(fmt::format("SHAPE: {}", e.what()));
        }
        leak.bytes = injection_size(parts[2], "BYTES");
        if (leak.shape == engine::LeakShape::bounded && parts.size() != 4) {
            throw Error("CAPACITY: required by shape bounded (ACTION:bounded:BYTES:CAPACITY)");
        }
        if (leak.shape != engine::LeakShape::bounded && parts.size() == 4) {
            throw Error(
                fmt::format("CAPACITY: only shape bounded takes one, got \"{}\" for shape {}", parts[3], parts[1]));
        }
        if (parts.size() == 4) leak.capacity = injection_size(parts[3], "CAPACITY");
        engine::check_injected_leak(leak);
        return leak;
    } catch (const Error& e) {
        throw Error(fmt::format("--inject {}: {}", text, e.what()));
    }
}

std::vector<std::string> apply_injections(engine::Config& config, const std::vector<std::string>& injections) {
    std::vector<std::string> canonical;
    for (const std::string& text : injections) {
        config.injected_leaks.push_back(parse_injection(text));
        canonical.push_back(engine::to_string(config.injected_leaks.back()));
    }
    return canonical;
}

void check_workload_for_engine(const Scenario& scenario) {
    for (const WorkloadItem& item : scenario.workload) {
        if (item.action.kind != ActionKind::toggle_indicator) continue;
        try {
            engine::find_indicator(item.action.argument);
        } catch (const engine::Error& e) {
            throw Error(fmt::format("{}.indicator: {}", item.source, e.what()));
        }
    }
}

std::unique_ptr<Target> make_engine_target(const engine::Config& config) {
    return std::make_unique<EngineTarget>(config);
}

}  // namespace memsoak::harness
