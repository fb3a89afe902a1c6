#include "memsoak/harness/inputs/scenario.hpp"

#include "memsoak/engine/input_file.hpp"
#include "memsoak/harness/analysis/calibration.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "memsoak/engine/config.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {

using Json = nlohmann::json;

namespace {

using json_input::fail;
using json_input::field_path;
using json_input::index_path;
using json_input::require;

constexpr std::string_view kNameExpected = "a name of lowercase letters, digits, '-' and '_' (it names output files)";

// The workload actions a file may name. gui_thaw is left out: a freeze's "for" schedules its thaw.
constexpr ActionKind kFileActions[] = {
    ActionKind::tick,  ActionKind::analyze, ActionKind::refresh_chart, ActionKind::toggle_indicator,
    ActionKind::trade, ActionKind::log,     ActionKind::gui_pump,      ActionKind::gui_freeze,
};

std::string file_action_names() {
    std::string names;
    for (ActionKind kind : kFileActions) names += fmt::format("{}{}", names.empty() ? "" : ", ", to_string(kind));
    return names;
}

// Reads one scenario document; every check names the file and the JSON path of what it rejects.
class ScenarioReader {
public:
    explicit ScenarioReader(const std::string& file) : file_(file) {}

    Scenario read(const Json& document) {
        json_input::check_object(document,
                                 {"schema_version", "name", "description", "duration", "seed", "sample_interval",
                                  "warmup", "purge_interval", "engine", "workload", "budgets"},
                                 "a scenario object", file_, "$");
        json_input::check_schema_version(document, kScenarioSchemaVersion, file_);

        Scenario scenario;
        scenario.file = file_;
        scenario.name = read_name(require(document, "name", kNameExpected, file_, "$"));
        if (const auto found = document.find("description"); found != document.end()) {
            if (!found->is_string()) fail(file_, "$.description", "a string", *found);
            scenario.description = found->get<std::string>();
        }
        scenario.duration =
            read_positive_duration(require(document, "duration", "a duration such as \"24h\"", file_, "$"),
                                   "$.duration", "24h");
        if (scenario.duration > engine::kMaxRunDuration) {
            fail(file_, "$.duration",
                 fmt::format("at most {} (ten years of virtual time: the engine's calendar ends in 2199)",
                             engine::format_duration(engine::kMaxRunDuration)),
                 document.at("duration"));
        }
        duration_ = scenario.duration;
        // Required, as docs/scenarios.md says: a run must say which random arrivals it made.
        const Json& seed = require(document, "seed", "a non-negative integer", file_, "$");
        if (!seed.is_number_unsigned()) fail(file_, "$.seed", "a non-negative integer", seed);
        scenario.seed = seed.get<std::uint64_t>();
        scenario.sample_interval = read_sample_interval(document);
        scenario.warmup = read_warmup(document);
        if (const auto found = document.find("purge_interval"); found != document.end()) {
            scenario.purge_interval = read_positive_duration(*found, "$.purge_interval", "15m");
        }
        scenario.engine = read_engine(document);
        scenario.workload =
            read_workload(require(document, "workload", "a non-empty array of workload items", file_, "$"));
        scenario.budgets = read_budgets(require(document, "budgets", "a non-empty array of budget names", file_, "$"));
        return scenario;
    }

private:
    std::string read_name(const Json& value) const {
        if (!value.is_string()) fail(file_, "$.name", kNameExpected, value);
        const std::string& name = value.get_ref<const std::string&>();
        if (!json_input::is_plain_name(name)) fail(file_, "$.name", kNameExpected, value);
        return name;
    }

    // A duration string; `example` is shown in the message, e.g. "15m".
    VirtualDuration read_duration(const Json& value, std::string_view path, std::string_view example) const {
        return json_input::duration(value, file_, path, example);
    }

    VirtualDuration read_positive_duration(const Json& value, std::string_view path, std::string_view example) const {
        return json_input::positive_duration(value, file_, path, example);
    }

    // A point in the run, as a duration since its start; it must come before the end of the run.
    VirtualTime read_time_in_run(const Json& value, std::string_view path, std::string_view example) const {
        const VirtualDuration since_start = read_duration(value, path, example);
        if (since_start >= duration_) {
            fail(file_, path, fmt::format("a time before the end of the run ({})", engine::format_duration(duration_)),
                 value);
        }
        return engine::virtual_epoch + since_start;
    }

    VirtualDuration read_sample_interval(const Json& document) const {
        const VirtualDuration interval =
            read_positive_duration(require(document, "sample_interval", "a duration such as \"1m\"", file_, "$"),
                                   "$.sample_interval", "1m");
        if (interval > duration_) {
            fail(file_, "$.sample_interval",
                 fmt::format("at most the scenario's duration ({})", engine::format_duration(duration_)),
                 document.at("sample_interval"));
        }
        // Every sample stays in memory until the run ends and goes into the report: a bound keeps a typo such as
        // "1us" from asking for terabytes.
        constexpr std::int64_t kMaxSampleIntervals = 1'000'000;
        if (duration_ / interval > kMaxSampleIntervals) {
            const VirtualDuration shortest((duration_.count() + kMaxSampleIntervals - 1) / kMaxSampleIntervals);
            fail(file_, "$.sample_interval",
                 fmt::format("at least {} (at most {} sample intervals in a run)", engine::format_duration(shortest),
                             kMaxSampleIntervals),
                 document.at("sample_interval"));
        }
        return interval;
    }

    VirtualDuration read_warmup(const Json& document) const {
        // Required, as docs/scenarios.md says: "0s" states that every sample is judged.
        const Json& value =
            require(document, "warmup", "a duration such as \"1h\" (\"0s\" judges every sample)", file_, "$");
        const auto found = &value;
        const VirtualDuration warmup = read_duration(*found, "$.warmup", "1h");
        if (warmup >= duration_) {
            fail(file_, "$.warmup",
                 fmt::format("less than the scenario's duration ({})", engine::format_duration(duration_)), *found);
        }
        return warmup;
    }

    // Validated here so that a bad setting is reported on loading, not when the run starts.
    Json read_engine(const Json& document) const {
        const auto found = document.find("engine");
        if (found == document.end()) return Json::object();
        engine::config_from_json(*found, file_);
        return *found;
    }

    std::vector<WorkloadItem> read_workload(const Json& value) const {
        if (!value.is_array() || value.empty()) fail(file_, "$.workload", "a non-empty array of workload items", value);
        std::vector<WorkloadItem> items;
        items.reserve(value.size());
        for (std::size_t i = 0; i < value.size(); ++i)
            items.push_back(read_item(value[i], index_path("$.workload", i)));
        check_freezes(value, items);
        check_work(items);
        return items;
    }

    // The engine's CPU time per action, rounded up from docs/performance.md (an analysis 1.7 ms, a redraw 1.5 ms, a
    // log message 0.15 us, a GUI pump 1.4 us) plus the scheduler's 50 ns an event.
    static double seconds_per_event(ActionKind kind) {
        switch (kind) {
            case ActionKind::analyze:
            case ActionKind::refresh_chart:
            case ActionKind::toggle_indicator: return 2e-3;
            case ActionKind::gui_pump: return 2e-6;
            default: return 1e-6;
        }
    }

    // The per-item bound lets through typos that cost hours ("every": "1ms" on analyze is 86 million analyses a
    // day, about 40 h): the whole workload's estimated work is bounded too.
    void check_work(const std::vector<WorkloadItem>& items) const {
        constexpr double kMaxWorkSeconds = 3600;
        double total = 0;
        std::size_t heaviest = 0;
        double heaviest_seconds = 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const double seconds = expected_events(items[i]) * seconds_per_event(items[i].action.kind);
            total += seconds;
            if (seconds > heaviest_seconds) {
                heaviest_seconds = seconds;
                heaviest = i;
            }
        }
        if (total <= kMaxWorkSeconds) return;
        json_input::reject(file_, index_path("$.workload", heaviest),
                           fmt::format("expected a workload of at most {:.0f} s of engine work in a run, got about "
                                       "{:.1f} h, {:.1f} h of it {:.3g} {} events (a longer \"every\", a lower "
                                       "\"rate\", a \"count\" or a shorter window bounds it)",
                                       kMaxWorkSeconds, total / 3600, heaviest_seconds / 3600,
                                       expected_events(items[heaviest]), to_string(items[heaviest].action.kind)));
    }

    // A thaw ends whichever freeze is on: freezes must never overlap. One item's own times are checked with its
    // "for"; two items, or random arrivals, could overlap whatever their settings.
    void check_freezes(const Json& value, const std::vector<WorkloadItem>& items) const {
        std::optional<std::size_t> first;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (items[i].action.kind != ActionKind::gui_freeze) continue;
            const std::string path = index_path("$.workload", i);
            if (items[i].timing == Timing::rate) {
                fail(file_, field_path(path, "rate"),
                     "\"every\" or \"at\" for gui_freeze (freezes arriving at random could overlap)",
                     value[i].at("rate"));
            }
            if (first) {
                fail(file_, path,
                     fmt::format("one gui_freeze item per scenario (the freezes of {} and this one could overlap; "
                                 "list every freeze time in one item's \"at\")",
                                 index_path("$.workload", *first)),
                     value[i]);
            }
            first = i;
        }
    }

    WorkloadItem read_item(const Json& value, const std::string& path) const {
        json_input::check_object(value,
                                 {"action", "indicator", "every", "offset", "at", "rate", "from", "until", "count",
                                  "for"},
                                 "a workload item (an object with an \"action\")", file_, path);
        WorkloadItem item;
        item.source = fmt::format("{}: {}", file_, path);
        item.action.kind = read_action(value, path);
        read_indicator(value, path, item);
        read_timing(value, path, item);
        read_hold(value, path, item);
        return item;
    }

    ActionKind read_action(const Json& item, const std::string& path) const {
        const std::string expected = "one of " + file_action_names();
        const Json& value = require(item, "action", expected, file_, path);
        const std::string action_path = field_path(path, "action");
        if (value.is_string()) {
            const std::string& name = value.get_ref<const std::string&>();
            for (ActionKind kind : kFileActions) {
                if (to_string(kind) == name) return kind;
            }
            if (name == to_string(ActionKind::gui_thaw)) {
                fail(file_, action_path, "gui_freeze with \"for\" (the freeze schedules its own thaw)", value);
            }
        }
        fail(file_, action_path, expected, value);
    }

    void read_indicator(const Json& value, const std::string& path, WorkloadItem& item) const {
        const auto found = value.find("indicator");
        if (item.action.kind != ActionKind::toggle_indicator) {
            if (found != value.end()) {
                fail(file_, field_path(path, "indicator"),
                     fmt::format("no indicator for action {} (only toggle_indicator takes one)",
                                 to_string(item.action.kind)),
                     *found);
            }
            return;
        }
        constexpr std::string_view kExpected = "the indicator to toggle, such as \"rsi\"";
        const Json& indicator = require(value, "indicator", kExpected, file_, path);
        if (!indicator.is_string() || indicator.get_ref<const std::string&>().empty()) {
            fail(file_, field_path(path, "indicator"), kExpected, indicator);
        }
        item.action.argument = indicator.get<std::string>();
    }

    void read_timing(const Json& value, const std::string& path, WorkloadItem& item) const {
        const bool has_every = value.contains("every");
        const bool has_at = value.contains("at");
        const bool has_rate = value.contains("rate");
        if (int{has_every} + int{has_at} + int{has_rate} != 1) {
            fail(file_, path, "exactly one of \"every\", \"at\" or \"rate\"", value);
        }
        // A window and a count shape periodic and random firings; explicit times need neither.
        for (std::string_view field : {"offset", "from", "until", "count"}) {
            const auto found = value.find(field);
            if (found == value.end()) continue;
            if (has_at || (field == "offset" && has_rate)) {
                fail(file_, field_path(path, field),
                     field == "offset" ? "\"offset\" only with \"every\"" : "no window or count with \"at\"", *found);
            }
        }
        if (has_at) {
            item.timing = Timing::at;
            item.at = read_times(value.at("at"), field_path(path, "at"));
            return;
        }
        read_window(value, path, item);
        if (has_every) {
            item.timing = Timing::every;
            item.every = read_positive_duration(value.at("every"), field_path(path, "every"), "15m");
            if (const auto offset = value.find("offset"); offset != value.end()) {
                item.offset = read_duration(*offset, field_path(path, "offset"), "30s");
                if (item.from + item.offset >= engine::virtual_epoch + duration_) {
                    fail(file_, field_path(path, "offset"),
                         fmt::format("from + offset before the end of the run ({})",
                                     engine::format_duration(duration_)),
                         *offset);
                }
            }
        } else {
            item.timing = Timing::rate;
            item.rate_per_second = read_rate(value.at("rate"), field_path(path, "rate"));
        }
        check_event_count(value, path, item);
    }

    // Every event is real work for the engine (a log message about a microsecond, an analysis milliseconds): a
    // bound keeps a typo such as "every": "1us" from running for hours. Counted over the item's window, within
    // its count.
    // How many times an item fires in the run (the expectation, for random arrivals).
    double expected_events(const WorkloadItem& item) const {
        if (item.timing == Timing::at) return static_cast<double>(item.at.size());
        const VirtualTime until = item.until.value_or(engine::virtual_epoch + duration_);
        const double window_seconds = std::chrono::duration<double>(until - item.from).count();
        double events = item.timing == Timing::every
                            ? window_seconds / std::chrono::duration<double>(item.every).count()
                            : window_seconds * item.rate_per_second;
        if (item.count) events = std::min(events, static_cast<double>(*item.count));
        return events;
    }

    void check_event_count(const Json& value, const std::string& path, const WorkloadItem& item) const {
        constexpr double kMaxEventsPerItem = 100'000'000;
        const double events = expected_events(item);
        if (events <= kMaxEventsPerItem) return;
        const std::string_view field = item.timing == Timing::every ? "every" : "rate";
        fail(file_, field_path(path, field),
             fmt::format("at most {:.0f} events of one workload item in a run (this makes {:.3g}; a \"count\" or a "
                         "shorter window also bounds it)",
                         kMaxEventsPerItem, events),
             value.at(field));
    }

    std::vector<VirtualTime> read_times(const Json& value, const std::string& path) const {
        if (!value.is_array() || value.empty()) {
            fail(file_, path, "a non-empty array of times such as [\"2h\", \"6h\"]", value);
        }
        std::vector<VirtualTime> times;
        times.reserve(value.size());
        for (std::size_t i = 0; i < value.size(); ++i)
            times.push_back(read_time_in_run(value[i], index_path(path, i), "2h"));
        return times;
    }

    void read_window(const Json& value, const std::string& path, WorkloadItem& item) const {
        if (const auto from = value.find("from"); from != value.end()) {
            item.from = read_time_in_run(*from, field_path(path, "from"), "1h");
        }
        if (const auto until = value.find("until"); until != value.end()) {
            const VirtualTime end = engine::virtual_epoch + read_duration(*until, field_path(path, "until"), "2h");
            if (end <= item.from || end > engine::virtual_epoch + duration_) {
                fail(file_, field_path(path, "until"),
                     fmt::format("a time after from ({}) and no later than the end of the run ({})",
                                 engine::format_duration(item.from.time_since_epoch()),
                                 engine::format_duration(duration_)),
                     *until);
            }
            item.until = end;
        }
        if (const auto count = value.find("count"); count != value.end()) {
            if (!count->is_number_unsigned() || count->get<std::uint64_t>() == 0) {
                fail(file_, field_path(path, "count"), "an integer >= 1", *count);
            }
            item.count = count->get<std::uint64_t>();
        }
    }

    double read_rate(const Json& value, const std::string& path) const {
        if (!value.is_string()) fail(file_, path, "a rate such as \"10/s\" (a string)", value);
        double rate = 0;
        try {
            rate = parse_rate(value.get_ref<const std::string&>());
        } catch (const Error& e) {
            json_input::reject(file_, path, e.what());
        }
        if (!(rate > 0)) fail(file_, path, "a positive rate", value);
        return rate;
    }

    // gui_freeze's "for": how long each freeze lasts. Freezes must not overlap, or a thaw would end a later
    // freeze early.
    void read_hold(const Json& value, const std::string& path, WorkloadItem& item) const {
        const auto found = value.find("for");
        const std::string hold_path = field_path(path, "for");
        if (item.action.kind != ActionKind::gui_freeze) {
            if (found != value.end()) {
                fail(file_, hold_path,
                     fmt::format("no \"for\" for action {} (only gui_freeze takes one)", to_string(item.action.kind)),
                     *found);
            }
            return;
        }
        const Json& hold_value = require(value, "for", "how long each freeze lasts, such as \"30m\"", file_, path);
        const VirtualDuration hold = read_positive_duration(hold_value, hold_path, "30m");
        if (item.timing == Timing::every && hold >= item.every) {
            fail(file_, hold_path,
                 fmt::format("less than \"every\" ({}), so that each freeze ends before the next",
                             engine::format_duration(item.every)),
                 hold_value);
        }
        if (item.timing == Timing::at) {
            std::vector<VirtualTime> times = item.at;
            std::sort(times.begin(), times.end());
            const auto overlap = std::adjacent_find(times.begin(), times.end(),
                                                    [hold](VirtualTime a, VirtualTime b) { return b - a <= hold; });
            if (overlap != times.end()) {
                fail(file_, hold_path,
                     fmt::format("less than the {} between the freezes at {} and {}",
                                 engine::format_duration(overlap[1] - overlap[0]),
                                 engine::format_duration(overlap[0].time_since_epoch()),
                                 engine::format_duration(overlap[1].time_since_epoch())),
                     hold_value);
            }
        }
        item.hold = hold;
    }

    std::vector<std::string> read_budgets(const Json& value) const {
        if (!value.is_array() || value.empty()) fail(file_, "$.budgets", "a non-empty array of budget names", value);
        std::vector<std::string> budgets;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const Json& name = value[i];
            const std::string path = index_path("$.budgets", i);
            if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
                fail(file_, path, "a budget name (a non-empty string)", name);
            }
            if (std::find(budgets.begin(), budgets.end(), name.get_ref<const std::string&>()) != budgets.end()) {
                fail(file_, path, "each budget named once", name);
            }
            budgets.push_back(name.get<std::string>());
        }
        return budgets;
    }

    const std::string& file_;
    VirtualDuration duration_{};  // the scenario's duration, once read: the bound of every time in the run
};

}  // namespace

Scenario load_scenario(const std::filesystem::path& file) {
    const json_input::Document document = json_input::read_document(file);
    return json_input::read_with_positions(document,
                                           [&](const Json& root) { return parse_scenario(root, document.source); });
}

VirtualDuration workload_cycle(const Scenario& scenario) {
    VirtualDuration cycle{};
    for (const WorkloadItem& item : scenario.workload) {
        if (item.timing != Timing::every || item.count || item.until) continue;
        const VirtualDuration period = item.action.kind == ActionKind::toggle_indicator ? 2 * item.every : item.every;
        cycle = std::max(cycle, period);
    }
    return cycle;
}

Scenario parse_scenario(const Json& document, const std::string& file) {
    Scenario scenario = ScenarioReader(file).read(document);
    scenario.fingerprint = scenario_fingerprint(document);
    return scenario;
}

}  // namespace memsoak::harness
