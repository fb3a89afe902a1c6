#pragma once
// One configuration for the whole application, loadable from JSON (docs/engine.md lists every field).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "memsoak/engine/leak_injector.hpp"
#include "memsoak/engine/policies.hpp"
#include "memsoak/engine/time.hpp"

namespace memsoak::engine {

struct Config {
    // Market data: a seeded synthetic feed, or replay of a CSV file when replay_csv is set.
    std::string symbol = "BTCUSDT";
    VirtualDuration candle_interval = std::chrono::minutes(1);
    VirtualDuration analysis_period = std::chrono::hours(24 * 7);  // rows per frame = period / interval
    std::uint64_t seed = 1;
    std::filesystem::path replay_csv;
    double start_price = 30000.0;
    std::int64_t start_timestamp = 1609459200;  // 2021-01-01T00:00:00Z, the shared data's first candle

    // Chart widget (issue-2): canvas size in pixels and the overlays enabled at start.
    int chart_width = 900;
    int chart_height = 500;
    std::vector<std::string> chart_indicators{"sma_20", "sma_50", "bollinger"};

    // Leak-site policies; each default is the study's recommended fix.
    StatusPolicy status_policy = StatusPolicy::summary;
    std::size_t status_history_limit = 10;
    ChartPolicy chart_policy = ChartPolicy::close_before_redraw;
    TransactionPolicy transaction_policy = TransactionPolicy::ring_buffer;
    std::size_t transaction_ring_capacity = 1000;
    std::size_t archive_threshold = 500;
    std::size_t archive_keep = 100;
    std::filesystem::path archive_path;  // required by the archive policy
    LogQueuePolicy log_queue_policy = LogQueuePolicy::bounded;
    std::size_t log_queue_capacity = 1000;
    double gui_drain_rate = 100.0;  // log messages the GUI consumer shows per virtual second
    std::size_t log_pane_lines = 1000;
    SignalPolicy signal_policy = SignalPolicy::capped;
    std::size_t signal_capacity = 500;

    // Trading: the size of one order, as a fraction of the notional capital.
    double capital = 100000.0;
    double risk_per_trade = 0.01;

    // Start as after weeks of uptime: every bounded history (status, signals, transactions, log pane) pre-filled
    // to its capacity with records from before the session (docs/engine.md, "Saturated start").
    bool saturate = false;

    // Deliberate leaks outside the study's components (leak_injector.hpp), for checking that a leak nobody named
    // is caught. None by default.
    std::vector<InjectedLeak> injected_leaks;

    std::size_t frame_rows() const;
};

// Reads the fields present in `object` over the defaults. Unknown fields and wrong types throw engine::Error
// naming `file` and the field's JSON path under `path` (json_input.hpp): "day.json: $.engine.chart_width:
// expected at most 8192 pixels, got 9000".
Config config_from_json(const nlohmann::json& object, const std::string& file, std::string_view path = "$.engine");
nlohmann::json to_json(const Config& config);
// Switches the issue's component back to the study's leaky behaviour.
void make_leaky(Config& config, StudyIssue issue);

}  // namespace memsoak::engine
