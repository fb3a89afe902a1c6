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

struct WorkloadItem {
    Action action;
    Timing timing = Timing::every;
    VirtualDuration every{};
    VirtualDuration offset{};
    std::vector<VirtualTime> at;
    double rate_per_second = 0;
    VirtualTime from{};                 // window start (default: the start of the run)
    std::optional<VirtualTime> until;   // window end, exclusive (default: the end of the run)
    std::optional<std::uint64_t> count; // at most this many firings
    std::optional<VirtualDuration> hold;  // gui_freeze only: the GUI thaws this long after each freeze
    std::string source;                   // e.g. "scenarios/day.json: $.workload[3]"
};

struct Scenario {
    int schema_version = 1;
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

inline constexpr int kScenarioSchemaVersion = 1;

// The longest cycle of the workload's periodic actions that run to the end of the scenario: an action's period,
// twice that for toggle_indicator (an overlay is on for one period and off for the next). Zero when none.
VirtualDuration workload_cycle(const Scenario& scenario);

// Throws harness::Error naming the file, the JSON path and what was expected.
Scenario load_scenario(const std::filesystem::path& file);
Scenario parse_scenario(const nlohmann::json& document, const std::string& file);

// Checked reading of versioned JSON input files, shared by the scenario and ledger readers. Each function throws
// harness::Error whose message starts with the file and the JSON path ("$", "$.workload[2].every").
namespace json_input {

// Parses a whole document read from `source`. Any error, a number beyond a double's range included, gives
// "<source>:<line>:<column>: invalid JSON: <reason>" with 1-based line and column (the column counts bytes).
nlohmann::json parse_text(const std::string& text, const std::string& source);

// Reads and parses a whole file (parse_text); an unreadable file gives "<file>: cannot open file: <reason>", a
// folder "<folder>: expected a JSON file, got a folder".
nlohmann::json read_file(const std::filesystem::path& file);

// "<file>: <path>: expected <expected>, got <value as compact JSON>".
[[noreturn]] void fail(const std::string& file, std::string_view path, std::string_view expected,
                       const nlohmann::json& got);

// Requires an object (`expected` describes it, e.g. "a scenario object") whose fields are all in `known`, so that
// a misspelt field is reported, not ignored: "<file>: <path>.<field>: unknown field; expected one of a, b, c".
void check_object(const nlohmann::json& value, std::initializer_list<std::string_view> known,
                  std::string_view expected, const std::string& file, std::string_view path);

// The field's value; when absent, "<file>: <path>.<field>: missing; expected <expected>".
const nlohmann::json& require(const nlohmann::json& object, std::string_view field, std::string_view expected,
                              const std::string& file, std::string_view path);

// Whether `name` is non-empty and only lowercase letters, digits, '-' and '_', so that it can name a file.
bool is_plain_name(std::string_view name);

// Requires $.schema_version to be `supported`, the only version this build reads.
void check_schema_version(const nlohmann::json& document, int supported, const std::string& file);

}  // namespace json_input

}  // namespace memsoak::harness
