#include "memsoak/reports/json_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/input_file.hpp"
#include "memsoak/engine/json_input.hpp"
#include "memsoak/harness/analysis/diagnosis.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/reports/error.hpp"

namespace memsoak::reports {
namespace {

using harness::ActionRetention;
using harness::Attribution;
using harness::BudgetResult;
using harness::Growth;
using harness::GrowthClass;
using harness::HeapProfileFindings;
using harness::HeapSite;
using harness::LayerDiagnosis;
using harness::LayerTrend;
using harness::LimitKind;
using harness::LimitResult;
using harness::RunInfo;
using harness::RunResult;
using harness::SampleSeries;
using harness::Verdict;
using harness::VirtualDuration;
using harness::VirtualTime;
using Json = nlohmann::json;
namespace json_input = engine::json_input;

constexpr std::string_view kToolName = "memsoak";
constexpr double kMicrosPerSecond = 1e6;

// ---- writing ----

// JSON has no NaN or infinity; null stands for "not measured" and reads back as NaN.
Json number_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

Json seconds(VirtualDuration d) { return engine::to_seconds(d); }

std::string_view unit_of(LimitKind kind) {
    switch (kind) {
        case LimitKind::peak: return "bytes";
        case LimitKind::growth: return "bytes_per_hour";
        case LimitKind::items: return "items";
    }
    return "unknown";
}

Json growth_to_json(const Growth& growth) {
    return {
        {"slope_per_hour", number_or_null(growth.slope_per_hour)},
        {"ci_low_per_hour", number_or_null(growth.ci_low_per_hour)},
        {"ci_high_per_hour", number_or_null(growth.ci_high_per_hour)},
        {"intercept", number_or_null(growth.intercept)},
        {"p_value", number_or_null(growth.p_value)},
        {"significant", growth.significant},
        {"samples", growth.samples},
        {"mean_rate_per_hour", number_or_null(growth.mean_rate_per_hour)},
        {"tail_rate_per_hour", number_or_null(growth.tail_rate_per_hour)},
        {"rise", number_or_null(growth.rise)},
    };
}

Json calibration_to_json(const harness::Calibration& c) {
    return {
        {"file", c.file},
        {"runs", c.runs},
        {"floor", number_or_null(c.floor)},
        {"mean", number_or_null(c.mean)},
        {"sd", number_or_null(c.sd)},
        {"false_alarm_rate", number_or_null(c.false_alarm_rate)},
        {"margin", number_or_null(c.margin)},
    };
}

Json limit_to_json(const LimitResult& limit) {
    Json out = {
        {"metric", limit.metric},
        {"kind", harness::to_string(limit.kind)},
        {"limit", number_or_null(limit.limit)},
        {"measured", number_or_null(limit.measured)},
        {"unit", unit_of(limit.kind)},
        {"verdict", harness::to_string(limit.verdict)},
        {"explanation", limit.explanation},
    };
    if (limit.growth) out["growth"] = growth_to_json(*limit.growth);
    if (limit.hours_to_breach) out["hours_to_breach"] = number_or_null(*limit.hours_to_breach);
    if (limit.fill_allowance) out["fill_allowance"] = number_or_null(*limit.fill_allowance);
    if (limit.kind == LimitKind::growth && limit.growth) out["plateau"] = limit.plateau;
    if (limit.detection_limit) out["detection_limit"] = number_or_null(*limit.detection_limit);
    if (limit.calibration) out["calibration"] = calibration_to_json(*limit.calibration);
    return out;
}

Json budget_to_json(const BudgetResult& budget) {
    Json limits = Json::array();
    for (const LimitResult& limit : budget.limits) limits.push_back(limit_to_json(limit));
    Json out = {
        {"issue", budget.budget},
        {"description", budget.description},
        {"verdict", harness::to_string(budget.verdict)},
        {"limits", std::move(limits)},
    };
    if (const LimitResult* decider = deciding_limit(budget)) {
        out["metric"] = decider->metric;
        out["limit"] = number_or_null(decider->limit);
        out["measured"] = number_or_null(decider->measured);
    }
    return out;
}

// Columnar, so that thousands of samples stay compact: one array per metric rather than one object per sample.
Json samples_to_json(const SampleSeries& samples) {
    Json times = Json::array();
    times.get_ref<Json::array_t&>().reserve(samples.size());
    for (VirtualTime t : samples.times) times.push_back(engine::to_seconds(t));
    Json purged = Json::array();
    for (bool p : samples.purged) purged.push_back(p);
    Json metrics = Json::object();
    for (std::size_t m = 0; m < samples.metrics.size(); ++m) {
        Json column = Json::array();
        column.get_ref<Json::array_t&>().reserve(samples.values[m].size());
        for (double value : samples.values[m]) column.push_back(number_or_null(value));
        metrics[samples.metrics[m]] = std::move(column);
    }
    return {{"t_s", std::move(times)}, {"purged", std::move(purged)}, {"metrics", std::move(metrics)}};
}

Json attribution_to_json(const Attribution& a) {
    return {
        {"component", a.component},
        {"issue", a.issue},
        {"growth_bytes_per_hour", number_or_null(a.growth_bytes_per_hour)},
        {"share", number_or_null(a.share)},
    };
}

Json diagnosis_to_json(const LayerDiagnosis& d) {
    Json layers = Json::array();
    for (const LayerTrend& trend : d.layers) {
        Json layer = {{"metric", trend.metric}, {"purged_only", trend.purged_only}, {"growing", trend.growing}};
        if (trend.growth) layer["growth"] = growth_to_json(*trend.growth);
        layers.push_back(std::move(layer));
    }
    return {
        {"kind", harness::to_string(d.kind)},
        {"explanation", d.explanation},
        {"rate_floor_bytes_per_hour", number_or_null(d.rate_floor_bytes_per_hour)},
        {"engine_share", number_or_null(d.engine_share)},
        {"layers", std::move(layers)},
    };
}

Json heap_profile_to_json(const HeapProfileFindings& findings) {
    const bool sampled = findings.mode == "sampled";
    Json sites = Json::array();
    for (const HeapSite& site : findings.sites) {
        Json entry = {{"function", site.function}, {"callers", site.callers}, {"bytes", number_or_null(site.bytes)}};
        if (sampled) {
            entry["file"] = site.file;
            entry["line"] = site.line;
            entry["caller_locations"] = site.caller_locations;
            entry["rate_bytes_per_hour"] = number_or_null(site.rate_bytes_per_hour);
            entry["signature"] = site.signature;
        }
        sites.push_back(std::move(entry));
    }
    Json out = {
        {"mode", findings.mode},
        {"total_growth_bytes", number_or_null(findings.total_growth_bytes)},
        {"sites", std::move(sites)},
    };
    if (sampled) {
        Json stacks = Json::array();
        for (const harness::HeapGrowthStack& stack : findings.stacks) {
            stacks.push_back({{"frames", stack.frames}, {"bytes", number_or_null(stack.bytes)}});
        }
        out["sample_period_bytes"] = number_or_null(findings.sample_period_bytes);
        out["reads"] = findings.reads;
        out["window_s"] = seconds(findings.window);
        out["stacks"] = std::move(stacks);
        if (!findings.collapsed_file.empty()) out["collapsed_file"] = findings.collapsed_file;
        if (!findings.source.empty()) out["source"] = findings.source;
        if (!findings.trigger.empty()) out["trigger"] = findings.trigger;
    } else {
        out["interval_s"] = seconds(findings.interval);
        out["directory"] = findings.directory;
        out["profiles"] = findings.profiles;
    }
    if (!findings.error.empty()) out["error"] = findings.error;
    return out;
}

Json retention_to_json(const std::vector<ActionRetention>& retention) {
    Json out = Json::array();
    for (const ActionRetention& r : retention) {
        out.push_back({
            {"action", r.action},
            {"calls_per_round", r.calls_per_round},
            {"rounds", r.rounds},
            {"live_bytes_per_call", number_or_null(r.live_bytes_per_call)},
            {"live_ci_low", number_or_null(r.live_ci_low)},
            {"live_ci_high", number_or_null(r.live_ci_high)},
            {"rss_bytes_per_call", number_or_null(r.rss_bytes_per_call)},
            {"rss_ci_low", number_or_null(r.rss_ci_low)},
            {"rss_ci_high", number_or_null(r.rss_ci_high)},
            {"significant", r.significant},
        });
    }
    return out;
}

// ---- reading ----

// Reads one document, naming `source` and the JSON path ("$.budgets[2].limits[0].kind") in every error.
class Reader {
public:
    explicit Reader(const std::string& source) : source_(source) {}

    [[noreturn]] void fail(const std::string& path, std::string_view expected, const Json& got) const {
        json_input::fail(source_, path, expected, got);
    }

    // For problems that are not a value of the wrong type: a column of the wrong length.
    [[noreturn]] void reject(const std::string& path, std::string_view message) const {
        json_input::reject(source_, path, std::string(message));
    }

    // The member `key` of `object`, or nullptr when absent.
    const Json* optional_member(const Json& object, std::string_view key) const {
        return json_input::find(object, key);
    }

    const Json& member(const Json& object, const std::string& path, std::string_view key,
                       std::string_view expected) const {
        return json_input::require(object, key, expected, source_, path);
    }

    const Json& object_member(const Json& object, const std::string& path, std::string_view key) const {
        const Json& value = member(object, path, key, "an object");
        if (!value.is_object()) fail(fmt::format("{}.{}", path, key), "an object", value);
        return value;
    }

    const Json& array_member(const Json& object, const std::string& path, std::string_view key) const {
        const Json& value = member(object, path, key, "an array");
        if (!value.is_array()) fail(fmt::format("{}.{}", path, key), "an array", value);
        return value;
    }

    std::string string(const Json& value, const std::string& path) const {
        if (!value.is_string()) fail(path, "a string", value);
        return value.get<std::string>();
    }

    std::string string_member(const Json& object, const std::string& path, std::string_view key) const {
        return string(member(object, path, key, "a string"), fmt::format("{}.{}", path, key));
    }

    bool bool_member(const Json& object, const std::string& path, std::string_view key) const {
        const Json& value = member(object, path, key, "true or false");
        if (!value.is_boolean()) fail(fmt::format("{}.{}", path, key), "true or false", value);
        return value.get<bool>();
    }

    // A number, or null for NaN.
    double number(const Json& value, const std::string& path) const {
        if (value.is_null()) return std::nan("");
        if (!value.is_number()) fail(path, "a number or null", value);
        return value.get<double>();
    }

    double number_member(const Json& object, const std::string& path, std::string_view key) const {
        return number(member(object, path, key, "a number or null"), fmt::format("{}.{}", path, key));
    }

    std::uint64_t unsigned_member(const Json& object, const std::string& path, std::string_view key) const {
        const Json& value = member(object, path, key, "a non-negative integer");
        if (!value.is_number_unsigned()) fail(fmt::format("{}.{}", path, key), "a non-negative integer", value);
        return value.get<std::uint64_t>();
    }

    // Seconds of virtual time, kept to the microsecond as VirtualDuration is.
    VirtualDuration seconds(const Json& value, const std::string& path) const {
        // 3.2e11 s (ten thousand years) keeps the microseconds well inside int64 and exact in a double.
        constexpr double kMaxSeconds = 3.2e11;
        if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= kMaxSeconds)) {
            fail(path, "a number of seconds >= 0", value);
        }
        return VirtualDuration(std::llround(value.get<double>() * kMicrosPerSecond));
    }

    VirtualDuration seconds_member(const Json& object, const std::string& path, std::string_view key) const {
        return seconds(member(object, path, key, "a number of seconds >= 0"), fmt::format("{}.{}", path, key));
    }

    Verdict verdict_member(const Json& object, const std::string& path, std::string_view key) const {
        constexpr std::string_view kExpected = R"("pass", "fail" or "not_measured")";
        const Json& value = member(object, path, key, kExpected);
        if (value.is_string()) {
            if (const auto verdict = harness::parse_verdict(value.get_ref<const std::string&>())) return *verdict;
        }
        fail(fmt::format("{}.{}", path, key), kExpected, value);
    }

    LimitKind kind_member(const Json& object, const std::string& path, std::string_view key) const {
        constexpr std::string_view kExpected = R"("peak", "growth" or "items")";
        const Json& value = member(object, path, key, kExpected);
        if (value.is_string()) {
            if (const auto kind = harness::parse_limit_kind(value.get_ref<const std::string&>())) return *kind;
        }
        fail(fmt::format("{}.{}", path, key), kExpected, value);
    }

    std::vector<std::string> strings_member(const Json& object, const std::string& path, std::string_view key) const {
        const Json& array = array_member(object, path, key);
        std::vector<std::string> out;
        out.reserve(array.size());
        for (std::size_t i = 0; i < array.size(); ++i) {
            out.push_back(string(array[i], fmt::format("{}.{}[{}]", path, key, i)));
        }
        return out;
    }

    void check_schema_version(const Json& document) const {
        const Json& value = member(document, "$", "schema_version", "an integer");
        if (!value.is_number_integer()) fail("$.schema_version", "an integer", value);
        const auto version = value.get<std::int64_t>();
        if (version != kReportSchemaVersion) {
            reject("$.schema_version",
                   fmt::format("unsupported report schema version {}; this memsoak reads version {} "
                               "(docs/report-schema.md)",
                               version, kReportSchemaVersion));
        }
    }

private:
    const std::string& source_;
};

void read_tool(const Reader& r, const Json& document, RunInfo& info) {
    const std::string path = "$.tool";
    const Json& tool = r.object_member(document, "$", "tool");
    const Json& name = r.member(tool, path, "name", "\"memsoak\"");
    if (name != kToolName) r.fail(path + ".name", "\"memsoak\"", name);
    info.tool_version = r.string_member(tool, path, "version");
    info.git_commit = r.string_member(tool, path, "git_commit");
    info.build_type = r.string_member(tool, path, "build_type");
}

void read_scenario(const Reader& r, const Json& document, RunInfo& info) {
    const std::string path = "$.scenario";
    const Json& scenario = r.object_member(document, "$", "scenario");
    info.scenario_name = r.string_member(scenario, path, "name");
    info.scenario_file = r.string_member(scenario, path, "file");
    info.seed = r.unsigned_member(scenario, path, "seed");
    info.virtual_duration = r.seconds_member(scenario, path, "virtual_duration_s");
    info.warmup = r.seconds_member(scenario, path, "warmup_s");
}

void read_run(const Reader& r, const Json& document, RunInfo& info) {
    const std::string path = "$.run";
    const Json& run = r.object_member(document, "$", "run");
    info.started_at = r.string_member(run, path, "started_at");
    info.wall_seconds = r.number_member(run, path, "wall_seconds");
    info.analysis_seconds = r.number_member(run, path, "analysis_seconds");
    info.acceleration = r.number_member(run, path, "acceleration");
    info.virtual_elapsed = r.seconds_member(run, path, "virtual_elapsed_s");
    info.interrupted = r.bool_member(run, path, "interrupted");
    if (const Json* reason = r.optional_member(run, "stop_reason")) {
        info.stop_reason = r.string(*reason, path + ".stop_reason");
    }
    if (r.optional_member(run, "warnings") != nullptr) info.warnings = r.strings_member(run, path, "warnings");
    if (r.optional_member(run, "level_window_s") != nullptr) {
        info.level_window = r.seconds_member(run, path, "level_window_s");
    }
    info.leaks = r.strings_member(run, path, "leaks");
    // Absent in reports that predate leak injection.
    if (r.optional_member(run, "injected")) info.injected = r.strings_member(run, path, "injected");
    info.layers = r.strings_member(run, path, "layers");
    for (std::size_t i = 0; i < info.layers.size(); ++i) {
        const std::string& layer = info.layers[i];
        if (!harness::parse_layer(layer)) {
            r.fail(fmt::format("{}.layers[{}]", path, i), R"("os", "allocator" or "engine")", Json(layer));
        }
    }
}

SampleSeries read_samples(const Reader& r, const Json& document) {
    const std::string path = "$.samples";
    const Json& samples = r.object_member(document, "$", "samples");
    SampleSeries out;

    const Json& times = r.array_member(samples, path, "t_s");
    out.times.reserve(times.size());
    for (std::size_t i = 0; i < times.size(); ++i) {
        out.times.push_back(engine::virtual_epoch + r.seconds(times[i], fmt::format("{}.t_s[{}]", path, i)));
    }
    const auto expect_one_per_sample = [&](const Json& column, const std::string& column_path) {
        if (column.size() != times.size()) {
            r.reject(column_path, fmt::format("expected {} values (one per entry of $.samples.t_s), got {}",
                                              times.size(), column.size()));
        }
    };

    const Json& purged = r.array_member(samples, path, "purged");
    expect_one_per_sample(purged, path + ".purged");
    out.purged.reserve(purged.size());
    for (std::size_t i = 0; i < purged.size(); ++i) {
        if (!purged[i].is_boolean()) r.fail(fmt::format("{}.purged[{}]", path, i), "true or false", purged[i]);
        out.purged.push_back(purged[i].get<bool>());
    }

    const Json& metrics = r.object_member(samples, path, "metrics");
    for (const auto& [name, column] : metrics.items()) {
        const std::string column_path = fmt::format("{}.metrics[\"{}\"]", path, name);
        if (!column.is_array()) r.fail(column_path, "an array", column);
        expect_one_per_sample(column, column_path);
        std::vector<double> values;
        values.reserve(column.size());
        for (std::size_t i = 0; i < column.size(); ++i) {
            const Json& value = column[i];
            // The common case inline: a path is only built for an error.
            if (value.is_number()) {
                values.push_back(value.get<double>());
            } else {
                values.push_back(r.number(value, fmt::format("{}[{}]", column_path, i)));
            }
        }
        out.metrics.push_back(name);
        out.values.push_back(std::move(values));
    }
    return out;
}

Growth read_growth(const Reader& r, const Json& growth, const std::string& path) {
    Growth out;
    out.slope_per_hour = r.number_member(growth, path, "slope_per_hour");
    out.ci_low_per_hour = r.number_member(growth, path, "ci_low_per_hour");
    out.ci_high_per_hour = r.number_member(growth, path, "ci_high_per_hour");
    out.intercept = r.number_member(growth, path, "intercept");
    out.p_value = r.number_member(growth, path, "p_value");
    out.significant = r.bool_member(growth, path, "significant");
    out.samples = r.unsigned_member(growth, path, "samples");
    // The level shape came with issue 11's growth model; older reports lack it (NaN: not measured).
    const auto optional_number = [&](std::string_view key) {
        const Json* value = r.optional_member(growth, key);
        return value == nullptr ? std::nan("") : r.number(*value, fmt::format("{}.{}", path, key));
    };
    out.mean_rate_per_hour = optional_number("mean_rate_per_hour");
    out.tail_rate_per_hour = optional_number("tail_rate_per_hour");
    out.rise = optional_number("rise");
    return out;
}

harness::Calibration read_calibration(const Reader& r, const Json& c, const std::string& path) {
    if (!c.is_object()) r.fail(path, "an object", c);
    harness::Calibration out;
    out.file = r.string_member(c, path, "file");
    out.runs = r.unsigned_member(c, path, "runs");
    out.floor = r.number_member(c, path, "floor");
    out.mean = r.number_member(c, path, "mean");
    out.sd = r.number_member(c, path, "sd");
    out.false_alarm_rate = r.number_member(c, path, "false_alarm_rate");
    out.margin = r.number_member(c, path, "margin");
    return out;
}

LimitResult read_limit(const Reader& r, const Json& limit, const std::string& path) {
    if (!limit.is_object()) r.fail(path, "an object", limit);
    LimitResult out;
    out.metric = r.string_member(limit, path, "metric");
    out.kind = r.kind_member(limit, path, "kind");
    out.limit = r.number_member(limit, path, "limit");
    out.measured = r.number_member(limit, path, "measured");
    const std::string_view unit = unit_of(out.kind);
    const Json& unit_value = r.member(limit, path, "unit", fmt::format("\"{}\"", unit));
    if (unit_value != unit) {
        r.fail(path + ".unit", fmt::format("\"{}\" for a {} limit", unit, harness::to_string(out.kind)), unit_value);
    }
    out.verdict = r.verdict_member(limit, path, "verdict");
    out.explanation = r.string_member(limit, path, "explanation");
    if (const Json* growth = r.optional_member(limit, "growth")) {
        if (!growth->is_object()) r.fail(path + ".growth", "an object", *growth);
        out.growth = read_growth(r, *growth, path + ".growth");
    }
    if (const Json* hours = r.optional_member(limit, "hours_to_breach")) {
        out.hours_to_breach = r.number(*hours, path + ".hours_to_breach");
    }
    if (const Json* fill = r.optional_member(limit, "fill_allowance")) {
        out.fill_allowance = r.number(*fill, path + ".fill_allowance");
    }
    if (r.optional_member(limit, "plateau") != nullptr) out.plateau = r.bool_member(limit, path, "plateau");
    if (const Json* detection = r.optional_member(limit, "detection_limit")) {
        out.detection_limit = r.number(*detection, path + ".detection_limit");
    }
    if (const Json* calibration = r.optional_member(limit, "calibration")) {
        out.calibration = read_calibration(r, *calibration, path + ".calibration");
    }
    return out;
}

// The budget-level metric, limit and measured repeat the deciding limit; they are derived, so not read.
BudgetResult read_budget(const Reader& r, const Json& budget, const std::string& path) {
    if (!budget.is_object()) r.fail(path, "an object", budget);
    BudgetResult out;
    out.budget = r.string_member(budget, path, "issue");
    out.description = r.string_member(budget, path, "description");
    out.verdict = r.verdict_member(budget, path, "verdict");
    const Json& limits = r.array_member(budget, path, "limits");
    out.limits.reserve(limits.size());
    for (std::size_t i = 0; i < limits.size(); ++i) {
        out.limits.push_back(read_limit(r, limits[i], fmt::format("{}.limits[{}]", path, i)));
    }
    return out;
}

Attribution read_attribution(const Reader& r, const Json& entry, const std::string& path) {
    if (!entry.is_object()) r.fail(path, "an object", entry);
    Attribution out;
    out.component = r.string_member(entry, path, "component");
    out.issue = r.string_member(entry, path, "issue");
    out.growth_bytes_per_hour = r.number_member(entry, path, "growth_bytes_per_hour");
    out.share = r.number_member(entry, path, "share");
    return out;
}

LayerDiagnosis read_diagnosis(const Reader& r, const Json& diagnosis, const std::string& path) {
    if (!diagnosis.is_object()) r.fail(path, "an object", diagnosis);
    LayerDiagnosis out;
    constexpr std::string_view kKinds = R"("stable", "retention", "untracked_leak", "heap_growth", )"
                                        R"("allocator_caching", "os_level", "undetermined", "level" or "not_measured")";
    const Json& kind = r.member(diagnosis, path, "kind", kKinds);
    const std::optional<GrowthClass> parsed =
        kind.is_string() ? harness::growth_class_from_string(kind.get<std::string>()) : std::nullopt;
    if (!parsed) r.fail(path + ".kind", kKinds, kind);
    out.kind = *parsed;
    out.explanation = r.string_member(diagnosis, path, "explanation");
    out.rate_floor_bytes_per_hour = r.number_member(diagnosis, path, "rate_floor_bytes_per_hour");
    out.engine_share = r.number_member(diagnosis, path, "engine_share");
    const Json& layers = r.array_member(diagnosis, path, "layers");
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string layer_path = fmt::format("{}.layers[{}]", path, i);
        if (!layers[i].is_object()) r.fail(layer_path, "an object", layers[i]);
        LayerTrend& trend = out.layers.emplace_back();
        trend.metric = r.string_member(layers[i], layer_path, "metric");
        trend.purged_only = r.bool_member(layers[i], layer_path, "purged_only");
        trend.growing = r.bool_member(layers[i], layer_path, "growing");
        if (const Json* growth = r.optional_member(layers[i], "growth")) {
            if (!growth->is_object()) r.fail(layer_path + ".growth", "an object", *growth);
            trend.growth = read_growth(r, *growth, layer_path + ".growth");
        }
    }
    return out;
}

HeapProfileFindings read_heap_profile(const Reader& r, const Json& findings, const std::string& path) {
    if (!findings.is_object()) r.fail(path, "an object", findings);
    HeapProfileFindings out;
    if (const Json* mode = r.optional_member(findings, "mode")) out.mode = r.string(*mode, path + ".mode");
    if (out.mode != "full" && out.mode != "sampled")
        r.fail(path + ".mode", "\"full\" or \"sampled\"", findings["mode"]);
    const bool sampled = out.mode == "sampled";
    if (sampled) {
        out.sample_period_bytes = r.number_member(findings, path, "sample_period_bytes");
        out.reads = static_cast<std::size_t>(r.number_member(findings, path, "reads"));
        out.window = r.seconds_member(findings, path, "window_s");
        const Json& stacks = r.array_member(findings, path, "stacks");
        for (std::size_t i = 0; i < stacks.size(); ++i) {
            const std::string stack_path = fmt::format("{}.stacks[{}]", path, i);
            if (!stacks[i].is_object()) r.fail(stack_path, "an object", stacks[i]);
            harness::HeapGrowthStack& stack = out.stacks.emplace_back();
            stack.frames = r.strings_member(stacks[i], stack_path, "frames");
            stack.bytes = r.number_member(stacks[i], stack_path, "bytes");
        }
        if (const Json* file = r.optional_member(findings, "collapsed_file")) {
            out.collapsed_file = r.string(*file, path + ".collapsed_file");
        }
        if (const Json* source = r.optional_member(findings, "source"))
            out.source = r.string(*source, path + ".source");
        if (const Json* trigger = r.optional_member(findings, "trigger")) {
            out.trigger = r.string(*trigger, path + ".trigger");
        }
    } else {
        out.interval = r.seconds_member(findings, path, "interval_s");
        out.directory = r.string_member(findings, path, "directory");
        out.profiles = r.strings_member(findings, path, "profiles");
    }
    out.total_growth_bytes = r.number_member(findings, path, "total_growth_bytes");
    const Json& sites = r.array_member(findings, path, "sites");
    for (std::size_t i = 0; i < sites.size(); ++i) {
        const std::string site_path = fmt::format("{}.sites[{}]", path, i);
        if (!sites[i].is_object()) r.fail(site_path, "an object", sites[i]);
        HeapSite& site = out.sites.emplace_back();
        site.function = r.string_member(sites[i], site_path, "function");
        site.callers = r.strings_member(sites[i], site_path, "callers");
        site.bytes = r.number_member(sites[i], site_path, "bytes");
        if (sampled) {
            site.file = r.string_member(sites[i], site_path, "file");
            site.line = static_cast<int>(r.number_member(sites[i], site_path, "line"));
            site.caller_locations = r.strings_member(sites[i], site_path, "caller_locations");
            site.rate_bytes_per_hour = r.number_member(sites[i], site_path, "rate_bytes_per_hour");
            site.signature = r.string_member(sites[i], site_path, "signature");
        }
    }
    if (const Json* error = r.optional_member(findings, "error")) out.error = r.string(*error, path + ".error");
    return out;
}

std::vector<ActionRetention> read_retention(const Reader& r, const Json& retention, const std::string& path) {
    if (!retention.is_array()) r.fail(path, "an array", retention);
    std::vector<ActionRetention> out;
    for (std::size_t i = 0; i < retention.size(); ++i) {
        const std::string entry_path = fmt::format("{}[{}]", path, i);
        const Json& entry = retention[i];
        if (!entry.is_object()) r.fail(entry_path, "an object", entry);
        ActionRetention& a = out.emplace_back();
        a.action = r.string_member(entry, entry_path, "action");
        a.calls_per_round = r.unsigned_member(entry, entry_path, "calls_per_round");
        a.rounds = r.unsigned_member(entry, entry_path, "rounds");
        a.live_bytes_per_call = r.number_member(entry, entry_path, "live_bytes_per_call");
        a.live_ci_low = r.number_member(entry, entry_path, "live_ci_low");
        a.live_ci_high = r.number_member(entry, entry_path, "live_ci_high");
        a.rss_bytes_per_call = r.number_member(entry, entry_path, "rss_bytes_per_call");
        a.rss_ci_low = r.number_member(entry, entry_path, "rss_ci_low");
        a.rss_ci_high = r.number_member(entry, entry_path, "rss_ci_high");
        a.significant = r.bool_member(entry, entry_path, "significant");
    }
    return out;
}

}  // namespace

const harness::LimitResult* deciding_limit(const harness::BudgetResult& budget) {
    for (const LimitResult& limit : budget.limits) {
        if (limit.verdict == Verdict::fail) return &limit;
    }
    return budget.limits.empty() ? nullptr : &budget.limits.front();
}

nlohmann::json to_json(const harness::RunResult& result) {
    const RunInfo& info = result.info;
    Json run = {
        {"started_at", info.started_at},
        {"wall_seconds", number_or_null(info.wall_seconds)},
        {"analysis_seconds", number_or_null(info.analysis_seconds)},
        {"acceleration", number_or_null(info.acceleration)},
        {"virtual_elapsed_s", seconds(info.virtual_elapsed)},
        {"interrupted", info.interrupted},
        {"leaks", info.leaks},
        {"injected", info.injected},
        {"layers", info.layers},
    };
    if (!info.stop_reason.empty()) run["stop_reason"] = info.stop_reason;
    if (!info.warnings.empty()) run["warnings"] = info.warnings;
    run["level_window_s"] = seconds(info.level_window);

    Json budgets = Json::array();
    for (const BudgetResult& budget : result.budgets) budgets.push_back(budget_to_json(budget));
    Json attribution = Json::array();
    for (const Attribution& a : result.attribution) attribution.push_back(attribution_to_json(a));

    Json out = {
        {"schema_version", kReportSchemaVersion},
        {"tool",
         {{"name", kToolName},
          {"version", info.tool_version},
          {"git_commit", info.git_commit},
          {"build_type", info.build_type}}},
        {"host", {{"name", info.host}}},
        {"allocator", info.allocator},
        {"scenario",
         {{"name", info.scenario_name},
          {"file", info.scenario_file},
          {"seed", info.seed},
          {"virtual_duration_s", seconds(info.virtual_duration)},
          {"warmup_s", seconds(info.warmup)}}},
        {"run", std::move(run)},
        {"samples", samples_to_json(result.samples)},
        {"budgets", std::move(budgets)},
        {"attribution", std::move(attribution)},
        {"verdict", harness::to_string(result.verdict)},
    };
    if (result.diagnosis) out["diagnosis"] = diagnosis_to_json(*result.diagnosis);
    if (!result.filling.empty()) {
        Json filling = Json::array();
        for (const harness::ComponentFill& f : result.filling) {
            filling.push_back({{"component", f.component},
                               {"items", number_or_null(f.items)},
                               {"capacity", number_or_null(f.capacity)}});
        }
        out["filling"] = std::move(filling);
    }
    if (result.heap_profile) out["heap_profile"] = heap_profile_to_json(*result.heap_profile);
    if (result.retention) out["retention"] = retention_to_json(*result.retention);
    if (!result.retention_trigger.empty()) out["retention_trigger"] = result.retention_trigger;
    return out;
}

harness::RunResult run_result_from_json(const nlohmann::json& document, const std::string& source) {
    const Reader r(source);
    if (!document.is_object()) r.fail("$", "an object", document);
    r.check_schema_version(document);

    RunResult out;
    read_tool(r, document, out.info);
    out.info.host = r.string_member(r.object_member(document, "$", "host"), "$.host", "name");
    out.info.allocator = r.string_member(document, "$", "allocator");
    read_scenario(r, document, out.info);
    read_run(r, document, out.info);
    out.samples = read_samples(r, document);

    const Json& budgets = r.array_member(document, "$", "budgets");
    out.budgets.reserve(budgets.size());
    for (std::size_t i = 0; i < budgets.size(); ++i) {
        out.budgets.push_back(read_budget(r, budgets[i], fmt::format("$.budgets[{}]", i)));
    }
    const Json& attribution = r.array_member(document, "$", "attribution");
    out.attribution.reserve(attribution.size());
    for (std::size_t i = 0; i < attribution.size(); ++i) {
        out.attribution.push_back(read_attribution(r, attribution[i], fmt::format("$.attribution[{}]", i)));
    }
    if (const Json* diagnosis = r.optional_member(document, "diagnosis")) {
        out.diagnosis = read_diagnosis(r, *diagnosis, "$.diagnosis");
    }
    if (const Json* filling = r.optional_member(document, "filling")) {
        if (!filling->is_array()) r.fail("$.filling", "an array", *filling);
        for (std::size_t i = 0; i < filling->size(); ++i) {
            const std::string path = fmt::format("$.filling[{}]", i);
            const Json& entry = (*filling)[i];
            if (!entry.is_object()) r.fail(path, "an object", entry);
            out.filling.push_back({r.string_member(entry, path, "component"), r.number_member(entry, path, "items"),
                                   r.number_member(entry, path, "capacity")});
        }
    }
    if (const Json* heap_profile = r.optional_member(document, "heap_profile")) {
        out.heap_profile = read_heap_profile(r, *heap_profile, "$.heap_profile");
    }
    if (const Json* retention = r.optional_member(document, "retention")) {
        out.retention = read_retention(r, *retention, "$.retention");
    }
    if (const Json* trigger = r.optional_member(document, "retention_trigger")) {
        out.retention_trigger = r.string(*trigger, "$.retention_trigger");
    }
    out.verdict = r.verdict_member(document, "$", "verdict");
    return out;
}

harness::RunResult load_report(const std::filesystem::path& file) {
    const json_input::Document document = json_input::read_document(file, engine::kMaxReportFileBytes);
    return json_input::read_with_positions(document, [&](const Json& root) {
        return run_result_from_json(root, document.source);
    });
}

}  // namespace memsoak::reports
