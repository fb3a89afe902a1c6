#include "memsoak/engine/config.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "memsoak/engine/input_file.hpp"
#include "memsoak/engine/chart.hpp"
#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, std::string_view field, std::string_view expected, const Json& got) {
    throw Error(fmt::format("{}.{}: expected {}, got {}", where, field, expected, excerpt(got.dump())));
}

std::size_t read_count(const Json& value, const std::string& where, std::string_view field, std::size_t minimum) {
    if (!value.is_number_integer() || value.get<std::int64_t>() < static_cast<std::int64_t>(minimum)) {
        fail(where, field, fmt::format("an integer >= {}", minimum), value);
    }
    return value.get<std::size_t>();
}

double read_positive(const Json& value, const std::string& where, std::string_view field) {
    if (!value.is_number() || !(value.get<double>() > 0)) fail(where, field, "a positive number", value);
    return value.get<double>();
}

// A canvas side in pixels, checked before narrowing to int: 2^32 + 500 must not read as 500.
int read_pixels(const Json& value, const std::string& where, std::string_view field) {
    const std::size_t pixels = read_count(value, where, field, 100);
    if (pixels > 8192) fail(where, field, "at most 8192 pixels", value);
    return static_cast<int>(pixels);
}

std::string read_string(const Json& value, const std::string& where, std::string_view field) {
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        fail(where, field, "a non-empty string", value);
    }
    return value.get<std::string>();
}

VirtualDuration read_duration(const Json& value, const std::string& where, std::string_view field) {
    if (!value.is_string()) fail(where, field, "a duration such as \"1m\" or \"7d\"", value);
    try {
        VirtualDuration d = parse_duration(value.get_ref<const std::string&>());
        if (d.count() <= 0) fail(where, field, "a positive duration", value);
        return d;
    } catch (const Error& e) {
        throw Error(fmt::format("{}.{}: {}", where, field, e.what()));
    }
}

template <typename Policy>
Policy read_policy(const Json& value, const std::string& where, std::string_view field,
                   Policy (*parse)(std::string_view)) {
    if (!value.is_string()) fail(where, field, "a policy name", value);
    try {
        return parse(value.get_ref<const std::string&>());
    } catch (const Error& e) {
        throw Error(fmt::format("{}.{}: {}", where, field, e.what()));
    }
}

// One element of $.engine.inject: {"action": "log", "shape": "bounded", "bytes": 256, "capacity": 5242880,
// "until": "35m"}. The engine has no size parser: bytes and capacity are integers here (the CLI's --inject
// takes "48KiB").
InjectedLeak read_injected_leak(const Json& value, const std::string& where, const std::string& element) {
    if (!value.is_object()) fail(where, element, "an object with action, shape and bytes", value);
    InjectedLeak leak;
    bool has_action = false, has_shape = false, has_bytes = false, has_capacity = false;
    for (const auto& [key, field] : value.items()) {
        const std::string path = fmt::format("{}.{}", element, key);
        try {
            if (key == "action") {
                if (!field.is_string()) fail(where, path, "an action name", field);
                leak.action = parse_injection_trigger(field.get_ref<const std::string&>());
                has_action = true;
            } else if (key == "shape") {
                if (!field.is_string()) fail(where, path, "a shape name", field);
                leak.shape = parse_leak_shape(field.get_ref<const std::string&>());
                has_shape = true;
            } else if (key == "bytes") {
                leak.bytes = read_count(field, where, path, 1);
                has_bytes = true;
            } else if (key == "capacity") {
                leak.capacity = read_count(field, where, path, 1);
                has_capacity = true;
            } else if (key == "until") {
                leak.until = read_duration(field, where, path);
            } else {
                throw Error(fmt::format("{}.{}: unknown field; expected action, shape, bytes, capacity or until",
                                        where, path));
            }
        } catch (const Error& e) {
            // parse_* say only what was expected: the place is added here, once.
            const std::string message = e.what();
            if (message.starts_with(where)) throw;
            throw Error(fmt::format("{}.{}: {}", where, path, message));
        }
    }
    for (const auto& [present, key] : {std::pair{has_action, "action"}, {has_shape, "shape"}, {has_bytes, "bytes"}}) {
        if (!present) throw Error(fmt::format("{}.{}: missing the required field \"{}\"", where, element, key));
    }
    if (leak.shape == LeakShape::bounded && !has_capacity) {
        throw Error(fmt::format("{}.{}: missing \"capacity\", required by shape \"bounded\"", where, element));
    }
    try {
        check_injected_leak(leak);
    } catch (const Error& e) {
        throw Error(fmt::format("{}.{}.{}", where, element, e.what()));
    }
    return leak;
}

using FieldReader = std::function<void(Config&, const Json&, const std::string&, std::string_view)>;

// One entry per field: the JSON name and how to read it. The table is also the list of known fields.
const std::map<std::string, FieldReader, std::less<>>& field_readers() {
    static const std::map<std::string, FieldReader, std::less<>> readers{
        {"symbol", [](Config& c, const Json& v, const std::string& w, auto f) { c.symbol = read_string(v, w, f); }},
        {"candle_interval",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.candle_interval = read_duration(v, w, f); }},
        {"analysis_period",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.analysis_period = read_duration(v, w, f); }},
        {"seed",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             if (!v.is_number_unsigned()) fail(w, f, "a non-negative integer", v);
             c.seed = v.get<std::uint64_t>();
         }},
        {"replay_csv",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.replay_csv = read_string(v, w, f); }},
        {"start_price",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.start_price = read_positive(v, w, f); }},
        {"start_timestamp",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             if (!v.is_number_integer()) fail(w, f, "an integer (Unix seconds)", v);
             c.start_timestamp = v.get<std::int64_t>();
             // The application adds virtual time to it and the feed's history before it: the engine's calendar
             // range keeps that from overflowing.
             if (c.start_timestamp < kEarliestTimestamp || c.start_timestamp > kLatestTimestamp) {
                 fail(w, f, "Unix seconds within the years 1970 to 2199", v);
             }
         }},
        {"chart_width",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.chart_width = read_pixels(v, w, f); }},
        {"chart_height",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.chart_height = read_pixels(v, w, f); }},
        {"chart_indicators",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             if (!v.is_array()) fail(w, f, "an array of indicator names", v);
             c.chart_indicators.clear();
             for (std::size_t i = 0; i < v.size(); ++i) {
                 const std::string element = fmt::format("{}[{}]", f, i);
                 std::string name = read_string(v[i], w, element);
                 // Checked here, not when the chart is first drawn: the error then names the file and the place.
                 const auto& known = known_indicators();
                 if (std::none_of(known.begin(), known.end(), [&](const IndicatorSpec& s) { return s.name == name; })) {
                     std::string names;
                     for (const IndicatorSpec& s : known) names += (names.empty() ? "" : ", ") + std::string(s.name);
                     fail(w, element, "an indicator name: one of " + names, v[i]);
                 }
                 c.chart_indicators.push_back(std::move(name));
             }
         }},
        {"status_policy",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             c.status_policy = read_policy(v, w, f, parse_status_policy);
         }},
        {"status_history_limit",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.status_history_limit = read_count(v, w, f, 1); }},
        {"chart_policy",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             c.chart_policy = read_policy(v, w, f, parse_chart_policy);
         }},
        {"transaction_policy",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             c.transaction_policy = read_policy(v, w, f, parse_transaction_policy);
         }},
        {"transaction_ring_capacity",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             c.transaction_ring_capacity = read_count(v, w, f, 1);
         }},
        {"archive_threshold",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.archive_threshold = read_count(v, w, f, 1); }},
        {"archive_keep",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.archive_keep = read_count(v, w, f, 0); }},
        {"archive_path",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.archive_path = read_string(v, w, f); }},
        {"log_queue_policy",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             c.log_queue_policy = read_policy(v, w, f, parse_log_queue_policy);
         }},
        {"log_queue_capacity",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.log_queue_capacity = read_count(v, w, f, 1); }},
        {"gui_drain_rate",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.gui_drain_rate = read_positive(v, w, f); }},
        {"log_pane_lines",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.log_pane_lines = read_count(v, w, f, 1); }},
        {"signal_policy",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             c.signal_policy = read_policy(v, w, f, parse_signal_policy);
         }},
        {"signal_capacity",
         [](Config& c, const Json& v, const std::string& w, auto f) { c.signal_capacity = read_count(v, w, f, 1); }},
        {"capital", [](Config& c, const Json& v, const std::string& w, auto f) { c.capital = read_positive(v, w, f); }},
        {"saturate",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             if (!v.is_boolean()) fail(w, f, "true or false", v);
             c.saturate = v.get<bool>();
         }},
        {"inject",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             if (!v.is_array()) fail(w, f, "an array of injected leaks", v);
             c.injected_leaks.clear();
             for (std::size_t i = 0; i < v.size(); ++i) {
                 c.injected_leaks.push_back(read_injected_leak(v[i], w, fmt::format("{}[{}]", f, i)));
             }
         }},
        {"risk_per_trade",
         [](Config& c, const Json& v, const std::string& w, auto f) {
             c.risk_per_trade = read_positive(v, w, f);
             if (c.risk_per_trade > 1) fail(w, f, "a fraction in (0, 1]", v);
         }},
    };
    return readers;
}

}  // namespace

std::size_t Config::frame_rows() const {
    return static_cast<std::size_t>(analysis_period.count() / candle_interval.count());
}

Config config_from_json(const nlohmann::json& object, const std::string& where) {
    if (!object.is_object()) {
        throw Error(fmt::format("{}: expected an object of engine settings, got {}", where, excerpt(object.dump())));
    }
    Config config;
    const auto& readers = field_readers();
    for (const auto& [key, value] : object.items()) {
        auto reader = readers.find(key);
        if (reader == readers.end()) {
            std::string known;
            for (const auto& [name, unused] : readers) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
            throw Error(fmt::format("{}.{}: unknown engine setting; expected one of {}", where, key, known));
        }
        reader->second(config, value, where, key);
    }
    if (config.frame_rows() < 2) {
        throw Error(fmt::format("{}: analysis_period must span at least 2 candles of candle_interval", where));
    }
    // Each analysis builds a frame of some 30 columns of doubles per candle: a bound keeps a typo from asking for
    // more memory than the machine has in one allocation.
    constexpr std::size_t kMaxFrameRows = 1'000'000;
    if (config.frame_rows() > kMaxFrameRows) {
        throw Error(fmt::format("{}: analysis_period must span at most {} candles of candle_interval, got {}", where,
                                kMaxFrameRows, config.frame_rows()));
    }
    if (config.transaction_policy == TransactionPolicy::archive && config.archive_path.empty()) {
        throw Error(fmt::format("{}.archive_path: required by transaction_policy \"archive\"", where));
    }
    if (config.archive_keep >= config.archive_threshold) {
        throw Error(fmt::format("{}.archive_keep: expected fewer than archive_threshold ({}), got {}", where,
                                config.archive_threshold, config.archive_keep));
    }
    return config;
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
