#pragma once
// Detection power of the whole-process budget (`memsoak selftest --power`): the smallest untracked leak each
// scenario catches. For each scenario, leak shape and action the scenario runs to its end, a leak of
// `ACTION:SHAPE:BYTES` is injected at rising rates over several seeds; a seed is caught when its run fails a limit
// on a whole-process metric (os.* or allocator.*). A bounded fill (a cache that fills once, 8 MiB, by a quarter of
// the run) must pass. Every run is a child `memsoak run` (run_suite_parallel).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "memsoak/engine/leak_injector.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

// Every power run stops once its resident set passes this: far above the process budget's 50 MiB peak, so a run
// stopped here has already failed it, and a one-page-per-call mmap leak into a 10-a-second action cannot take
// gigabytes of a shared machine.
constexpr const char* kPowerMaxRss = "512 MiB";

// An action a leak can be injected into, with how often the scenario runs it.
struct PowerAction {
    std::string action;         // "tick", "toggle_indicator", ...
    double calls_per_hour = 0;  // every: 1/every; rate: events per hour; summed over the action's items
};

// The actions of `scenario` that run periodically or by rate until its end (items with `until` or `count` and
// one-off `at` items are ignored; gui_freeze is never injected), in workload order.
std::vector<PowerAction> power_actions(const Scenario& scenario);

// Bytes per call for a leak of `rate_per_hour` into an action run `calls_per_hour` times: max(1, round(rate /
// calls)), for mmap rounded up to whole pages of 4096 bytes.
std::size_t power_bytes_per_call(double rate_per_hour, double calls_per_hour, engine::LeakShape shape);

// Bytes per tick of a bounded fill of `capacity` that completes by a quarter of the run: capacity / the ticks in
// the first quarter, rounded up. nullopt when the scenario has no tick running to its end.
std::optional<std::size_t> fill_bytes_per_tick(const Scenario& scenario, std::size_t capacity);

// Whether a run failed a limit on a whole-process metric (its metric starts with "os." or "allocator.").
bool failed_whole_process_limit(const RunResult& result);

inline constexpr std::size_t kPowerFillCapacity = 8u << 20;  // 8 MiB

struct PowerOptions {
    std::filesystem::path executable;
    std::filesystem::path work_dir;
    std::vector<std::filesystem::path> scenarios;
    std::vector<engine::LeakShape> shapes;
    std::vector<double> rates;         // requested bytes per hour, ascending
    std::vector<std::string> actions;  // only these actions; empty: every injectable one
    std::vector<std::uint64_t> seeds;
    std::vector<std::string> run_args;  // extra arguments for every child
    std::size_t parallel = 2;
    std::size_t fill_capacity = kPowerFillCapacity;
    bool keep_reports = false;  // else each child's report is removed once read
    std::function<RunResult(const std::filesystem::path&)> load_report;
    // After each group of seeds: one line for people ("production-day per_call tick 1.0 KiB/h: 0/20 caught").
    std::function<void(const std::string& line)> on_step;
};

struct PowerRate {
    double requested_per_hour = 0;
    std::size_t bytes_per_call = 0;
    double true_per_hour = 0;       // bytes_per_call x calls per hour
    bool run = false;               // false: not run, assumed caught (two smaller rates were caught in every seed)
    bool same_as_previous = false;  // rounding gave the previous rate's bytes per call: its counts are reused
    std::size_t runs = 0;
    std::size_t caught = 0;
    std::size_t errors = 0;  // crashed, bad input, unreadable report
};

struct PowerCell {
    std::filesystem::path scenario;
    std::string scenario_name;
    engine::LeakShape shape = engine::LeakShape::per_call;
    std::string action;
    double calls_per_hour = 0;
    std::vector<PowerRate> rates;                    // one per requested rate, ascending
    std::optional<double> detection_limit_per_hour;  // true rate; nullopt: the largest rate was missed
    std::vector<std::string> problems;               // runs that errored, for people
};

struct PowerFill {
    std::filesystem::path scenario;
    std::string scenario_name;
    std::optional<std::size_t> bytes_per_tick;  // nullopt: no tick runs to the end, nothing was run
    std::size_t capacity = 0;
    std::size_t runs = 0;
    std::size_t passed = 0;
    std::size_t false_alarms = 0;  // failed runs
    std::size_t errors = 0;
    std::vector<std::string> problems;
};

struct PowerResult {
    std::vector<PowerCell> cells;
    std::vector<PowerFill> fills;
    bool interrupted = false;
    std::size_t errors() const;
    bool fills_passed() const;
};

// Required fraction of seeds for a rate to count as caught: ceil(0.95 N).
std::size_t power_required(std::size_t seeds);

// The smallest true rate caught in at least power_required(runs) seeds such that every larger rate is too
// (rates not run are assumed caught); nullopt when the largest rate run was missed.
std::optional<double> detection_limit(const std::vector<PowerRate>& rates, std::size_t seeds);

// Throws harness::Error when a scenario cannot be loaded or an action filter names no action of any scenario.
PowerResult run_power(const PowerOptions& options, const std::atomic<bool>* stop_requested);

// A/A runs of a whole suite: every scenario once per seed, fixed engine; any failed budget is a false alarm.
struct AaSuiteResult {
    std::filesystem::path suite;
    std::size_t runs = 0;
    std::size_t false_alarms = 0;
    std::size_t errors = 0;
    std::vector<SuiteEntry> entries;  // the runs that were not a pass
    bool interrupted = false;
};

AaSuiteResult run_aa_suite(const std::filesystem::path& suite_file, const std::vector<std::uint64_t>& seeds,
                           const SuiteOptions& options, std::size_t parallel, const std::atomic<bool>* stop_requested);

}  // namespace memsoak::harness
