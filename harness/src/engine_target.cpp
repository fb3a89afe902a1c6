#include "memsoak/harness/engine_target.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "memsoak/engine/application.hpp"
#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/harness/error.hpp"

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
        if (issue != "issue-1" && issue != "issue-2" && issue != "issue-3" && issue != "issue-4" && issue != "issue-5") {
            throw Error(fmt::format("--leak {}: expected one of issue-1, issue-2, issue-3, issue-4, issue-5", issue));
        }
    }
}

engine::Config engine_config_for_run(const nlohmann::json& engine_object, const std::string& where,
                                     const std::filesystem::path& base_folder, std::uint64_t seed,
                                     const std::vector<std::string>& leaks) {
    engine::Config config;
    try {
        config = engine::config_from_json(engine_object, where);
    } catch (const engine::Error& e) {
        throw Error(e.what());
    }
    if (!engine_object.contains("seed")) config.seed = seed;
    if (!config.replay_csv.empty() && config.replay_csv.is_relative()) config.replay_csv = base_folder / config.replay_csv;
    check_leak_names(leaks);
    for (const std::string& issue : leaks) {
        if (issue == "issue-1") config.status_policy = engine::StatusPolicy::leaky;
        else if (issue == "issue-2") config.chart_policy = engine::ChartPolicy::leaky;
        else if (issue == "issue-3") config.transaction_policy = engine::TransactionPolicy::leaky;
        else if (issue == "issue-4") config.log_queue_policy = engine::LogQueuePolicy::leaky;
        else if (issue == "issue-5") config.signal_policy = engine::SignalPolicy::leaky;
    }
    return config;
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
