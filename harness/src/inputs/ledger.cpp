#include "memsoak/harness/inputs/ledger.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

using Json = nlohmann::json;
using json_input::fail;

bool is_metric_name(const Json& value) {
    return value.is_string() && layer_of_metric(value.get_ref<const std::string&>()).has_value();
}

// A size or size-rate string, parsed by `parse`; the parser's message gets the file and path in front.
double read_quantity(const Json& value, double (*parse)(std::string_view), std::string_view type_expected,
                     const std::string& file, const std::string& path) {
    if (!value.is_string()) fail(file, path, type_expected, value);
    try {
        return parse(value.get_ref<const std::string&>());
    } catch (const Error& e) {
        json_input::reject(file, path, e.what());
    }
}

LimitSpec read_limit(const Json& value, const std::string& file, const std::string& path) {
    json_input::check_object(value, {"metric", "peak", "growth", "items", "fill"},
                             "a limit object with a \"metric\" and one of \"peak\", \"growth\" or \"items\"", file,
                             path);
    constexpr std::string_view kMetricExpected =
        "a metric name starting with \"os.\", \"allocator.\" or \"engine.\", such as \"os.rss_bytes\"";
    LimitSpec limit;
    limit.source = fmt::format("{}: {}", file, path);
    const Json& metric = json_input::require(value, "metric", kMetricExpected, file, path);
    if (!is_metric_name(metric)) fail(file, path + ".metric", kMetricExpected, metric);
    limit.metric = metric.get<std::string>();

    const bool has_peak = value.contains("peak");
    const bool has_growth = value.contains("growth");
    const bool has_items = value.contains("items");
    if (int{has_peak} + int{has_growth} + int{has_items} != 1) {
        fail(file, path, "exactly one of \"peak\", \"growth\" or \"items\"", value);
    }
    if (has_peak) {
        limit.kind = LimitKind::peak;
        limit.limit =
            read_quantity(value.at("peak"), parse_size, "a size such as \"50 MiB\" (a string)", file, path + ".peak");
    } else if (has_growth) {
        limit.kind = LimitKind::growth;
        if (value.at("growth") == "calibrated") {
            limit.calibrated = true;
            limit.limit = std::nan("");
        } else {
            limit.limit =
                read_quantity(value.at("growth"), parse_size_rate,
                              "a growth rate such as \"1 MiB/h\" or \"calibrated\" (a string)", file, path + ".growth");
        }
    } else {
        const Json& items = value.at("items");
        if (!items.is_number_unsigned()) fail(file, path + ".items", "a non-negative integer", items);
        limit.kind = LimitKind::items;
        limit.limit = static_cast<double>(items.get<std::uint64_t>());
    }
    if (const auto fill = value.find("fill"); fill != value.end()) {
        if (limit.kind != LimitKind::growth) fail(file, path + ".fill", "no \"fill\" on a peak or items limit", *fill);
        limit.fill = read_quantity(*fill, parse_size, "a size such as \"8 MiB\" (a string)", file, path + ".fill");
    }
    return limit;
}

BudgetSpec read_budget(const std::string& name, const Json& value, const std::string& file, const std::string& path) {
    json_input::check_object(value, {"description", "limits"}, "a budget object with \"limits\"", file, path);
    BudgetSpec budget;
    budget.name = name;
    if (const auto description = value.find("description"); description != value.end()) {
        if (!description->is_string()) fail(file, path + ".description", "a string", *description);
        budget.description = description->get<std::string>();
    }
    constexpr std::string_view kLimitsExpected = "a non-empty array of limits";
    const Json& limits = json_input::require(value, "limits", kLimitsExpected, file, path);
    if (!limits.is_array() || limits.empty()) fail(file, path + ".limits", kLimitsExpected, limits);
    for (std::size_t i = 0; i < limits.size(); ++i) {
        budget.limits.push_back(read_limit(limits[i], file, fmt::format("{}.limits[{}]", path, i)));
    }
    return budget;
}

}  // namespace

Ledger ledger_applied_in(const RunResult& run) {
    Ledger ledger;
    ledger.file = run.info.scenario_file + " (the limits its run applied)";
    for (const BudgetResult& budget : run.budgets) {
        BudgetSpec& spec = ledger.budgets.emplace_back();
        spec.name = budget.budget;
        spec.description = budget.description;
        for (const LimitResult& limit : budget.limits) {
            LimitSpec& l = spec.limits.emplace_back();
            l.metric = limit.metric;
            l.kind = limit.kind;
            l.limit = limit.limit;
            l.source = ledger.file;
            l.fill = limit.fill_allowance;
            l.calibration = limit.calibration;
            l.calibrated = limit.calibration.has_value() || std::isnan(limit.limit);
        }
    }
    return ledger;
}

const BudgetSpec* Ledger::find(std::string_view name) const {
    for (const BudgetSpec& budget : budgets) {
        if (budget.name == name) return &budget;
    }
    return nullptr;
}

Ledger load_ledger(const std::filesystem::path& file) {
    const json_input::Document document = json_input::read_document(file);
    return json_input::read_with_positions(document,
                                           [&](const Json& root) { return parse_ledger(root, document.source); });
}

Ledger parse_ledger(const Json& document, const std::string& file) {
    json_input::check_object(document, {"schema_version", "budgets", "calibration"}, "a budget ledger object", file,
                             "$");
    json_input::check_schema_version(document, kLedgerSchemaVersion, file);
    constexpr std::string_view kBudgetsExpected = "a non-empty object of budgets by name";
    const Json& budgets = json_input::require(document, "budgets", kBudgetsExpected, file, "$");
    if (!budgets.is_object() || budgets.empty()) fail(file, "$.budgets", kBudgetsExpected, budgets);

    Ledger ledger;
    ledger.schema_version = kLedgerSchemaVersion;
    ledger.file = file;
    if (const auto calibration = document.find("calibration"); calibration != document.end()) {
        if (!calibration->is_string() || calibration->get_ref<const std::string&>().empty()) {
            fail(file, "$.calibration", "the calibration file's path, relative to the ledger (a string)", *calibration);
        }
        ledger.calibration_file =
            std::filesystem::path(file).parent_path() / calibration->get_ref<const std::string&>();
    }
    // nlohmann keeps object fields sorted by name, so the ledger lists its budgets in that order.
    for (const auto& [name, budget] : budgets.items()) {
        const std::string path = fmt::format("$.budgets.{}", name);
        if (!json_input::is_plain_name(name)) {
            fail(file, path, "a budget name of lowercase letters, digits, '-' and '_'", Json(name));
        }
        ledger.budgets.push_back(read_budget(name, budget, file, path));
    }
    return ledger;
}

}  // namespace memsoak::harness
