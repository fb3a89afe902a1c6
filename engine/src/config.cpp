#include "memsoak/engine/config.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/engine/input_file.hpp"
#include "memsoak/engine/json_input.hpp"

namespace memsoak::engine {
namespace {

using Json = nlohmann::json;
namespace in = json_input;

// Where the engine object is: the file, and the JSON path of the engine object in it ("$.engine").
struct Place {
    const std::string& file;
    std::string path;
    Place field(std::string_view name) const { return {file, in::field_path(path, name)}; }
    Place index(std::size_t i) const { return {file, in::index_path(path, i)}; }
    [[noreturn]] void fail(std::string_view expected, const Json& got) const { in::fail(file, path, expected, got); }
    [[noreturn]] void reject(std::string detail) const { in::reject(file, path, std::move(detail)); }
};

std::size_t read_count(const Json& value, const Place& at, std::size_t minimum) {
    return in::whole_number(value, at.file, at.path, minimum, SIZE_MAX, fmt::format("an integer >= {}", minimum));
}

double read_positive(const Json& value, const Place& at) {
    const double number = in::number(value, at.file, at.path, "a positive number");
    if (!(number > 0)) at.fail("a positive number", value);
    return number;
}

// A canvas side in pixels, checked before narrowing to int: 2^32 + 500 must not read as 500.
int read_pixels(const Json& value, const Place& at) {
    const std::size_t pixels = read_count(value, at, 100);
    if (pixels > 8192) at.fail("at most 8192 pixels", value);
    return static_cast<int>(pixels);
}

std::string read_string(const Json& value, const Place& at) { return in::non_empty_string(value, at.file, at.path); }

VirtualDuration read_duration(const Json& value, const Place& at) {
    return in::positive_duration(value, at.file, at.path, "1m");
}

// A name that `parse` knows (a policy, an action, a shape); its message says what was expected.
template <typename Value>
Value read_named(const Json& value, const Place& at, std::string_view type, Value (*parse)(std::string_view)) {
    if (!value.is_string()) at.fail(type, value);
    try {
        return parse(value.get_ref<const std::string&>());
    } catch (const Error& e) {
        at.reject(e.what());
    }
}

// One element of $.engine.inject: {"action": "log", "shape": "bounded", "bytes": 256, "capacity": 5242880,
// "until": "35m"}. The engine has no size parser: bytes and capacity are integers here (the CLI's --inject
// takes "48KiB").
InjectedLeak read_injected_leak(const Json& value, const Place& at) {
    in::check_object(value, {"action", "shape", "bytes", "capacity", "until"}, "an object with action, shape and bytes",
                     at.file, at.path);
    InjectedLeak leak;
    leak.action = read_named(in::require(value, "action", "an action name", at.file, at.path), at.field("action"),
                             "an action name", parse_injection_trigger);
    leak.shape = read_named(in::require(value, "shape", "a shape name", at.file, at.path), at.field("shape"),
                            "a shape name", parse_leak_shape);
    leak.bytes = read_count(in::require(value, "bytes", "an integer >= 1", at.file, at.path), at.field("bytes"), 1);
    if (const Json* capacity = in::find(value, "capacity")) {
        leak.capacity = read_count(*capacity, at.field("capacity"), 1);
    } else if (leak.shape == LeakShape::bounded) {
        at.field("capacity").reject("missing; expected an integer >= 1 (required by shape \"bounded\")");
    }
    if (const Json* until = in::find(value, "until")) leak.until = read_duration(*until, at.field("until"));
    try {
        check_injected_leak(leak);
    } catch (const Error& e) {
        // check_injected_leak's messages start with the field they name: "bytes: expected ...".
        const std::string message = e.what();
        const std::size_t colon = message.find(": ");
        if (colon == std::string::npos) at.reject(message);
        at.field(message.substr(0, colon)).reject(message.substr(colon + 2));
    }
    return leak;
}

using FieldReader = std::function<void(Config&, const Json&, const Place&)>;

// One entry per field: the JSON name and how to read it. The table is also the list of known fields.
const std::map<std::string, FieldReader, std::less<>>& field_readers() {
    static const std::map<std::string, FieldReader, std::less<>> readers{
        {"symbol", [](Config& c, const Json& v, const Place& at) { c.symbol = read_string(v, at); }},
        {"candle_interval",
         [](Config& c, const Json& v, const Place& at) { c.candle_interval = read_duration(v, at); }},
        {"analysis_period",
         [](Config& c, const Json& v, const Place& at) { c.analysis_period = read_duration(v, at); }},
        {"seed",
         [](Config& c, const Json& v, const Place& at) {
             c.seed = in::whole_number(v, at.file, at.path, 0, UINT64_MAX, "a non-negative integer");
         }},
        {"replay_csv", [](Config& c, const Json& v, const Place& at) { c.replay_csv = read_string(v, at); }},
        {"start_price", [](Config& c, const Json& v, const Place& at) { c.start_price = read_positive(v, at); }},
        {"start_timestamp",
         [](Config& c, const Json& v, const Place& at) {
             if (!v.is_number_integer()) at.fail("an integer (Unix seconds)", v);
             // The application adds virtual time to it and the feed's history before it: the engine's calendar
             // range keeps that from overflowing.
             c.start_timestamp = in::integer(v, at.file, at.path, kEarliestTimestamp, kLatestTimestamp,
                                             "Unix seconds within the years 1970 to 2199");
         }},
        {"chart_width", [](Config& c, const Json& v, const Place& at) { c.chart_width = read_pixels(v, at); }},
        {"chart_height", [](Config& c, const Json& v, const Place& at) { c.chart_height = read_pixels(v, at); }},
        {"chart_indicators",
         [](Config& c, const Json& v, const Place& at) {
             if (!v.is_array()) at.fail("an array of indicator names", v);
             c.chart_indicators.clear();
             for (std::size_t i = 0; i < v.size(); ++i) {
                 std::string name = read_string(v[i], at.index(i));
                 // Checked here, not when the chart is first drawn: the error then names the file and the place.
                 const auto& known = known_indicators();
                 if (std::none_of(known.begin(), known.end(), [&](const IndicatorSpec& s) { return s.name == name; })) {
                     std::string names;
                     for (const IndicatorSpec& s : known) names += (names.empty() ? "" : ", ") + std::string(s.name);
                     at.index(i).fail("an indicator name: one of " + names, v[i]);
                 }
                 c.chart_indicators.push_back(std::move(name));
             }
         }},
        {"status_policy",
         [](Config& c, const Json& v, const Place& at) {
             c.status_policy = read_named(v, at, "a policy name", parse_status_policy);
         }},
        {"status_history_limit",
         [](Config& c, const Json& v, const Place& at) { c.status_history_limit = read_count(v, at, 1); }},
        {"chart_policy",
         [](Config& c, const Json& v, const Place& at) {
             c.chart_policy = read_named(v, at, "a policy name", parse_chart_policy);
         }},
        {"transaction_policy",
         [](Config& c, const Json& v, const Place& at) {
             c.transaction_policy = read_named(v, at, "a policy name", parse_transaction_policy);
         }},
        {"transaction_ring_capacity",
         [](Config& c, const Json& v, const Place& at) { c.transaction_ring_capacity = read_count(v, at, 1); }},
        {"archive_threshold",
         [](Config& c, const Json& v, const Place& at) { c.archive_threshold = read_count(v, at, 1); }},
        {"archive_keep", [](Config& c, const Json& v, const Place& at) { c.archive_keep = read_count(v, at, 0); }},
        {"archive_path", [](Config& c, const Json& v, const Place& at) { c.archive_path = read_string(v, at); }},
        {"log_queue_policy",
         [](Config& c, const Json& v, const Place& at) {
             c.log_queue_policy = read_named(v, at, "a policy name", parse_log_queue_policy);
         }},
        {"log_queue_capacity",
         [](Config& c, const Json& v, const Place& at) { c.log_queue_capacity = read_count(v, at, 1); }},
        {"gui_drain_rate", [](Config& c, const Json& v, const Place& at) { c.gui_drain_rate = read_positive(v, at); }},
        {"log_pane_lines", [](Config& c, const Json& v, const Place& at) { c.log_pane_lines = read_count(v, at, 1); }},
        {"signal_policy",
         [](Config& c, const Json& v, const Place& at) {
             c.signal_policy = read_named(v, at, "a policy name", parse_signal_policy);
         }},
        {"signal_capacity",
         [](Config& c, const Json& v, const Place& at) { c.signal_capacity = read_count(v, at, 1); }},
        {"capital", [](Config& c, const Json& v, const Place& at) { c.capital = read_positive(v, at); }},
        {"saturate", [](Config& c, const Json& v, const Place& at) { c.saturate = in::boolean(v, at.file, at.path); }},
        {"inject",
         [](Config& c, const Json& v, const Place& at) {
             if (!v.is_array()) at.fail("an array of injected leaks", v);
             c.injected_leaks.clear();
             for (std::size_t i = 0; i < v.size(); ++i)
                 c.injected_leaks.push_back(read_injected_leak(v[i], at.index(i)));
         }},
        {"risk_per_trade",
         [](Config& c, const Json& v, const Place& at) {
             c.risk_per_trade = read_positive(v, at);
             if (c.risk_per_trade > 1) at.fail("a fraction in (0, 1]", v);
         }},
    };
    return readers;
}

}  // namespace

std::size_t Config::frame_rows() const {
    return static_cast<std::size_t>(analysis_period.count() / candle_interval.count());
}

Config config_from_json(const nlohmann::json& object, const std::string& file, std::string_view path) {
    const Place at{file, std::string(path)};
    if (!object.is_object()) at.fail("an object of engine settings", object);
    Config config;
    const auto& readers = field_readers();
    for (const auto& [key, value] : object.items()) {
        auto reader = readers.find(key);
        if (reader == readers.end()) {
            std::string known;
            for (const auto& [name, unused] : readers) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
            at.field(key).reject(fmt::format("unknown field; expected one of {}", known));
        }
        reader->second(config, value, at.field(key));
    }
    if (config.frame_rows() < 2) {
        at.field("analysis_period").reject("expected at least 2 candles of candle_interval");
    }
    // Each analysis builds a frame of some 30 columns of doubles per candle: a bound keeps a typo from asking for
    // more memory than the machine has in one allocation.
    constexpr std::size_t kMaxFrameRows = 1'000'000;
    if (config.frame_rows() > kMaxFrameRows) {
        at.field("analysis_period")
            .reject(fmt::format("expected at most {} candles of candle_interval, got {}", kMaxFrameRows,
                                config.frame_rows()));
    }
    if (config.transaction_policy == TransactionPolicy::archive && config.archive_path.empty()) {
        at.field("archive_path").reject("missing; expected a file name (required by transaction_policy \"archive\")");
    }
    if (config.archive_keep >= config.archive_threshold) {
        at.field("archive_keep")
            .reject(fmt::format("expected fewer than archive_threshold ({}), got {}", config.archive_threshold,
                                config.archive_keep));
    }
    return config;
}

void make_leaky(Config& config, StudyIssue issue) {
    switch (issue) {
#define MEMSOAK_CASE(id, name, component, field, Policy) \
    case StudyIssue::id: config.field = Policy::leaky; break;
        MEMSOAK_STUDY_ISSUES(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    }
}

nlohmann::json to_json(const Config& c) {
    Json out{
        {"symbol", c.symbol},
        {"candle_interval", format_duration(c.candle_interval)},
        {"analysis_period", format_duration(c.analysis_period)},
        {"seed", c.seed},
        {"start_price", c.start_price},
        {"start_timestamp", c.start_timestamp},
        {"chart_width", c.chart_width},
        {"chart_height", c.chart_height},
        {"chart_indicators", c.chart_indicators},
        {"status_policy", to_string(c.status_policy)},
        {"status_history_limit", c.status_history_limit},
        {"chart_policy", to_string(c.chart_policy)},
        {"transaction_policy", to_string(c.transaction_policy)},
        {"transaction_ring_capacity", c.transaction_ring_capacity},
        {"archive_threshold", c.archive_threshold},
        {"archive_keep", c.archive_keep},
        {"log_queue_policy", to_string(c.log_queue_policy)},
        {"log_queue_capacity", c.log_queue_capacity},
        {"gui_drain_rate", c.gui_drain_rate},
        {"log_pane_lines", c.log_pane_lines},
        {"signal_policy", to_string(c.signal_policy)},
        {"signal_capacity", c.signal_capacity},
        {"capital", c.capital},
        {"risk_per_trade", c.risk_per_trade},
        {"saturate", c.saturate},
    };
    if (!c.injected_leaks.empty()) {
        Json inject = Json::array();
        for (const InjectedLeak& leak : c.injected_leaks) {
            Json item{{"action", to_string(leak.action)}, {"shape", to_string(leak.shape)}, {"bytes", leak.bytes}};
            if (leak.shape == LeakShape::bounded) item["capacity"] = leak.capacity;
            if (leak.until) item["until"] = format_duration(*leak.until);
            inject.push_back(std::move(item));
        }
        out["inject"] = std::move(inject);
    }
    // Paths are optional settings: written only when set, so that the output reads back through config_from_json.
    if (!c.replay_csv.empty()) out["replay_csv"] = c.replay_csv.string();
    if (!c.archive_path.empty()) out["archive_path"] = c.archive_path.string();
    return out;
}

}  // namespace memsoak::engine
