#pragma once
// A scenario file: a scripted soak of the application in virtual time (docs/scenarios.md).

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "memsoak/engine/json_input.hpp"
#include "memsoak/engine/time.hpp"
#include "memsoak/harness/target.hpp"

namespace memsoak::harness {

using engine::VirtualDuration;
using engine::VirtualTime;

// When a workload item fires. Exactly one of every / at / rate is set in the file.
enum class Timing {
    every,  // periodically: first at `from` + `offset`, then every `every`
    at,     // once at each listed time
    rate,   // random (Poisson) arrivals at `rate_per_second`, seeded from the scenario's seed
};

inline constexpr int kScenarioSchemaVersion = 1;

struct WorkloadItem {
    Action action;
    Timing timing = Timing::every;
    VirtualDuration every{};
    VirtualDuration offset{};
    std::vector<VirtualTime> at;
    double rate_per_second = 0;
    VirtualTime from{};                   // window start (default: the start of the run)
    std::optional<VirtualTime> until;     // window end, exclusive (default: the end of the run)
    std::optional<std::uint64_t> count;   // at most this many firings
    std::optional<VirtualDuration> hold;  // gui_freeze only: the GUI thaws this long after each freeze
    std::string source;                   // e.g. "scenarios/day.json: $.workload[3]"
};

struct Scenario {
    int schema_version = kScenarioSchemaVersion;
    std::string file;  // as given on the command line, for messages and reports
    std::string name;
    std::string description;
    VirtualDuration duration{};
    std::uint64_t seed = 1;
    VirtualDuration sample_interval{};
    VirtualDuration warmup{};
    VirtualDuration purge_interval{};  // allocator checkpoint cadence; zero: never purge
    nlohmann::json engine;             // the engine configuration object, read by engine::config_from_json
    std::vector<WorkloadItem> workload;
    std::vector<std::string> budgets;  // budget names in the ledger
    std::string fingerprint;           // of the file's content but its seed and description (calibration.hpp)
};

// The longest cycle of the workload's periodic actions that run to the end of the scenario: an action's period,
// twice that for toggle_indicator (an overlay is on for one period and off for the next). Zero when none.
VirtualDuration workload_cycle(const Scenario& scenario);

// Throws harness::Error naming the file, the JSON path and what was expected.
Scenario load_scenario(const std::filesystem::path& file);
Scenario parse_scenario(const nlohmann::json& document, const std::string& file);

// The JSON-reading toolkit the harness's readers share (engine/json_input.hpp): errors name the file, line and
// column, and the JSON path.
namespace json_input = engine::json_input;

}  // namespace memsoak::harness
