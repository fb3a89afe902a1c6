// The JSON that `memsoak selftest --out` writes: the leak matrix, the A/A suite runs and the power study
// (docs/diagnosis.md describes the fields).

#include "memsoak/reports/selftest_report.hpp"

#include <algorithm>

namespace memsoak::reports {
namespace {

using Json = nlohmann::json;
using harness::VirtualDuration;

Json seconds_or_null(const std::optional<VirtualDuration>& d) {
    return d ? Json(engine::to_seconds(*d)) : Json(nullptr);
}

Json detection_summary(std::vector<VirtualDuration> detections) {
    if (detections.empty()) return nullptr;
    std::sort(detections.begin(), detections.end());
    const std::size_t n = detections.size();
    const double median = (engine::to_seconds(detections[(n - 1) / 2]) + engine::to_seconds(detections[n / 2])) / 2;
    return {{"min", engine::to_seconds(detections.front())},
            {"median", median},
            {"max", engine::to_seconds(detections.back())}};
}

// One study issue: its leaky and fixed runs, and when it was first detected (virtual seconds).
Json selftest_issue_to_json(const harness::SelftestIssue& issue) {
    return {
        {"issue", issue.issue},
        {"scenario", issue.scenario.string()},
        {"leaky", {{"runs", issue.leaky_runs}, {"caught", issue.caught}, {"missed", issue.leaky_runs - issue.caught}}},
        {"fixed",
         {{"runs", issue.fixed_runs},
          {"passed", issue.fixed_passed},
          {"failed", issue.fixed_runs - issue.fixed_passed}}},
        {"first_detection_s", detection_summary(issue.detections)},
    };
}

// One child run: its role, outcome, failed budgets, whether it did what its role demands, and why not.
Json selftest_run_to_json(const harness::SelftestRun& run) {
    return {
        {"role", harness::to_string(run.role)},
        {"issue", run.issue},
        {"scenario", run.scenario.string()},
        {"seed", run.seed},
        {"outcome", harness::to_string(run.outcome)},
        {"failed_budgets", run.failed_budgets},
        {"ok", run.ok},
        {"detected_after_s", seconds_or_null(run.detected_after)},
        {"problem", run.problem},
        {"report", run.report.string()},
        {"log", run.log.string()},
    };
}

// One scenario, shape and action: each rate with what it caught, and the same figures as parallel arrays (for
// plotting). Rates not run (larger ones after two caught in every seed) have null counts.
Json power_cell_to_json(const harness::PowerCell& cell) {
    Json rates = Json::array();
    Json bytes = Json::array();
    Json true_rates = Json::array();
    Json caught = Json::array();
    for (const harness::PowerRate& rate : cell.rates) {
        const bool measured = rate.run || rate.same_as_previous;
        rates.push_back({{"requested_per_hour", rate.requested_per_hour},
                         {"bytes_per_call", rate.bytes_per_call},
                         {"true_per_hour", rate.true_per_hour},
                         {"run", rate.run},
                         {"same_as_previous", rate.same_as_previous},
                         {"runs", measured ? Json(rate.runs) : Json(nullptr)},
                         {"caught", measured ? Json(rate.caught) : Json(nullptr)},
                         {"errors", measured ? Json(rate.errors) : Json(nullptr)}});
        bytes.push_back(rate.bytes_per_call);
        true_rates.push_back(rate.true_per_hour);
        caught.push_back(measured ? Json(rate.caught) : Json(nullptr));
    }
    return {
        {"scenario", cell.scenario.string()},
        {"scenario_name", cell.scenario_name},
        {"shape", std::string(engine::to_string(cell.shape))},
        {"action", cell.action},
        {"calls_per_hour", cell.calls_per_hour},
        {"bytes_per_call", std::move(bytes)},
        {"true_rate_per_hour", std::move(true_rates)},
        {"caught", std::move(caught)},
        {"detection_limit_per_hour",
         cell.detection_limit_per_hour ? Json(*cell.detection_limit_per_hour) : Json(nullptr)},
        {"rates", std::move(rates)},
        {"problems", cell.problems},
    };
}

Json power_fill_to_json(const harness::PowerFill& fill) {
    return {
        {"scenario", fill.scenario.string()},
        {"scenario_name", fill.scenario_name},
        {"bytes_per_tick", fill.bytes_per_tick ? Json(*fill.bytes_per_tick) : Json(nullptr)},
        {"capacity", fill.capacity},
        {"runs", fill.runs},
        {"passed", fill.passed},
        {"false_alarms", fill.false_alarms},
        {"errors", fill.errors},
        {"problems", fill.problems},
    };
}

}  // namespace

nlohmann::json selftest_to_json(const harness::SelftestResult& result, const harness::SelftestOptions& options) {
    Json issues = Json::array();
    for (const harness::SelftestIssue& issue : result.issues) issues.push_back(selftest_issue_to_json(issue));
    Json runs = Json::array();
    for (const harness::SelftestRun& run : result.runs) runs.push_back(selftest_run_to_json(run));
    const Json false_alarm_rate =
        result.aa_runs == 0 ? Json(nullptr)
                            : Json(static_cast<double>(result.aa_false_alarms) / static_cast<double>(result.aa_runs));
    return {
        {"schema_version", harness::kSelftestSchemaVersion},
        {"passed", result.passed()},
        {"interrupted", result.interrupted},
        {"seeds", options.seeds},
        {"aa_seeds", options.aa_seeds},
        {"run_args", options.run_args},
        {"detection_prefixes", options.detection_prefixes},
        {"issues", std::move(issues)},
        {"aa",
         {{"scenario", result.aa_scenario.string()},
          {"runs", result.aa_runs},
          {"false_alarms", result.aa_false_alarms},
          {"errors", result.aa_errors},
          {"false_alarm_rate", false_alarm_rate}}},
        {"runs", std::move(runs)},
    };
}

nlohmann::json power_to_json(const harness::PowerResult& result, const harness::PowerOptions& options) {
    Json cells = Json::array();
    for (const harness::PowerCell& cell : result.cells) cells.push_back(power_cell_to_json(cell));
    Json fills = Json::array();
    for (const harness::PowerFill& fill : result.fills) fills.push_back(power_fill_to_json(fill));
    Json shapes = Json::array();
    for (const engine::LeakShape shape : options.shapes) shapes.push_back(std::string(engine::to_string(shape)));
    return {
        {"seeds", options.seeds},           {"required", harness::power_required(options.seeds.size())},
        {"rates", options.rates},           {"shapes", std::move(shapes)},
        {"actions", options.actions},       {"run_args", options.run_args},
        {"max_rss", harness::kPowerMaxRss}, {"interrupted", result.interrupted},
        {"errors", result.errors()},        {"cells", std::move(cells)},
        {"fills", std::move(fills)},
    };
}

nlohmann::json aa_suite_to_json(const harness::AaSuiteResult& result, const std::vector<std::uint64_t>& seeds) {
    Json failures = Json::array();
    for (const harness::SuiteEntry& entry : result.entries) {
        failures.push_back({{"scenario", entry.scenario.string()},
                            {"seed", entry.seed ? Json(*entry.seed) : Json(nullptr)},
                            {"outcome", harness::to_string(entry.outcome)},
                            {"report", entry.report.string()},
                            {"log", entry.log.string()}});
    }
    return {
        {"suite", result.suite.string()},      {"seeds", seeds},          {"runs", result.runs},
        {"false_alarms", result.false_alarms}, {"errors", result.errors}, {"interrupted", result.interrupted},
        {"not_passed", std::move(failures)},
    };
}

}  // namespace memsoak::reports
